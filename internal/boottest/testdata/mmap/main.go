// Command mmap checks file-backed mmap: shared and private mappings, their
// coherence with read and write, msync, truncation, SIGBUS past the end
// of the file, and the argument checks. Usage:
//
//	mmap DIR [RO_FILE]
//
// maps files it makes in the writable directory DIR, and RO_FILE (a file
// it may only read: the packed tree) if given. The same program runs
// natively on Linux, the oracle. The first failed check prints FAIL and
// exits 1; the end prints "mmap ok".
package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"syscall"
)

const page = 4096

func check(name string, ok bool, format string, args ...any) {
	if !ok {
		fmt.Printf("FAIL %s: "+format+"\n", append([]any{name}, args...)...)
		os.Exit(1)
	}
	fmt.Printf("ok %s\n", name)
}

func expect(name string, got, want error) {
	check(name, errors.Is(got, want) || got == nil && want == nil, "got %v, want %v", got, want)
}

func must(name string, err error) {
	if err != nil {
		fmt.Printf("FAIL %s: %v\n", name, err)
		os.Exit(1)
	}
}

// faults reports whether f panicked with a memory fault.
func faults(f func()) (did bool) {
	defer func() {
		if r := recover(); r != nil {
			did = true
		}
	}()
	f()
	return false
}

var sink byte

func content(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/page)
	}
	return b
}

func pread(fd, n int, off int64) []byte {
	b := make([]byte, n)
	m, err := syscall.Pread(fd, b, off)
	must("pread", err)
	return b[:m]
}

func msync(b []byte, flags int) error {
	_, _, e := syscall.Syscall(syscall.SYS_MSYNC, uintptr(unsafePtr(b)), uintptr(len(b)), uintptr(flags))
	if e != 0 {
		return e
	}
	return nil
}

func main() {
	debug.SetPanicOnFault(true)
	if len(os.Args) < 2 {
		fmt.Println("usage: mmap DIR [RO_FILE]")
		os.Exit(2)
	}
	dir := os.Args[1]
	testShared(dir)
	testPrivate(dir)
	testTruncate(dir)
	testErrors(dir)
	if len(os.Args) > 2 {
		testReadOnly(os.Args[2])
	}
	testDirSync(dir)
	testMlock(dir)
	testAnonFixed()
	testFreshPopulate(dir)
	testFreshRace()
	leaveDirty(dir)
	fmt.Println("mmap ok")
}

// testDirSync opens the directory itself, syncs and closes it (as SQLite
// does after creating a file), then uses a file in it again.
func testDirSync(dir string) {
	name := filepath.Join(dir, "afterdirsync")
	must("write file", os.WriteFile(name, []byte("x"), 0o644))
	for i := 0; i < 2; i++ {
		d, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		must("open the directory", err)
		must("fsync the directory", syscall.Fsync(d))
		must("close the directory", syscall.Close(d))
	}
	var st syscall.Stat_t
	expect("stat a file after the directory closed", syscall.Stat(name, &st), nil)
	b, err := os.ReadFile(name)
	check("read a file after the directory closed", err == nil && string(b) == "x", "%q %v", b, err)
}

// testMlock locks a file mapping and anonymous memory (pages are backed
// at once) and checks the argument errors.
func testMlock(dir string) {
	name := filepath.Join(dir, "locked")
	data := content(2 * page)
	must("write file", os.WriteFile(name, data, 0o644))
	fd, _ := syscall.Open(name, syscall.O_RDWR, 0)
	m, err := syscall.Mmap(fd, 0, 4*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	must("mmap for mlock", err)
	expect("mlock a file mapping", syscall.Mlock(m[:2*page]), nil)
	expect("mlock past the end of the file", syscall.Mlock(m), syscall.ENOMEM)
	check("locked mapping reads the file", m[page+3] == data[page+3], "got %x", m[page+3])
	expect("munlock", syscall.Munlock(m), nil)
	_, _, e := syscall.Syscall(325, uintptr(unsafePtr(m)), page, 9) // mlock2, bad flags
	expect("mlock2 bad flags", errnoErr(e), syscall.EINVAL)
	syscall.Munmap(m)
	syscall.Close(fd)
	expect("mlock an unmapped range", syscall.Mlock(m[:page]), syscall.ENOMEM)
	expect("mlockall(0)", syscall.Mlockall(0), syscall.EINVAL)
	expect("mlockall(MCL_CURRENT)", syscall.Mlockall(syscall.MCL_CURRENT), nil)
	expect("munlockall", syscall.Munlockall(), nil)
}

func errnoErr(e syscall.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

// leaveDirty leaves a store in a shared mapping at exit: the file must
// have it afterwards (the boot test looks on the host).
func leaveDirty(dir string) {
	name := filepath.Join(dir, "atexit")
	must("write file", os.WriteFile(name, make([]byte, page), 0o644))
	fd, _ := syscall.Open(name, syscall.O_RDWR, 0)
	m, err := syscall.Mmap(fd, 0, page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	must("mmap atexit", err)
	m[10] = 0x5A
}

func testShared(dir string) {
	name := filepath.Join(dir, "shared")
	data := content(2*page + 100)
	must("write file", os.WriteFile(name, data, 0o644))
	fd, err := syscall.Open(name, syscall.O_RDWR, 0)
	must("open", err)
	m, err := syscall.Mmap(fd, 0, 3*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	must("mmap shared", err)
	check("shared mapping reads the file", bytes.Equal(m[:len(data)], data), "contents differ")
	check("the rest of the last page reads zero", bytes.Count(m[len(data):3*page], []byte{0}) == 3*page-len(data), "not zero")
	m[100] = 0xAB
	check("a store is seen by pread", pread(fd, 1, 100)[0] == 0xAB, "pread %x", pread(fd, 1, 100))
	_, err = syscall.Pwrite(fd, []byte{0xCD}, 5000)
	must("pwrite", err)
	check("pwrite is seen by the mapping", m[5000] == 0xCD, "mapping %x", m[5000])
	expect("msync MS_SYNC", msync(m[:3*page], syscall.MS_SYNC), nil)
	expect("msync MS_ASYNC", msync(m[:page], syscall.MS_ASYNC), nil)
	expect("msync both flags", msync(m[:page], syscall.MS_SYNC|syscall.MS_ASYNC), syscall.EINVAL)
	expect("msync unaligned", msync(m[1:page], syscall.MS_SYNC), syscall.EINVAL)
	// A second mapping at an offset sees the same pages.
	m2, err := syscall.Mmap(fd, page, page, syscall.PROT_READ, syscall.MAP_SHARED)
	must("mmap at an offset", err)
	check("mapping at an offset", m2[5000-page] == 0xCD && m2[1] == data[page+1], "got %x %x", m2[5000-page], m2[1])
	m[page+1] = 0x11
	check("two mappings share pages", m2[1] == 0x11, "got %x", m2[1])
	must("munmap second", syscall.Munmap(m2))
	// Closing the descriptor keeps the mapping; unmapping keeps the data.
	syscall.Close(fd)
	m[200] = 0xEF
	check("mapping outlives its descriptor", m[100] == 0xAB, "got %x", m[100])
	must("munmap", syscall.Munmap(m))
	expect("msync after munmap", msync(m[:page], syscall.MS_SYNC), syscall.ENOMEM)
	b, _ := os.ReadFile(name)
	check("stores are in the file after munmap", len(b) == len(data) && b[100] == 0xAB && b[200] == 0xEF && b[page+1] == 0x11, "len %d", len(b))

	// mprotect of a shared mapping.
	fd, _ = syscall.Open(name, syscall.O_RDWR, 0)
	m, err = syscall.Mmap(fd, 0, page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	must("mmap again", err)
	must("mprotect read-only", syscall.Mprotect(m, syscall.PROT_READ))
	check("store to a read-only mapping faults", faults(func() { m[0] = 1 }), "no fault")
	check("load still works", m[100] == 0xAB, "got %x", m[100])
	must("mprotect back", syscall.Mprotect(m, syscall.PROT_READ|syscall.PROT_WRITE))
	m[0] = 0x42
	check("store after mprotect back", pread(fd, 1, 0)[0] == 0x42, "file %x", pread(fd, 1, 0))
	syscall.Munmap(m)
	syscall.Close(fd)
	ro, _ := syscall.Open(name, syscall.O_RDONLY, 0)
	m, err = syscall.Mmap(ro, 0, page, syscall.PROT_READ, syscall.MAP_SHARED)
	must("mmap shared read-only", err)
	expect("mprotect writable on a read-only descriptor", syscall.Mprotect(m, syscall.PROT_READ|syscall.PROT_WRITE), syscall.EACCES)
	syscall.Munmap(m)
	syscall.Close(ro)

	// Unlinked and closed: the mapping keeps the file.
	fd, _ = syscall.Open(name, syscall.O_RDWR, 0)
	m, _ = syscall.Mmap(fd, 0, page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	syscall.Close(fd)
	must("unlink mapped file", os.Remove(name))
	m[1] = 0x99
	check("mapping of an unlinked file", m[0] == 0x42 && m[1] == 0x99, "got %x %x", m[0], m[1])
	syscall.Munmap(m)
}

func testPrivate(dir string) {
	name := filepath.Join(dir, "private")
	data := content(page + 10)
	must("write file", os.WriteFile(name, data, 0o644))
	fd, _ := syscall.Open(name, syscall.O_RDONLY, 0)
	m, err := syscall.Mmap(fd, 0, 2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	must("mmap private writable on a read-only descriptor", err)
	check("private mapping reads the file", bytes.Equal(m[:len(data)], data), "differ")
	m[5] = ^data[5]
	check("private store stays private", pread(fd, 1, 5)[0] == data[5], "file changed")
	check("private store is seen in the mapping", m[5] == ^data[5], "lost")
	syscall.Munmap(m)
	syscall.Close(fd)
	b, _ := os.ReadFile(name)
	check("file unchanged by a private mapping", bytes.Equal(b, data), "changed")
}

func testTruncate(dir string) {
	name := filepath.Join(dir, "trunc")
	data := content(3 * page)
	must("write file", os.WriteFile(name, data, 0o644))
	fd, _ := syscall.Open(name, syscall.O_RDWR, 0)
	m, err := syscall.Mmap(fd, 0, 4*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	must("mmap past the end", err)
	check("page inside the file", m[2*page+1] == data[2*page+1], "got %x", m[2*page+1])
	check("page past the end faults (SIGBUS)", faults(func() { sink = m[3*page+1] }), "no fault")
	must("ftruncate shorter", syscall.Ftruncate(fd, page+10))
	check("truncated page faults", faults(func() { sink = m[2*page+1] }), "no fault")
	check("tail of the last page reads zero", m[page+10] == 0 && m[page+9] == data[page+9], "got %x %x", m[page+10], m[page+9])
	must("ftruncate longer", syscall.Ftruncate(fd, 3*page))
	check("grown page reads zero", m[2*page+1] == 0, "got %x", m[2*page+1])
	m[2*page+2] = 7
	check("store in the grown page reaches the file", pread(fd, 1, 2*page+2)[0] == 7, "file %x", pread(fd, 1, 2*page+2))
	syscall.Munmap(m)
	syscall.Close(fd)
}

func testErrors(dir string) {
	name := filepath.Join(dir, "errs")
	must("write file", os.WriteFile(name, content(page), 0o644))
	ro, _ := syscall.Open(name, syscall.O_RDONLY, 0)
	wo, _ := syscall.Open(name, syscall.O_WRONLY, 0)
	_, err := syscall.Mmap(999, 0, page, syscall.PROT_READ, syscall.MAP_SHARED)
	expect("mmap bad fd", err, syscall.EBADF)
	_, err = syscall.Mmap(ro, 0, page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	expect("mmap shared writable on a read-only descriptor", err, syscall.EACCES)
	_, err = syscall.Mmap(wo, 0, page, syscall.PROT_READ, syscall.MAP_SHARED)
	expect("mmap of a write-only descriptor", err, syscall.EACCES)
	_, err = syscall.Mmap(ro, 100, page, syscall.PROT_READ, syscall.MAP_SHARED)
	expect("mmap unaligned offset", err, syscall.EINVAL)
	var p [2]int
	syscall.Pipe(p[:])
	_, err = syscall.Mmap(p[0], 0, page, syscall.PROT_READ, syscall.MAP_SHARED)
	expect("mmap a pipe", err, syscall.ENODEV)
	d, _ := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	_, err = syscall.Mmap(d, 0, page, syscall.PROT_READ, syscall.MAP_SHARED)
	expect("mmap a directory", err, syscall.ENODEV)
	z, _ := syscall.Open("/dev/zero", syscall.O_RDWR, 0)
	m, err := syscall.Mmap(z, 0, 2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	must("mmap /dev/zero", err)
	m[page] = 3
	check("/dev/zero mapping is zeroed memory", m[0] == 0 && m[page] == 3, "got %x", m[0])
	syscall.Munmap(m)
	for _, fd := range []int{ro, wo, p[0], p[1], d, z} {
		syscall.Close(fd)
	}
}

func testReadOnly(name string) {
	want, err := os.ReadFile(name)
	must("read "+name, err)
	fd, err := syscall.Open(name, syscall.O_RDONLY, 0)
	must("open "+name, err)
	n := (len(want) + page - 1) &^ (page - 1)
	m, err := syscall.Mmap(fd, 0, n, syscall.PROT_READ, syscall.MAP_SHARED)
	must("mmap shared read-only file", err)
	check("read-only file mapping", bytes.Equal(m[:len(want)], want), "differ")
	syscall.Munmap(m)
	m, err = syscall.Mmap(fd, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	must("mmap private read-only file", err)
	m[0] ^= 0xff
	check("private copy of a read-only file", m[0] == want[0]^0xff, "got %x", m[0])
	syscall.Munmap(m)
	syscall.Close(fd)
}
