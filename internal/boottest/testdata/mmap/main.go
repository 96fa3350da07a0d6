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
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"syscall"

	"github.com/gotoro/gotoro/internal/guestcheck"
)

const page = 4096

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
	guestcheck.Must("pread", err)
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
	guestcheck.Must("write file", os.WriteFile(name, []byte("x"), 0o644))
	for i := 0; i < 2; i++ {
		d, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		guestcheck.Must("open the directory", err)
		guestcheck.Must("fsync the directory", syscall.Fsync(d))
		guestcheck.Must("close the directory", syscall.Close(d))
	}
	var st syscall.Stat_t
	guestcheck.Expect("stat a file after the directory closed", syscall.Stat(name, &st), nil)
	b, err := os.ReadFile(name)
	guestcheck.Check("read a file after the directory closed", err == nil && string(b) == "x", "%q %v", b, err)
}

// testMlock locks a file mapping and anonymous memory (pages are backed
// at once) and checks the argument errors.
func testMlock(dir string) {
	name := filepath.Join(dir, "locked")
	data := content(2 * page)
	guestcheck.Must("write file", os.WriteFile(name, data, 0o644))
	fd, _ := syscall.Open(name, syscall.O_RDWR, 0)
	m, err := syscall.Mmap(fd, 0, 4*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	guestcheck.Must("mmap for mlock", err)
	guestcheck.Expect("mlock a file mapping", syscall.Mlock(m[:2*page]), nil)
	guestcheck.Expect("mlock past the end of the file", syscall.Mlock(m), syscall.ENOMEM)
	guestcheck.Check("locked mapping reads the file", m[page+3] == data[page+3], "got %x", m[page+3])
	guestcheck.Expect("munlock", syscall.Munlock(m), nil)
	_, _, e := syscall.Syscall(325, uintptr(unsafePtr(m)), page, 9) // mlock2, bad flags
	guestcheck.Expect("mlock2 bad flags", errnoErr(e), syscall.EINVAL)
	syscall.Munmap(m)
	syscall.Close(fd)
	guestcheck.Expect("mlock an unmapped range", syscall.Mlock(m[:page]), syscall.ENOMEM)
	guestcheck.Expect("mlockall(0)", syscall.Mlockall(0), syscall.EINVAL)
	guestcheck.Expect("mlockall(MCL_CURRENT)", syscall.Mlockall(syscall.MCL_CURRENT), nil)
	guestcheck.Expect("munlockall", syscall.Munlockall(), nil)
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
	guestcheck.Must("write file", os.WriteFile(name, make([]byte, page), 0o644))
	fd, _ := syscall.Open(name, syscall.O_RDWR, 0)
	m, err := syscall.Mmap(fd, 0, page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	guestcheck.Must("mmap atexit", err)
	m[10] = 0x5A
}

func testShared(dir string) {
	name := filepath.Join(dir, "shared")
	data := content(2*page + 100)
	guestcheck.Must("write file", os.WriteFile(name, data, 0o644))
	fd, err := syscall.Open(name, syscall.O_RDWR, 0)
	guestcheck.Must("open", err)
	m, err := syscall.Mmap(fd, 0, 3*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	guestcheck.Must("mmap shared", err)
	guestcheck.Check("shared mapping reads the file", bytes.Equal(m[:len(data)], data), "contents differ")
	guestcheck.Check("the rest of the last page reads zero", bytes.Count(m[len(data):3*page], []byte{0}) == 3*page-len(data), "not zero")
	m[100] = 0xAB
	guestcheck.Check("a store is seen by pread", pread(fd, 1, 100)[0] == 0xAB, "pread %x", pread(fd, 1, 100))
	_, err = syscall.Pwrite(fd, []byte{0xCD}, 5000)
	guestcheck.Must("pwrite", err)
	guestcheck.Check("pwrite is seen by the mapping", m[5000] == 0xCD, "mapping %x", m[5000])
	guestcheck.Expect("msync MS_SYNC", msync(m[:3*page], syscall.MS_SYNC), nil)
	guestcheck.Expect("msync MS_ASYNC", msync(m[:page], syscall.MS_ASYNC), nil)
	guestcheck.Expect("msync both flags", msync(m[:page], syscall.MS_SYNC|syscall.MS_ASYNC), syscall.EINVAL)
	guestcheck.Expect("msync unaligned", msync(m[1:page], syscall.MS_SYNC), syscall.EINVAL)
	// A second mapping at an offset sees the same pages.
	m2, err := syscall.Mmap(fd, page, page, syscall.PROT_READ, syscall.MAP_SHARED)
	guestcheck.Must("mmap at an offset", err)
	guestcheck.Check("mapping at an offset", m2[5000-page] == 0xCD && m2[1] == data[page+1], "got %x %x", m2[5000-page], m2[1])
	m[page+1] = 0x11
	guestcheck.Check("two mappings share pages", m2[1] == 0x11, "got %x", m2[1])
	guestcheck.Must("munmap second", syscall.Munmap(m2))
	// Closing the descriptor keeps the mapping; unmapping keeps the data.
	syscall.Close(fd)
	m[200] = 0xEF
	guestcheck.Check("mapping outlives its descriptor", m[100] == 0xAB, "got %x", m[100])
	guestcheck.Must("munmap", syscall.Munmap(m))
	guestcheck.Expect("msync after munmap", msync(m[:page], syscall.MS_SYNC), syscall.ENOMEM)
	b, _ := os.ReadFile(name)
	guestcheck.Check("stores are in the file after munmap", len(b) == len(data) && b[100] == 0xAB && b[200] == 0xEF && b[page+1] == 0x11, "len %d", len(b))

	// mprotect of a shared mapping.
	fd, _ = syscall.Open(name, syscall.O_RDWR, 0)
	m, err = syscall.Mmap(fd, 0, page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	guestcheck.Must("mmap again", err)
	guestcheck.Must("mprotect read-only", syscall.Mprotect(m, syscall.PROT_READ))
	guestcheck.Check("store to a read-only mapping faults", guestcheck.Faults(func() { m[0] = 1 }), "no fault")
	guestcheck.Check("load still works", m[100] == 0xAB, "got %x", m[100])
	guestcheck.Must("mprotect back", syscall.Mprotect(m, syscall.PROT_READ|syscall.PROT_WRITE))
	m[0] = 0x42
	guestcheck.Check("store after mprotect back", pread(fd, 1, 0)[0] == 0x42, "file %x", pread(fd, 1, 0))
	syscall.Munmap(m)
	syscall.Close(fd)
	ro, _ := syscall.Open(name, syscall.O_RDONLY, 0)
	m, err = syscall.Mmap(ro, 0, page, syscall.PROT_READ, syscall.MAP_SHARED)
	guestcheck.Must("mmap shared read-only", err)
	guestcheck.Expect("mprotect writable on a read-only descriptor", syscall.Mprotect(m, syscall.PROT_READ|syscall.PROT_WRITE), syscall.EACCES)
	syscall.Munmap(m)
	syscall.Close(ro)

	// Unlinked and closed: the mapping keeps the file.
	fd, _ = syscall.Open(name, syscall.O_RDWR, 0)
	m, _ = syscall.Mmap(fd, 0, page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	syscall.Close(fd)
	guestcheck.Must("unlink mapped file", os.Remove(name))
	m[1] = 0x99
	guestcheck.Check("mapping of an unlinked file", m[0] == 0x42 && m[1] == 0x99, "got %x %x", m[0], m[1])
	syscall.Munmap(m)
}

func testPrivate(dir string) {
	name := filepath.Join(dir, "private")
	data := content(page + 10)
	guestcheck.Must("write file", os.WriteFile(name, data, 0o644))
	fd, _ := syscall.Open(name, syscall.O_RDONLY, 0)
	m, err := syscall.Mmap(fd, 0, 2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	guestcheck.Must("mmap private writable on a read-only descriptor", err)
	guestcheck.Check("private mapping reads the file", bytes.Equal(m[:len(data)], data), "differ")
	m[5] = ^data[5]
	guestcheck.Check("private store stays private", pread(fd, 1, 5)[0] == data[5], "file changed")
	guestcheck.Check("private store is seen in the mapping", m[5] == ^data[5], "lost")
	syscall.Munmap(m)
	syscall.Close(fd)
	b, _ := os.ReadFile(name)
	guestcheck.Check("file unchanged by a private mapping", bytes.Equal(b, data), "changed")
}

func testTruncate(dir string) {
	name := filepath.Join(dir, "trunc")
	data := content(3 * page)
	guestcheck.Must("write file", os.WriteFile(name, data, 0o644))
	fd, _ := syscall.Open(name, syscall.O_RDWR, 0)
	m, err := syscall.Mmap(fd, 0, 4*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	guestcheck.Must("mmap past the end", err)
	guestcheck.Check("page inside the file", m[2*page+1] == data[2*page+1], "got %x", m[2*page+1])
	guestcheck.Check("page past the end faults (SIGBUS)", guestcheck.Faults(func() { sink = m[3*page+1] }), "no fault")
	guestcheck.Must("ftruncate shorter", syscall.Ftruncate(fd, page+10))
	guestcheck.Check("truncated page faults", guestcheck.Faults(func() { sink = m[2*page+1] }), "no fault")
	guestcheck.Check("tail of the last page reads zero", m[page+10] == 0 && m[page+9] == data[page+9], "got %x %x", m[page+10], m[page+9])
	guestcheck.Must("ftruncate longer", syscall.Ftruncate(fd, 3*page))
	guestcheck.Check("grown page reads zero", m[2*page+1] == 0, "got %x", m[2*page+1])
	m[2*page+2] = 7
	guestcheck.Check("store in the grown page reaches the file", pread(fd, 1, 2*page+2)[0] == 7, "file %x", pread(fd, 1, 2*page+2))
	syscall.Munmap(m)
	syscall.Close(fd)
}

func testErrors(dir string) {
	name := filepath.Join(dir, "errs")
	guestcheck.Must("write file", os.WriteFile(name, content(page), 0o644))
	ro, _ := syscall.Open(name, syscall.O_RDONLY, 0)
	wo, _ := syscall.Open(name, syscall.O_WRONLY, 0)
	_, err := syscall.Mmap(999, 0, page, syscall.PROT_READ, syscall.MAP_SHARED)
	guestcheck.Expect("mmap bad fd", err, syscall.EBADF)
	_, err = syscall.Mmap(ro, 0, page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	guestcheck.Expect("mmap shared writable on a read-only descriptor", err, syscall.EACCES)
	_, err = syscall.Mmap(wo, 0, page, syscall.PROT_READ, syscall.MAP_SHARED)
	guestcheck.Expect("mmap of a write-only descriptor", err, syscall.EACCES)
	_, err = syscall.Mmap(ro, 100, page, syscall.PROT_READ, syscall.MAP_SHARED)
	guestcheck.Expect("mmap unaligned offset", err, syscall.EINVAL)
	var p [2]int
	syscall.Pipe(p[:])
	_, err = syscall.Mmap(p[0], 0, page, syscall.PROT_READ, syscall.MAP_SHARED)
	guestcheck.Expect("mmap a pipe", err, syscall.ENODEV)
	d, _ := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	_, err = syscall.Mmap(d, 0, page, syscall.PROT_READ, syscall.MAP_SHARED)
	guestcheck.Expect("mmap a directory", err, syscall.ENODEV)
	z, _ := syscall.Open("/dev/zero", syscall.O_RDWR, 0)
	m, err := syscall.Mmap(z, 0, 2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	guestcheck.Must("mmap /dev/zero", err)
	m[page] = 3
	guestcheck.Check("/dev/zero mapping is zeroed memory", m[0] == 0 && m[page] == 3, "got %x", m[0])
	syscall.Munmap(m)
	for _, fd := range []int{ro, wo, p[0], p[1], d, z} {
		syscall.Close(fd)
	}
}

func testReadOnly(name string) {
	want, err := os.ReadFile(name)
	guestcheck.Must("read "+name, err)
	fd, err := syscall.Open(name, syscall.O_RDONLY, 0)
	guestcheck.Must("open "+name, err)
	n := (len(want) + page - 1) &^ (page - 1)
	m, err := syscall.Mmap(fd, 0, n, syscall.PROT_READ, syscall.MAP_SHARED)
	guestcheck.Must("mmap shared read-only file", err)
	guestcheck.Check("read-only file mapping", bytes.Equal(m[:len(want)], want), "differ")
	syscall.Munmap(m)
	m, err = syscall.Mmap(fd, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	guestcheck.Must("mmap private read-only file", err)
	m[0] ^= 0xff
	guestcheck.Check("private copy of a read-only file", m[0] == want[0]^0xff, "got %x", m[0])
	syscall.Munmap(m)
	syscall.Close(fd)
}
