//go:build linux

package vsock

import (
	"context"
	"net"
	"os"
	"syscall"
)

// Dial connects to port on the machine with context ID cid (HostCID
// from a guest).
func Dial(cid, port uint32) (*Conn, error) {
	return DialContext(context.Background(), cid, port)
}

// DialContext is Dial with a context that can abort the connection
// attempt.
func DialContext(ctx context.Context, cid, port uint32) (*Conn, error) {
	remote := &Addr{CID: cid, Port: port}
	fail := func(err error) (*Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: "vsock", Addr: remote, Err: err}
	}
	fd, err := socket()
	if err != nil {
		return fail(err)
	}
	e := sockaddrCall(syscall.SYS_CONNECT, fd, newSockaddr(cid, port))
	if e != 0 && e != syscall.EINPROGRESS && e != syscall.EINTR {
		syscall.Close(fd)
		return fail(os.NewSyscallError("connect", e))
	}
	f := os.NewFile(uintptr(fd), "vsock-dial")
	if e != 0 {
		if err := waitConnected(ctx, f); err != nil {
			f.Close()
			return fail(err)
		}
	}
	local, e := getname(fd, false)
	if e != 0 {
		f.Close()
		return fail(os.NewSyscallError("getsockname", e))
	}
	return &Conn{f: f, local: local, remote: remote}, nil
}

// waitConnected waits in the netpoller until a non-blocking connect on f
// finishes, as the net package does: the socket becomes writable, then
// SO_ERROR says how it went.
func waitConnected(ctx context.Context, f *os.File) error {
	if d, ok := ctx.Deadline(); ok {
		f.SetWriteDeadline(d)
		defer f.SetWriteDeadline(noDeadline)
	}
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { f.SetWriteDeadline(aLongTimeAgo) })
		defer stop()
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var cerr error
	werr := rc.Write(func(fd uintptr) bool {
		v, err := syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_ERROR)
		if err != nil {
			cerr = os.NewSyscallError("getsockopt", err)
			return true
		}
		if v != 0 {
			cerr = os.NewSyscallError("connect", syscall.Errno(v))
			return true
		}
		if _, e := getname(int(fd), true); e == syscall.ENOTCONN {
			return false // still connecting
		}
		return true
	})
	if werr != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return werr
	}
	return cerr
}
