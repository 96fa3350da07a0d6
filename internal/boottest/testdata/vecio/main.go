// Command vecio checks preadv, pwritev, preadv2 and pwritev2 through
// golang.org/x/sys/unix on a /tmp file, a memfd, a file of the image
// tree, a pipe, a socket, /dev/null and /dev/zero: offsets (the file
// offset stays, preadv2 and pwritev2 at -1 use and move it), empty and
// oversized iovecs, bad pointers, RWF_* flags, short reads at the end,
// O_APPEND; what RWF_NOWAIT, RWF_NOSIGNAL and RWF_NOAPPEND do (rwf.go).
// Usage:
//
//	vecio DIR FILE
//
// DIR is a writable directory, FILE a file of the image tree (read-only
// in the guest). Each check names the result it saw, so the guest's
// lines must equal the ones Linux, the oracle, prints. The end prints
// "vecio ok" if no check failed, else exits 1.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"unsafe"

	"github.com/gotoro/gotoro/internal/guestcheck"
	"golang.org/x/sys/unix"
)

func main() {
	guestcheck.KeepGoing()
	if len(os.Args) < 3 {
		fmt.Println("usage: vecio DIR FILE")
		os.Exit(2)
	}
	f, err := os.OpenFile(filepath.Join(os.Args[1], "vecio"), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	guestcheck.Must("create a file", err)
	testFile("tmp", int(f.Fd()))
	m := guestcheck.Value(unix.MemfdCreate("vecio", 0))
	testFile("memfd", m)
	testAppend(filepath.Join(os.Args[1], "append"))
	testTree(os.Args[2])
	testStreams()
	testDevices()
	testNowait()
	testNosignal()
	testNoappend(filepath.Join(os.Args[1], "noappend"))
	guestcheck.Done("vecio ok")
}

// errName is a call's result as a check prints it.
func errName(n int, err error) string {
	if err != nil {
		return fmt.Sprintf("error %v", err)
	}
	return fmt.Sprintf("%d bytes", n)
}

// see prints a check named by what the call returned (compared with
// Linux's line).
func see(name string, n int, err error) {
	guestcheck.Check(name+": "+errName(n, err), true, "")
}

// offset returns fd's file offset.
func offset(fd int) int64 {
	return guestcheck.Value(unix.Seek(fd, 0, 1))
}

// rawv is preadv2/pwritev2 (or preadv/pwritev with no flags) on raw
// arguments.
func rawv(nr uintptr, fd int, iov uintptr, cnt int, off int64, flags int) (int, error) {
	r, _, e := syscall.Syscall6(nr, uintptr(fd), iov, uintptr(cnt), uintptr(off), 0, uintptr(flags))
	if e != 0 {
		return int(r), e
	}
	return int(r), nil
}

func testFile(kind string, fd int) {
	p := func(s string) string { return kind + ": " + s }
	n, err := unix.Pwritev(fd, [][]byte{[]byte("hello "), {}, []byte("world")}, 4)
	see(p("pwritev of three buffers at 4"), n, err)
	guestcheck.Check(p("pwritev leaves the file offset at 0"), offset(fd) == 0, "%d", offset(fd))
	a, b := make([]byte, 3), make([]byte, 20)
	n, err = unix.Preadv(fd, [][]byte{a, b}, 2)
	see(p("preadv past the end is short"), n, err)
	guestcheck.Check(p("preadv reads the holes as zeros and the data"), string(a)+string(b[:n-3]) == "\x00\x00hello world", "%q %q", a, b)
	guestcheck.Check(p("preadv leaves the file offset at 0"), offset(fd) == 0, "%d", offset(fd))
	n, err = unix.Preadv(fd, [][]byte{b}, 100)
	see(p("preadv at 100, past the end"), n, err)
	n, err = unix.Preadv(fd, nil, 0)
	see(p("preadv of no buffers"), n, err)
	n, err = unix.Preadv(fd, [][]byte{{}}, 0)
	see(p("preadv of an empty buffer"), n, err)
	n, err = unix.Preadv(fd, [][]byte{b}, -1)
	see(p("preadv at -1"), n, err)
	n, err = unix.Pwritev(fd, [][]byte{b}, -5)
	see(p("pwritev at -5"), n, err)
	many := make([][]byte, 1025)
	for i := range many {
		many[i] = b[:1]
	}
	n, err = unix.Preadv(fd, many, 0)
	see(p("preadv of 1025 buffers"), n, err)
	n, err = unix.Preadv(fd, many[:1024], 0)
	see(p("preadv of 1024 buffers"), n, err)

	// preadv2 and pwritev2 at -1 use and move the file offset.
	guestcheck.Value(unix.Seek(fd, 4, 0))
	n, err = unix.Preadv2(fd, [][]byte{a}, -1, 0)
	see(p("preadv2 at -1"), n, err)
	guestcheck.Check(p("preadv2 at -1 reads at the offset and moves it"), string(a) == "hel" && offset(fd) == 7, "%q %d", a, offset(fd))
	n, err = unix.Pwritev2(fd, [][]byte{[]byte("LO")}, -1, 0)
	see(p("pwritev2 at -1"), n, err)
	guestcheck.Check(p("pwritev2 at -1 moves the offset"), offset(fd) == 9, "%d", offset(fd))
	n, err = unix.Preadv2(fd, [][]byte{b}, 0, 0)
	guestcheck.Check(p("preadv2 at 0 sees pwritev2's bytes"), err == nil && string(b[:n]) == "\x00\x00\x00\x00helLO world", "%q %v", b[:n], err)

	for _, fl := range []struct {
		name string
		v    int
	}{{"RWF_HIPRI", unix.RWF_HIPRI}, {"RWF_DSYNC", unix.RWF_DSYNC}, {"RWF_SYNC", unix.RWF_SYNC}, {"RWF_NOWAIT", unix.RWF_NOWAIT}, {"RWF_APPEND", unix.RWF_APPEND}, {"RWF_APPEND|NOAPPEND", 0x30}, {"RWF_ATOMIC", 0x40}, {"RWF_DONTCACHE", 0x80}, {"RWF_NOSIGNAL", 0x100}, {"flag 0x200", 0x200}, {"flag 1<<31", 1 << 31}} {
		n, err = unix.Preadv2(fd, [][]byte{a}, 0, fl.v)
		see(p("preadv2 "+fl.name), n, err)
		n, err = rawv(unix.SYS_PREADV2, fd, 0, 0, 0, fl.v)
		see(p("preadv2 of no buffers "+fl.name), n, err)
	}
	for _, fl := range []struct {
		name string
		v    int
	}{{"RWF_HIPRI", unix.RWF_HIPRI}, {"RWF_DSYNC", unix.RWF_DSYNC}, {"RWF_SYNC", unix.RWF_SYNC}, {"RWF_NOWAIT", unix.RWF_NOWAIT}, {"RWF_ATOMIC", 0x40}, {"RWF_NOSIGNAL", 0x100}, {"flag 0x200", 0x200}} {
		n, err = unix.Pwritev2(fd, [][]byte{[]byte("x")}, 1, fl.v)
		see(p("pwritev2 "+fl.name), n, err)
	}
	st := func() int64 {
		var s unix.Stat_t
		guestcheck.Must("fstat", unix.Fstat(fd, &s))
		return s.Size
	}
	size := st()
	guestcheck.Value(unix.Seek(fd, 2, 0))
	n, err = unix.Pwritev2(fd, [][]byte{[]byte("AP")}, 0, unix.RWF_APPEND)
	see(p("pwritev2 at 0 with RWF_APPEND"), n, err)
	guestcheck.Check(p("RWF_APPEND at an offset writes at the end, the offset stays"), st() == size+2 && offset(fd) == 2, "size %d offset %d", st(), offset(fd))
	n, err = unix.Pwritev2(fd, [][]byte{[]byte("AQ")}, -1, unix.RWF_APPEND)
	see(p("pwritev2 at -1 with RWF_APPEND"), n, err)
	guestcheck.Check(p("RWF_APPEND at -1 writes at the end and moves the offset there"), st() == size+4 && offset(fd) == size+4, "size %d offset %d", st(), offset(fd))

	// Bad pointers: the iovec itself, and a buffer in it.
	n, err = rawv(unix.SYS_PREADV, fd, 8, 1, 0, 0)
	see(p("preadv of an iovec at 8"), n, err)
	n, err = rawv(unix.SYS_PWRITEV, fd, 8, 1, 0, 0)
	see(p("pwritev of an iovec at 8"), n, err)
	size = st()
	before := make([]byte, 4)
	guestcheck.Value(unix.Pread(fd, before, 0))
	bad := [2]uintptr{8, 4}
	n, err = rawv(unix.SYS_PWRITEV, fd, uintptr(unsafe.Pointer(&bad[0])), 1, 0, 0)
	see(p("pwritev of a buffer at 8"), n, err)
	n, err = rawv(unix.SYS_PWRITEV, fd, uintptr(unsafe.Pointer(&bad[0])), 1, size+100, 0)
	see(p("pwritev of a buffer at 8 past the end"), n, err)
	head := make([]byte, 4)
	n, err = unix.Pread(fd, head, 0)
	guestcheck.Check(p("a pwritev that faulted wrote no data"), err == nil && n == 4 && string(head) == string(before), "%q, was %q, %v", head, before, err)
	n, err = rawv(unix.SYS_PREADV, fd, uintptr(unsafe.Pointer(&bad[0])), 1, 0, 0)
	see(p("preadv into a buffer at 8"), n, err)
	x := []byte("12345678")
	huge := []unix.Iovec{{Base: &x[0], Len: 1 << 62}, {Base: &x[0], Len: 1 << 62}, {Base: &x[0], Len: 1 << 62}}
	n, err = rawv(unix.SYS_PREADV, fd, uintptr(unsafe.Pointer(&huge[0])), 3, 0, 0)
	see(p("preadv whose lengths overflow ssize_t"), n, err)
	neg := []unix.Iovec{{Base: &x[0], Len: 1 << 63}}
	n, err = rawv(unix.SYS_PREADV, fd, uintptr(unsafe.Pointer(&neg[0])), 1, 0, 0)
	see(p("preadv of a negative length"), n, err)
	n, err = unix.Preadv(12345, [][]byte{a}, 0)
	see(p("preadv on a closed descriptor"), n, err)
}

// testAppend: pwritev on an O_APPEND file appends (Linux), and the offset
// is not moved.
func testAppend(path string) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
	guestcheck.Must("create an O_APPEND file", err)
	fd := int(f.Fd())
	n, err := unix.Pwritev(fd, [][]byte{[]byte("abc")}, 0)
	see("O_APPEND: pwritev at 0", n, err)
	n, err = unix.Pwritev(fd, [][]byte{[]byte("de")}, 0)
	see("O_APPEND: pwritev at 0 again", n, err)
	b := make([]byte, 10)
	n, _ = unix.Pread(fd, b, 0)
	guestcheck.Check("O_APPEND: pwritev appended: "+string(b[:n]), true, "")
	guestcheck.Check(fmt.Sprintf("O_APPEND: the offset after pwritev is %d", offset(fd)), true, "")
	n, err = unix.Pwrite(fd, []byte("f"), 0)
	see("O_APPEND: pwrite at 0", n, err)
	n, _ = unix.Pread(fd, b, 0)
	guestcheck.Check("O_APPEND: pwrite appended: "+string(b[:n]), true, "")
	f.Close()
}

// testTree: a file of the image tree, opened read-only.
func testTree(path string) {
	fd, err := unix.Open(path, unix.O_RDONLY, 0)
	guestcheck.Must("open the tree's file", err)
	a := make([]byte, 7)
	n, err := unix.Preadv(fd, [][]byte{a[:3], a[3:]}, 3)
	want := make([]byte, 7)
	m, _ := unix.Pread(fd, want, 3)
	guestcheck.Check("tree: preadv reads what pread reads", err == nil && n == m && string(a) == string(want), "%q %q %v", a, want, err)
	n, err = unix.Pwritev(fd, [][]byte{a}, 0)
	see("tree: pwritev on a read-only descriptor", n, err)
	n, err = unix.Pwritev2(fd, [][]byte{a}, -1, 0)
	see("tree: pwritev2 at -1 on a read-only descriptor", n, err)
	unix.Close(fd)
}

// testStreams: pipes and sockets have no offsets.
func testStreams() {
	var p [2]int
	guestcheck.Must("pipe", unix.Pipe(p[:]))
	a := make([]byte, 4)
	n, err := unix.Pwritev(p[1], [][]byte{[]byte("pipe")}, 0)
	see("pipe: pwritev at 0", n, err)
	n, err = rawv(unix.SYS_PWRITEV, p[1], 0, 0, 0, 0)
	see("pipe: pwritev of no buffers at 0", n, err)
	n, err = unix.Pwritev2(p[1], [][]byte{[]byte("pi"), []byte("pe")}, -1, 0)
	see("pipe: pwritev2 at -1", n, err)
	n, err = unix.Preadv(p[0], [][]byte{a}, 0)
	see("pipe: preadv at 0", n, err)
	n, err = rawv(unix.SYS_PREADV, p[0], 0, 0, 0, 0)
	see("pipe: preadv of no buffers at 0", n, err)
	n, err = unix.Preadv2(p[0], [][]byte{a[:1], a[1:]}, -1, unix.RWF_NOWAIT)
	see("pipe: preadv2 at -1 RWF_NOWAIT with data", n, err)
	guestcheck.Check("pipe: preadv2 read "+string(a[:n]), true, "")
	unix.Close(p[0])
	unix.Close(p[1])

	s, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	guestcheck.Must("socketpair", err)
	n, err = unix.Pwritev(s[0], [][]byte{[]byte("sock")}, 0)
	see("socket: pwritev at 0", n, err)
	n, err = unix.Pwritev2(s[0], [][]byte{[]byte("so"), []byte("ck")}, -1, 0)
	see("socket: pwritev2 at -1", n, err)
	n, err = unix.Preadv(s[1], [][]byte{a}, 0)
	see("socket: preadv at 0", n, err)
	n, err = unix.Preadv2(s[1], [][]byte{a}, -1, 0)
	see("socket: preadv2 at -1", n, err)
	guestcheck.Check("socket: preadv2 read "+string(a[:n]), true, "")
	unix.Close(s[0])
	unix.Close(s[1])
}

// testDevices: /dev/null and /dev/zero take offsets.
func testDevices() {
	null := guestcheck.Value(unix.Open("/dev/null", unix.O_RDWR, 0))
	a := []byte("abcd")
	n, err := unix.Pwritev(null, [][]byte{a, a}, 100)
	see("/dev/null: pwritev at 100", n, err)
	n, err = unix.Preadv(null, [][]byte{a}, 100)
	see("/dev/null: preadv at 100", n, err)
	unix.Close(null)
	zero := guestcheck.Value(unix.Open("/dev/zero", unix.O_RDWR, 0))
	n, err = unix.Preadv(zero, [][]byte{a[:1], a[1:]}, 5)
	see("/dev/zero: preadv at 5", n, err)
	guestcheck.Check("/dev/zero: preadv reads zeros", string(a) == "\x00\x00\x00\x00", "%q", a)
	n, err = unix.Pwritev2(zero, [][]byte{a}, -1, 0)
	see("/dev/zero: pwritev2 at -1", n, err)
	unix.Close(zero)
}
