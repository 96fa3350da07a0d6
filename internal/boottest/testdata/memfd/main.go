// Command memfd checks memfd_create through golang.org/x/sys/unix, as a
// user's code calls it for an anonymous shared buffer: the flags and
// their errors, the name in /proc/self/fd, fstat, read, write, pread,
// pwrite, lseek, ftruncate (sparse when large), shared mappings (two
// mappings and write(2) see each other's stores), SIGBUS past an end
// truncated under a mapping, and the file seals (F_ADD_SEALS,
// F_GET_SEALS) with Linux's errors; truncate(2) by the /proc/self/fd/N
// name (procfd.go). Usage:
//
//	memfd DIR [-fill]
//
// DIR is a writable directory (for the seals of an ordinary file);
// -fill (the guest only) writes a memfd until the guest's memory is
// used up: the write must fail with ENOSPC or ENOMEM, and the memory come
// back when the memfd is truncated. The same program runs natively on
// Linux, the oracle: both must print the same checks. The end prints
// "memfd ok" if no check failed, else exits 1.
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/gotoro/gotoro/internal/guestcheck"
	"golang.org/x/sys/unix"
)

const page = 4096

func main() {
	guestcheck.KeepGoing()
	debug.SetPanicOnFault(true)
	if len(os.Args) < 2 {
		fmt.Println("usage: memfd DIR [-fill]")
		os.Exit(2)
	}
	testCreate()
	testIO()
	testMappings()
	testTruncateUnderMapping()
	testSeals(os.Args[1])
	testTruncateByName(os.Args[1])
	if len(os.Args) > 2 && os.Args[2] == "-fill" {
		testFill()
	}
	guestcheck.Done("memfd ok")
}

func memfd(name string, flags int) int {
	return guestcheck.Value(unix.MemfdCreate(name, flags))
}

var sink byte

func testCreate() {
	for _, fl := range []int{0x40, 0x100, unix.MFD_EXEC | unix.MFD_NOEXEC_SEAL} {
		_, err := unix.MemfdCreate("x", fl)
		guestcheck.Expect(fmt.Sprintf("memfd_create flags %#x: EINVAL", fl), err, unix.EINVAL)
	}
	fd, err := unix.MemfdCreate(strings.Repeat("n", 249), 0)
	guestcheck.Check("a name of 249 bytes", err == nil, "%v", err)
	unix.Close(fd)
	_, err = unix.MemfdCreate(strings.Repeat("n", 250), 0)
	guestcheck.Expect("a name of 250 bytes: EINVAL", err, unix.EINVAL)
	_, _, e := unix.Syscall(unix.SYS_MEMFD_CREATE, 8, 0, 0)
	guestcheck.Check("a bad name pointer: EFAULT", e == unix.EFAULT, "%v", e)

	fd = memfd("buf", unix.MFD_CLOEXEC)
	fdfl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	guestcheck.Check("MFD_CLOEXEC: FD_CLOEXEC; F_GETFL O_RDWR|O_LARGEFILE", fdfl == unix.FD_CLOEXEC && fl == unix.O_RDWR|0x8000, "F_GETFD %#x F_GETFL %#x", fdfl, fl)
	var st unix.Stat_t
	guestcheck.Must("fstat", unix.Fstat(fd, &st))
	guestcheck.Check("fstat: regular, mode 0777, no link, size 0", st.Mode == unix.S_IFREG|0o777 && st.Nlink == 0 && st.Size == 0,
		"mode %#o nlink %d size %d", st.Mode, st.Nlink, st.Size)
	l, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
	guestcheck.Check("/proc/self/fd: /memfd:buf (deleted)", err == nil && l == "/memfd:buf (deleted)", "%q, %v", l, err)
	var ps unix.Stat_t
	err = unix.Stat(fmt.Sprintf("/proc/self/fd/%d", fd), &ps)
	guestcheck.Check("stat of /proc/self/fd/N follows to the memfd", err == nil && ps.Mode == st.Mode && ps.Ino == st.Ino && ps.Nlink == 0, "%v %#o", err, ps.Mode)
	var fs unix.Statfs_t
	err = unix.Fstatfs(fd, &fs)
	guestcheck.Check("fstatfs: tmpfs", err == nil && fs.Type == unix.TMPFS_MAGIC, "%v %#x", err, fs.Type)
	guestcheck.Expect("fchmod 0600", unix.Fchmod(fd, 0o600), nil)
	unix.Fstat(fd, &st)
	guestcheck.Check("... the mode changes", st.Mode == unix.S_IFREG|0o600, "%#o", st.Mode)
	unix.Close(fd)
	fd = memfd("plain", 0)
	fdfl, _ = unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	guestcheck.Check("no MFD_CLOEXEC: no FD_CLOEXEC", fdfl == 0, "F_GETFD %#x", fdfl)
	unix.Close(fd)
	fd = memfd("noexec", unix.MFD_NOEXEC_SEAL)
	guestcheck.Must("fstat", unix.Fstat(fd, &st))
	seals, err := unix.FcntlInt(uintptr(fd), unix.F_GET_SEALS, 0)
	guestcheck.Check("MFD_NOEXEC_SEAL: mode 0666, sealed F_SEAL_EXEC", st.Mode == unix.S_IFREG|0o666 && err == nil && seals == unix.F_SEAL_EXEC,
		"mode %#o seals %#x %v", st.Mode, seals, err)
	guestcheck.Expect("MFD_NOEXEC_SEAL: chmod +x: EPERM", unix.Fchmod(fd, 0o777), unix.EPERM)
	guestcheck.Expect("MFD_NOEXEC_SEAL: sealing allowed", addSeals(fd, unix.F_SEAL_SHRINK), nil)
	unix.Close(fd)
}

func testIO() {
	fd := memfd("io", 0)
	defer unix.Close(fd)
	n, err := unix.Write(fd, []byte("hello, world"))
	guestcheck.Check("write", n == 12 && err == nil, "%d, %v", n, err)
	off, _ := unix.Seek(fd, 0, unix.SEEK_CUR)
	guestcheck.Check("the offset follows the write", off == 12, "%d", off)
	b := make([]byte, 5)
	n, err = unix.Pread(fd, b, 7)
	guestcheck.Check("pread", n == 5 && string(b) == "world" && err == nil, "%d %q %v", n, b[:max(n, 0)], err)
	off, _ = unix.Seek(fd, 0, unix.SEEK_SET)
	n, err = unix.Read(fd, b)
	guestcheck.Check("lseek SEEK_SET and read", off == 0 && n == 5 && string(b) == "hello", "%d %d %q %v", off, n, b, err)
	off, _ = unix.Seek(fd, -3, unix.SEEK_END)
	n, _ = unix.Read(fd, b)
	guestcheck.Check("lseek SEEK_END", off == 9 && n == 3 && string(b[:3]) == "rld", "%d %d %q", off, n, b[:3])
	n, err = unix.Pwrite(fd, []byte("far"), 3*page)
	guestcheck.Check("pwrite past the end", n == 3 && err == nil, "%d, %v", n, err)
	var st unix.Stat_t
	unix.Fstat(fd, &st)
	guestcheck.Check("the size grows to the pwrite's end", st.Size == 3*page+3, "%d", st.Size)
	hole := make([]byte, page)
	n, _ = unix.Pread(fd, hole, page)
	guestcheck.Check("the hole reads zeros", n == page && bytes.Count(hole, []byte{0}) == page, "%d", n)
	guestcheck.Must("ftruncate", unix.Ftruncate(fd, 5))
	n, _ = unix.Pread(fd, b, 0)
	guestcheck.Check("ftruncate shorter: the rest is gone", n == 5 && string(b) == "hello", "%d %q", n, b)
	guestcheck.Must("ftruncate", unix.Ftruncate(fd, 100))
	n, _ = unix.Pread(fd, hole[:100], 0)
	guestcheck.Check("ftruncate longer: zeros after the data", n == 100 && string(hole[:5]) == "hello" && bytes.Count(hole[5:100], []byte{0}) == 95, "%d", n)
	// 512 MiB of size, no memory: the file is sparse.
	guestcheck.Expect("ftruncate to 512 MiB", unix.Ftruncate(fd, 512<<20), nil)
	unix.Fstat(fd, &st)
	guestcheck.Check("fstat reports 512 MiB", st.Size == 512<<20, "%d", st.Size)
	n, _ = unix.Pread(fd, b, 512<<20-5)
	guestcheck.Check("its end reads zeros", n == 5 && bytes.Equal(b, make([]byte, 5)), "%d %q", n, b)
	guestcheck.Expect("ftruncate -1: EINVAL", unix.Ftruncate(fd, -1), unix.EINVAL)
	guestcheck.Must("ftruncate", unix.Ftruncate(fd, 0))
	// Another description of the file through /proc/self/fd: its own
	// offset, the same data.
	before, _ := unix.Seek(fd, 0, unix.SEEK_CUR)
	g, err := unix.Open(fmt.Sprintf("/proc/self/fd/%d", fd), unix.O_RDWR, 0)
	guestcheck.Check("open /proc/self/fd/N", err == nil, "%v", err)
	if err == nil {
		unix.Write(g, []byte("via proc"))
		off, _ = unix.Seek(fd, 0, unix.SEEK_CUR)
		n, _ = unix.Pread(fd, b, 4)
		guestcheck.Check("... a description of its own on the same file", off == before && n == 4 && string(b[:4]) == "proc", "%d %d %q", off, n, b[:4])
		unix.Close(g)
	}
}

func mapShared(fd, n, prot int) []byte {
	return guestcheck.Value(unix.Mmap(fd, 0, n, prot, unix.MAP_SHARED))
}

func testMappings() {
	fd := memfd("shared", 0)
	defer unix.Close(fd)
	guestcheck.Must("ftruncate", unix.Ftruncate(fd, 2*page))
	m1 := mapShared(fd, 2*page, unix.PROT_READ|unix.PROT_WRITE)
	m2 := mapShared(fd, 2*page, unix.PROT_READ|unix.PROT_WRITE)
	copy(m1[page+10:], "through m1")
	guestcheck.Check("two shared mappings see each other's stores", string(m2[page+10:page+20]) == "through m1", "%q", m2[page+10:page+20])
	b := make([]byte, 10)
	unix.Pread(fd, b, page+10)
	guestcheck.Check("read(2) sees a store through a mapping", string(b) == "through m1", "%q", b)
	unix.Pwrite(fd, []byte("by pwrite"), 100)
	guestcheck.Check("a mapping sees write(2)", string(m1[100:109]) == "by pwrite" && string(m2[100:109]) == "by pwrite", "%q %q", m1[100:109], m2[100:109])
	p := guestcheck.Value(unix.Mmap(fd, 0, page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE))
	p[100] = 'X'
	guestcheck.Check("a private mapping's store stays its own", m1[100] == 'b' && p[100] == 'X', "%q %q", m1[100], p[100])
	unix.Munmap(p)
	unix.Munmap(m2)
	// The file outlives the descriptor while mapped.
	g := memfd("mapped-only", 0)
	unix.Ftruncate(g, page)
	m3 := mapShared(g, page, unix.PROT_READ|unix.PROT_WRITE)
	unix.Close(g)
	copy(m3, "still here")
	guestcheck.Check("a mapping outlives the close", string(m3[:10]) == "still here", "%q", m3[:10])
	unix.Munmap(m3)
	unix.Munmap(m1)
}

// testTruncateUnderMapping truncates a mapped memfd: access past the new
// end raises SIGBUS, the last page's tail reads zero, growing it again
// makes the pages zeros.
func testTruncateUnderMapping() {
	fd := memfd("trunc", 0)
	defer unix.Close(fd)
	unix.Ftruncate(fd, 3*page)
	m := mapShared(fd, 4*page, unix.PROT_READ|unix.PROT_WRITE)
	for i := range 3 * page {
		m[i] = 'a'
	}
	guestcheck.Check("the page past the end faults (SIGBUS)", guestcheck.Faults(func() { sink = m[3*page+1] }), "no fault")
	guestcheck.Must("ftruncate", unix.Ftruncate(fd, page+10))
	guestcheck.Check("a page truncated under the mapping faults", guestcheck.Faults(func() { sink = m[2*page+1] }), "no fault")
	guestcheck.Check("a store there faults too", guestcheck.Faults(func() { m[2*page+5] = 1 }), "no fault")
	guestcheck.Check("the tail of the last page reads zero", m[page+10] == 0 && m[page+9] == 'a', "%q %q", m[page+10], m[page+9])
	unix.Ftruncate(fd, 3*page)
	guestcheck.Check("grown again: the pages read zero, no fault", !guestcheck.Faults(func() { sink = m[2*page+1] }) && m[2*page+1] == 0, "%q", m[2*page+1])
	unix.Munmap(m)
}

func seals(fd int) int {
	s, err := unix.FcntlInt(uintptr(fd), unix.F_GET_SEALS, 0)
	if err != nil {
		return -int(err.(unix.Errno))
	}
	return s
}

func addSeals(fd, s int) error {
	_, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, s)
	return err
}

func testSeals(dir string) {
	fd := memfd("unsealable", 0)
	guestcheck.Check("without MFD_ALLOW_SEALING: F_SEAL_SEAL", seals(fd) == unix.F_SEAL_SEAL, "%#x", seals(fd))
	guestcheck.Expect("without MFD_ALLOW_SEALING: F_ADD_SEALS EPERM", addSeals(fd, unix.F_SEAL_WRITE), unix.EPERM)
	unix.Close(fd)

	fd = memfd("sealed", unix.MFD_ALLOW_SEALING)
	defer unix.Close(fd)
	guestcheck.Check("MFD_ALLOW_SEALING: no seals", seals(fd) == 0, "%#x", seals(fd))
	guestcheck.Expect("an unknown seal: EINVAL", addSeals(fd, 0x40), unix.EINVAL)
	ro, err := unix.Open(fmt.Sprintf("/proc/self/fd/%d", fd), unix.O_RDONLY, 0)
	guestcheck.Check("open /proc/self/fd/N read-only", err == nil, "%v", err)
	if err == nil {
		guestcheck.Expect("F_ADD_SEALS through a read-only description: EPERM", addSeals(ro, unix.F_SEAL_SHRINK), unix.EPERM)
		guestcheck.Check("... F_GET_SEALS through it works", seals(ro) == 0, "%#x", seals(ro))
		_, err = unix.Write(ro, []byte("x"))
		guestcheck.Expect("... write through it: EBADF", err, unix.EBADF)
		guestcheck.Expect("... ftruncate through it: EINVAL", unix.Ftruncate(ro, 0), unix.EINVAL)
		_, err = unix.Mmap(ro, 0, page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		guestcheck.Expect("... a shared writable mapping of it: EACCES", err, unix.EACCES)
		unix.Close(ro)
	}
	unix.Ftruncate(fd, 10000)

	guestcheck.Expect("F_SEAL_SHRINK", addSeals(fd, unix.F_SEAL_SHRINK), nil)
	guestcheck.Expect("F_SEAL_SHRINK: ftruncate shorter EPERM", unix.Ftruncate(fd, 100), unix.EPERM)
	guestcheck.Expect("F_SEAL_SHRINK: ftruncate longer works", unix.Ftruncate(fd, 10000), nil)

	guestcheck.Expect("F_SEAL_GROW", addSeals(fd, unix.F_SEAL_GROW), nil)
	guestcheck.Expect("F_SEAL_GROW: ftruncate longer EPERM", unix.Ftruncate(fd, 20000), unix.EPERM)
	guestcheck.Expect("F_SEAL_GROW: ftruncate to the same size works", unix.Ftruncate(fd, 10000), nil)
	n, err := unix.Pwrite(fd, []byte("inside"), 50)
	guestcheck.Check("F_SEAL_GROW: a write inside works", n == 6 && err == nil, "%d, %v", n, err)
	_, err = unix.Pwrite(fd, []byte("x"), 10000)
	guestcheck.Expect("F_SEAL_GROW: a write at the end EPERM", err, unix.EPERM)
	n, err = unix.Pwrite(fd, make([]byte, 12000), 0)
	guestcheck.Check("F_SEAL_GROW: a write across the end stops at its last page", n == 8192 && err == nil, "%d, %v", n, err)
	var st unix.Stat_t
	unix.Fstat(fd, &st)
	guestcheck.Check("F_SEAL_GROW: the size stays", st.Size == 10000, "%d", st.Size)

	m := mapShared(fd, page, unix.PROT_READ|unix.PROT_WRITE)
	guestcheck.Expect("F_SEAL_WRITE while mapped shared writable: EBUSY", addSeals(fd, unix.F_SEAL_WRITE), unix.EBUSY)
	unix.Munmap(m)
	guestcheck.Expect("F_SEAL_WRITE once unmapped", addSeals(fd, unix.F_SEAL_WRITE), nil)
	_, err = unix.Pwrite(fd, []byte("x"), 0)
	guestcheck.Expect("F_SEAL_WRITE: pwrite EPERM", err, unix.EPERM)
	_, err = unix.Write(fd, []byte("x"))
	guestcheck.Expect("F_SEAL_WRITE: write EPERM", err, unix.EPERM)
	_, err = unix.Writev(fd, [][]byte{[]byte("a"), []byte("b")})
	guestcheck.Expect("F_SEAL_WRITE: writev EPERM", err, unix.EPERM)
	_, err = unix.Mmap(fd, 0, page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	guestcheck.Expect("F_SEAL_WRITE: mmap shared writable EPERM", err, unix.EPERM)
	r, err := unix.Mmap(fd, 0, page, unix.PROT_READ, unix.MAP_SHARED)
	guestcheck.Check("F_SEAL_WRITE: mmap shared read-only works", err == nil && r[50] == 0, "%v", err)
	if err == nil {
		guestcheck.Expect("F_SEAL_WRITE: mprotect of it to writable EACCES", unix.Mprotect(r, unix.PROT_READ|unix.PROT_WRITE), unix.EACCES)
		unix.Munmap(r)
	}
	pm, err := unix.Mmap(fd, 0, page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE)
	guestcheck.Check("F_SEAL_WRITE: mmap private writable works", err == nil, "%v", err)
	if err == nil {
		pm[0] = 1
		unix.Munmap(pm)
	}
	guestcheck.Expect("F_SEAL_SEAL", addSeals(fd, unix.F_SEAL_SEAL), nil)
	guestcheck.Check("F_GET_SEALS: all four", seals(fd) == unix.F_SEAL_SEAL|unix.F_SEAL_SHRINK|unix.F_SEAL_GROW|unix.F_SEAL_WRITE, "%#x", seals(fd))
	guestcheck.Expect("F_SEAL_SEAL: no more seals (EPERM)", addSeals(fd, unix.F_SEAL_EXEC), unix.EPERM)
	guestcheck.Expect("F_SEAL_SEAL: not even none (EPERM)", addSeals(fd, 0), unix.EPERM)

	// F_SEAL_FUTURE_WRITE: mappings made before keep writing.
	f2 := memfd("future", unix.MFD_ALLOW_SEALING)
	unix.Ftruncate(f2, page)
	w := mapShared(f2, page, unix.PROT_READ|unix.PROT_WRITE)
	guestcheck.Expect("F_SEAL_FUTURE_WRITE while mapped writable", addSeals(f2, unix.F_SEAL_FUTURE_WRITE), nil)
	_, err = unix.Pwrite(f2, []byte("x"), 0)
	guestcheck.Expect("F_SEAL_FUTURE_WRITE: pwrite EPERM", err, unix.EPERM)
	_, err = unix.Mmap(f2, 0, page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	guestcheck.Expect("F_SEAL_FUTURE_WRITE: a new shared writable mapping EPERM", err, unix.EPERM)
	guestcheck.Check("F_SEAL_FUTURE_WRITE: the old mapping still writes", !guestcheck.Faults(func() { w[0] = 'w' }), "fault")
	b := make([]byte, 1)
	unix.Pread(f2, b, 0)
	guestcheck.Check("... and read(2) sees it", b[0] == 'w', "%q", b)
	unix.Munmap(w)
	unix.Close(f2)

	// A shared mapping's right to become writable (Linux's VM_MAYWRITE)
	// is fixed when it is made: a read-only one through a description
	// open for writing blocks F_SEAL_WRITE, and one made before
	// F_SEAL_FUTURE_WRITE may still be made writable.
	f4 := memfd("maywrite", unix.MFD_ALLOW_SEALING)
	unix.Ftruncate(f4, page)
	rm := mapShared(f4, page, unix.PROT_READ)
	guestcheck.Expect("F_SEAL_WRITE while mapped shared read-only (may become writable): EBUSY", addSeals(f4, unix.F_SEAL_WRITE), unix.EBUSY)
	guestcheck.Expect("F_SEAL_FUTURE_WRITE while mapped shared read-only", addSeals(f4, unix.F_SEAL_FUTURE_WRITE), nil)
	guestcheck.Expect("F_SEAL_FUTURE_WRITE: mprotect of the older mapping to writable works", unix.Mprotect(rm, unix.PROT_READ|unix.PROT_WRITE), nil)
	guestcheck.Check("... and it writes", !guestcheck.Faults(func() { rm[1] = 'm' }), "fault")
	unix.Munmap(rm)
	nw := mapShared(f4, page, unix.PROT_READ)
	guestcheck.Expect("F_SEAL_FUTURE_WRITE: mprotect of a newer mapping to writable EACCES", unix.Mprotect(nw, unix.PROT_READ|unix.PROT_WRITE), unix.EACCES)
	guestcheck.Expect("F_SEAL_WRITE beside a mapping that may never write", addSeals(f4, unix.F_SEAL_WRITE), nil)
	unix.Munmap(nw)
	unix.Close(f4)

	// F_SEAL_EXEC on an executable memfd implies the write seals.
	f3 := memfd("exec", unix.MFD_ALLOW_SEALING)
	guestcheck.Expect("F_SEAL_EXEC", addSeals(f3, unix.F_SEAL_EXEC), nil)
	want := unix.F_SEAL_EXEC | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE | unix.F_SEAL_FUTURE_WRITE
	guestcheck.Check("F_SEAL_EXEC on mode 0777 implies write, grow and shrink", seals(f3) == want, "%#x", seals(f3))
	guestcheck.Expect("F_SEAL_EXEC: chmod -x EPERM", unix.Fchmod(f3, 0o666), unix.EPERM)
	guestcheck.Expect("F_SEAL_EXEC: chmod keeping x works", unix.Fchmod(f3, 0o755), nil)
	unix.Close(f3)

	// Other files: an ordinary tmpfs file has F_SEAL_SEAL, other file
	// systems and a pipe have no seals.
	path := filepath.Join(dir, "memfd-seals")
	o := guestcheck.Value(unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_TRUNC, 0o600))
	var fs unix.Statfs_t
	unix.Fstatfs(o, &fs)
	s := seals(o)
	guestcheck.Check("F_GET_SEALS of a file of DIR: F_SEAL_SEAL on tmpfs, else EINVAL",
		fs.Type == unix.TMPFS_MAGIC && s == unix.F_SEAL_SEAL || fs.Type != unix.TMPFS_MAGIC && s == -int(unix.EINVAL), "type %#x seals %d", fs.Type, s)
	unix.Close(o)
	os.Remove(path)
	var p [2]int
	unix.Pipe(p[:])
	guestcheck.Check("F_GET_SEALS of a pipe: EINVAL", seals(p[0]) == -int(unix.EINVAL), "%d", seals(p[0]))
	guestcheck.Expect("F_ADD_SEALS of a pipe: EINVAL", addSeals(p[1], unix.F_SEAL_WRITE), unix.EINVAL)
	unix.Close(p[0])
	unix.Close(p[1])
}

// testFill writes a memfd until the memory is gone: ENOSPC or ENOMEM,
// never a crash; truncating gives the memory back.
func testFill() {
	fd := memfd("fill", 0)
	chunk := make([]byte, 1<<20)
	for i := range chunk {
		chunk[i] = byte(i)
	}
	var total int64
	var err error
	for {
		var n int
		n, err = unix.Write(fd, chunk)
		total += int64(max(n, 0))
		if err != nil || n < len(chunk) {
			if err == nil {
				_, err = unix.Write(fd, chunk) // the write after a short one fails
			}
			break
		}
		if total > 1<<30 {
			break
		}
	}
	guestcheck.Check("filling a memfd ends in ENOSPC or ENOMEM", err == unix.ENOSPC || err == unix.ENOMEM, "%v after %d MiB", err, total>>20)
	fmt.Printf("memfd fill: %d MiB written, then %v\n", total>>20, err)
	guestcheck.Must("ftruncate", unix.Ftruncate(fd, 0))
	unix.Close(fd)
	big := make([]byte, 64<<20) // the memory is back
	for i := 0; i < len(big); i += page {
		big[i] = 1
	}
	guestcheck.Check("the memory comes back after truncation", big[len(big)-page] == 1, "")
}
