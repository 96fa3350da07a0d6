//go:build linux

package vsock

import (
	"encoding/binary"
	"os"
	"syscall"
	"unsafe"
)

const (
	afVsock       = 40
	sockaddrVMLen = 16
)

// sockaddrVM is struct sockaddr_vm.
type sockaddrVM [sockaddrVMLen]byte

func newSockaddr(cid, port uint32) *sockaddrVM {
	var sa sockaddrVM
	binary.LittleEndian.PutUint16(sa[0:], afVsock)
	binary.LittleEndian.PutUint32(sa[4:], port)
	binary.LittleEndian.PutUint32(sa[8:], cid)
	return &sa
}

func (sa *sockaddrVM) addr() *Addr {
	return &Addr{CID: binary.LittleEndian.Uint32(sa[8:]), Port: binary.LittleEndian.Uint32(sa[4:])}
}

// socket creates a non-blocking, close-on-exec vsock stream socket.
func socket() (int, error) {
	fd, err := syscall.Socket(afVsock, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	return fd, nil
}

func sockaddrCall(nr uintptr, fd int, sa *sockaddrVM) syscall.Errno {
	_, _, e := syscall.Syscall(nr, uintptr(fd), uintptr(unsafe.Pointer(sa)), sockaddrVMLen)
	return e
}

// getname reads the local (peer false) or remote address of fd.
func getname(fd int, peer bool) (*Addr, syscall.Errno) {
	var sa sockaddrVM
	n := uint32(sockaddrVMLen)
	nr := uintptr(syscall.SYS_GETSOCKNAME)
	if peer {
		nr = syscall.SYS_GETPEERNAME
	}
	_, _, e := syscall.Syscall(nr, uintptr(fd), uintptr(unsafe.Pointer(&sa)), uintptr(unsafe.Pointer(&n)))
	if e != 0 {
		return nil, e
	}
	return sa.addr(), 0
}

// accept4 accepts one connection on fd, non-blocking and close-on-exec.
func accept4(fd int) (int, *Addr, syscall.Errno) {
	var sa sockaddrVM
	n := uint32(sockaddrVMLen)
	r, _, e := syscall.Syscall6(syscall.SYS_ACCEPT4, uintptr(fd), uintptr(unsafe.Pointer(&sa)), uintptr(unsafe.Pointer(&n)),
		syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0, 0)
	if e != 0 {
		return -1, nil, e
	}
	return int(r), sa.addr(), 0
}
