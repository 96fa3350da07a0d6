// Command readonly gives system calls that write to memory a buffer in
// the program's read-only data or its code: each must fail with EFAULT,
// write nothing and leave the program running, as on Linux; calls that
// only read the buffer (write(2) of a string literal) must work. It
// prints "ok NAME" per check and "readonly ok" at the end; it runs the
// same on Linux (go run ./internal/boottest/testdata/readonly DIR), which
// the boot test holds the guest's lines against.
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/gotoro/gotoro/internal/guestcheck"
)

const (
	s64  = "read-only data of the program, which no system call may write. "
	s1k  = s64 + s64 + s64 + s64 + s64 + s64 + s64 + s64 + s64 + s64 + s64 + s64 + s64 + s64 + s64 + s64
	s4k  = s1k + s1k + s1k + s1k
	roDa = s4k + s4k + s4k // three pages: two whole ones lie in it
	page = 4096
)

// atFDCWD is AT_FDCWD as a system-call argument.
var atFDCWD = func() uintptr { fd := unix.AT_FDCWD; return uintptr(fd) }()

// roPage returns the first whole page of read-only data in roDa.
func roPage() unsafe.Pointer {
	p := unsafe.Pointer(unsafe.StringData(roDa))
	return unsafe.Add(p, -uintptr(p)&(page-1))
}

// textAddr returns the address of main's code: a func value points to
// a word holding it.
func textAddr() unsafe.Pointer {
	f := main
	return **(**unsafe.Pointer)(unsafe.Pointer(&f))
}

func bytesAt(p unsafe.Pointer, n int) []byte { return unsafe.Slice((*byte)(p), n) }

// efault checks that a call returned EFAULT.
func efault(name string, err error) {
	guestcheck.Check(name, err == syscall.EFAULT, "got %v, want EFAULT", err)
}

// raw makes a system call and returns its error (nil for success).
func raw(trap uintptr, a ...uintptr) error {
	var args [6]uintptr
	copy(args[:], a)
	_, _, e := syscall.Syscall6(trap, args[0], args[1], args[2], args[3], args[4], args[5])
	if e != 0 {
		return e
	}
	return nil
}

func main() {
	if len(os.Args) < 2 {
		fmt.Println("usage: readonly DIR")
		os.Exit(2)
	}
	guestcheck.KeepGoing()
	dir, err := os.MkdirTemp(os.Args[1], "readonly")
	guestcheck.Must("tempdir", err)
	defer os.RemoveAll(dir)

	ro, text := roPage(), textAddr()
	roBefore := bytes.Clone(bytesAt(ro, page))
	textBefore := bytes.Clone(bytesAt(text, 256))

	content := []byte("the file's first bytes, read after a read that failed")
	name := filepath.Join(dir, "f")
	guestcheck.Must("write file", os.WriteFile(name, content, 0o644))
	fd, err := syscall.Open(name, syscall.O_RDONLY, 0)
	guestcheck.Must("open", err)
	defer syscall.Close(fd)

	_, err = syscall.Read(fd, bytesAt(ro, 64))
	efault("read-file-rodata", err)
	_, err = syscall.Read(fd, bytesAt(text, 64))
	efault("read-file-text", err)
	got := make([]byte, len(content))
	n, err := syscall.Read(fd, got)
	guestcheck.Check("read-file-offset-kept", err == nil && n == len(content) && bytes.Equal(got, content), "then read %d %q, %v", n, got[:max(n, 0)], err)
	_, err = syscall.Pread(fd, bytesAt(ro, 64), 0)
	efault("pread-rodata", err)
	iov := []syscall.Iovec{{Base: (*byte)(ro), Len: 64}}
	_, err = syscall.Seek(fd, 0, 0)
	guestcheck.Must("lseek", err)
	efault("readv-rodata", raw(syscall.SYS_READV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), 1))
	efault("fstat-rodata", raw(syscall.SYS_FSTAT, uintptr(fd), uintptr(ro)))
	root := []byte("/\x00")
	efault("statx-text", raw(unix.SYS_STATX, atFDCWD, uintptr(unsafe.Pointer(&root[0])), 0, unix.STATX_BASIC_STATS, uintptr(text)))
	efault("statx-rodata", raw(unix.SYS_STATX, atFDCWD, uintptr(unsafe.Pointer(&root[0])), 0, unix.STATX_BASIC_STATS, uintptr(ro)))

	dfd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	guestcheck.Must("open dir", err)
	defer syscall.Close(dfd)
	efault("getdents64-rodata", raw(syscall.SYS_GETDENTS64, uintptr(dfd), uintptr(ro), page))

	var p [2]int
	guestcheck.Must("pipe", syscall.Pipe(p[:]))
	_, err = syscall.Write(p[1], []byte("piped"))
	guestcheck.Must("pipe write", err)
	_, err = syscall.Read(p[0], bytesAt(ro, 64))
	efault("read-pipe-rodata", err)
	got = make([]byte, 16)
	n, err = syscall.Read(p[0], got)
	guestcheck.Check("read-pipe-data-kept", err == nil && string(got[:max(n, 0)]) == "piped", "then read %q, %v", got[:max(n, 0)], err)

	sp, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	guestcheck.Must("socketpair", err)
	_, err = syscall.Write(sp[1], []byte("sent"))
	guestcheck.Must("socket write", err)
	efault("recvfrom-rodata", raw(syscall.SYS_RECVFROM, uintptr(sp[0]), uintptr(ro), 64, 0, 0, 0))
	alen := uint32(page)
	efault("getsockname-rodata", raw(syscall.SYS_GETSOCKNAME, uintptr(sp[0]), uintptr(ro), uintptr(unsafe.Pointer(&alen))))

	efault("clock_gettime-rodata", raw(syscall.SYS_CLOCK_GETTIME, uintptr(unix.CLOCK_MONOTONIC), uintptr(ro)))
	efault("getrandom-rodata", raw(unix.SYS_GETRANDOM, uintptr(ro), 16, 0))
	efault("uname-rodata", raw(syscall.SYS_UNAME, uintptr(ro)))
	efault("sysinfo-rodata", raw(syscall.SYS_SYSINFO, uintptr(ro)))
	efault("getcwd-rodata", raw(syscall.SYS_GETCWD, uintptr(ro), 256))
	efault("pipe2-rodata", raw(syscall.SYS_PIPE2, uintptr(ro), 0))
	efault("prlimit64-rodata", raw(syscall.SYS_PRLIMIT64, 0, uintptr(syscall.RLIMIT_NOFILE), 0, uintptr(ro)))
	efault("rt_sigprocmask-rodata", raw(syscall.SYS_RT_SIGPROCMASK, uintptr(unix.SIG_BLOCK), 0, uintptr(ro), 8))
	link := filepath.Join(dir, "l")
	guestcheck.Must("symlink", os.Symlink("f", link))
	lp := append([]byte(link), 0)
	efault("readlink-rodata", raw(syscall.SYS_READLINKAT, atFDCWD, uintptr(unsafe.Pointer(&lp[0])), uintptr(ro), 64))

	ep, err := syscall.EpollCreate1(0)
	guestcheck.Must("epoll_create1", err)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(sp[0])}
	guestcheck.Must("epoll_ctl", syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, sp[0], &ev))
	efault("epoll_wait-rodata", raw(syscall.SYS_EPOLL_PWAIT, uintptr(ep), uintptr(ro), 1, 0, 0, 8))

	guestcheck.Check("rodata-unchanged", bytes.Equal(bytesAt(ro, page), roBefore), "a failed call wrote into the read-only data")
	guestcheck.Check("text-unchanged", bytes.Equal(bytesAt(text, 256), textBefore), "a failed call wrote into the code")

	// Calls that only read the buffer work from read-only memory.
	out := filepath.Join(dir, "out")
	wfd, err := syscall.Open(out, syscall.O_RDWR|syscall.O_CREAT, 0o644)
	guestcheck.Must("open out", err)
	defer syscall.Close(wfd)
	n, err = syscall.Write(wfd, bytesAt(ro, page))
	guestcheck.Check("write-from-rodata", err == nil && n == page, "wrote %d, %v", n, err)
	n, err = syscall.Pwrite(wfd, bytesAt(text, 256), page)
	guestcheck.Check("pwrite-from-text", err == nil && n == 256, "wrote %d, %v", n, err)
	back, err := os.ReadFile(out)
	guestcheck.Check("written-back", err == nil && bytes.Equal(back[:page], roBefore) && bytes.Equal(back[page:], textBefore), "read back %d bytes, %v", len(back), err)
	n, err = syscall.Write(sp[1], bytesAt(ro, 64))
	guestcheck.Check("send-from-rodata", err == nil && n == 64, "sent %d, %v", n, err)
	lit := "a string literal, written from the read-only data\n"
	n, err = syscall.Write(wfd, unsafe.Slice(unsafe.StringData(lit), len(lit)))
	guestcheck.Check("write-string-literal", err == nil && n == len(lit), "wrote %d, %v", n, err)

	guestcheck.Done("readonly ok")
}
