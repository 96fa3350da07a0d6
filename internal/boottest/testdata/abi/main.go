// Command abi checks Linux system-call semantics the kernel promises: errno
// values, pipes, eventfd, epoll edge triggering, futex, memory protection.
// It prints one line per check and "abi ok" at the end; the first failed
// check prints FAIL and exits 1.
package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"syscall"
	"time"
	"unsafe"

	"github.com/gotoro/gotoro/internal/guestcheck"
)

func errnoOf(r1 uintptr, e syscall.Errno) error {
	if e != 0 {
		return e
	}
	return nil
}

func main() {
	_, err := syscall.Open("/no/such/file", syscall.O_RDONLY, 0)
	guestcheck.Expect("open missing", err, syscall.ENOENT)
	guestcheck.Must("create /tmp/file", os.WriteFile("/tmp/file", nil, 0o644))
	_, err = syscall.Open("/tmp/file/x", syscall.O_RDONLY, 0)
	guestcheck.Expect("open through a file", err, syscall.ENOTDIR)
	_, err = syscall.Open("/", syscall.O_WRONLY, 0)
	guestcheck.Expect("open dir for writing", err, syscall.EISDIR)
	// Run with the argument "native" on Linux to check the other
	// expectations against the real kernel: there / is writable.
	if len(os.Args) < 2 || os.Args[1] != "native" {
		_, err = syscall.Open("/newfile", syscall.O_CREAT|syscall.O_WRONLY, 0o644)
		guestcheck.Expect("create in the packed tree", err, syscall.EROFS)
	}
	guestcheck.Must("mkdir", syscall.Mkdir("/tmp/d", 0o755))
	guestcheck.Expect("mkdir twice", syscall.Mkdir("/tmp/d", 0o755), syscall.EEXIST)
	guestcheck.Must("create", os.WriteFile("/tmp/d/f", []byte("x"), 0o644))
	guestcheck.Expect("rmdir non-empty", syscall.Rmdir("/tmp/d"), syscall.ENOTEMPTY)
	guestcheck.Expect("unlink a directory", syscall.Unlink("/tmp/d"), syscall.EISDIR)
	_, err = syscall.Read(999, make([]byte, 1))
	guestcheck.Expect("read bad fd", err, syscall.EBADF)
	_, _, e := syscall.Syscall(439+100, 0, 0, 0) // no such system call
	guestcheck.Expect("unknown system call", errnoOf(0, e), syscall.ENOSYS)

	// Pipes.
	var p [2]int
	guestcheck.Must("pipe2", syscall.Pipe2(p[:], syscall.O_CLOEXEC))
	_, err = syscall.Seek(p[0], 0, 0)
	guestcheck.Expect("lseek on a pipe", err, syscall.ESPIPE)
	n, err := syscall.Write(p[1], []byte("hello"))
	guestcheck.Must("pipe write", err)
	guestcheck.Must("close write end", syscall.Close(p[1]))
	buf := make([]byte, 16)
	n, err = syscall.Read(p[0], buf)
	if err != nil || string(buf[:n]) != "hello" {
		fmt.Printf("FAIL pipe read: %q %v\n", buf[:n], err)
		os.Exit(1)
	}
	n, err = syscall.Read(p[0], buf)
	if n != 0 || err != nil {
		fmt.Printf("FAIL pipe EOF: %d %v\n", n, err)
		os.Exit(1)
	}
	fmt.Println("ok pipe data then EOF")
	guestcheck.Must("pipe2 again", syscall.Pipe2(p[:], syscall.O_CLOEXEC))
	guestcheck.Must("close read end", syscall.Close(p[0]))
	_, err = syscall.Write(p[1], []byte("x"))
	guestcheck.Expect("write to a pipe with no reader", err, syscall.EPIPE)

	// eventfd and epoll, edge-triggered.
	efd, _, e := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	guestcheck.Must("eventfd2", errnoOf(0, e))
	_, err = syscall.Read(int(efd), buf[:8])
	guestcheck.Expect("read empty nonblocking eventfd", err, syscall.EAGAIN)
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	guestcheck.Must("epoll_create1", err)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | -syscall.EPOLLET, Fd: int32(efd)}
	guestcheck.Must("epoll_ctl add", syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, int(efd), &ev))
	guestcheck.Expect("epoll_ctl add twice", syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, int(efd), &ev), syscall.EEXIST)
	f, err := os.Open("/etc/hosts")
	guestcheck.Must("open /etc/hosts", err)
	guestcheck.Expect("epoll a regular file", syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, int(f.Fd()), &ev), syscall.EPERM)
	events := make([]syscall.EpollEvent, 4)
	if n, _ := syscall.EpollWait(ep, events, 0); n != 0 {
		fmt.Println("FAIL epoll: ready before any write:", n)
		os.Exit(1)
	}
	one := []byte{1, 0, 0, 0, 0, 0, 0, 0}
	syscall.Write(int(efd), one)
	n1, _ := syscall.EpollWait(ep, events, 100)
	n2, _ := syscall.EpollWait(ep, events, 0)
	syscall.Write(int(efd), one)
	n3, _ := syscall.EpollWait(ep, events, 100)
	if n1 != 1 || n2 != 0 || n3 != 1 || events[0].Fd != int32(efd) {
		fmt.Printf("FAIL epoll edge: %d %d %d\n", n1, n2, n3)
		os.Exit(1)
	}
	fmt.Println("ok epoll edge-triggered")
	start := time.Now()
	if n, _ := syscall.EpollWait(ep, events, 50); n != 0 || time.Since(start) < 50*time.Millisecond {
		fmt.Println("FAIL epoll timeout:", n, time.Since(start))
		os.Exit(1)
	}
	fmt.Println("ok epoll timeout")

	// futex.
	var word uint32 = 1
	_, _, e = syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(&word)), 128, 0, 0, 0, 0)
	guestcheck.Expect("futex wait on a changed value", errnoOf(0, e), syscall.EAGAIN)
	ts := syscall.NsecToTimespec(int64(20 * time.Millisecond))
	_, _, e = syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(&word)), 128, 1, uintptr(unsafe.Pointer(&ts)), 0, 0)
	guestcheck.Expect("futex wait timeout", errnoOf(0, e), syscall.ETIMEDOUT)

	// Memory: unmapped and read-only pages fault like on Linux.
	mem, err := syscall.Mmap(-1, 0, 1<<20, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	guestcheck.Must("mmap", err)
	mem[0], mem[len(mem)-1] = 1, 2
	guestcheck.Must("mprotect", syscall.Mprotect(mem[:4096], syscall.PROT_READ))
	debug.SetPanicOnFault(true)
	if !guestcheck.Faults(func() { mem[0] = 3 }) {
		fmt.Println("FAIL write to a read-only page did not fault")
		os.Exit(1)
	}
	fmt.Println("ok write to read-only page faults")
	if mem[len(mem)-1] != 2 {
		fmt.Println("FAIL page content lost")
		os.Exit(1)
	}
	guestcheck.Must("munmap", syscall.Munmap(mem))
	if !guestcheck.Faults(func() { sinkByte = mem[100] }) {
		fmt.Println("FAIL read of an unmapped page did not fault")
		os.Exit(1)
	}
	fmt.Println("ok read of unmapped page faults")
	_, err = syscall.Mmap(-1, 0, 0, syscall.PROT_READ, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	guestcheck.Expect("mmap of length 0", err, syscall.EINVAL)
	checkAltStack(len(os.Args) > 1 && os.Args[1] == "native")
	fmt.Println("abi ok")
}

var sinkByte byte
