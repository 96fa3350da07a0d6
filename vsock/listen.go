//go:build linux

package vsock

import (
	"net"
	"os"
	"syscall"
	"time"
)

var (
	noDeadline   = time.Time{}
	aLongTimeAgo = time.Unix(1, 0)
)

// Listener accepts vsock connections on one port.
type Listener struct {
	f    *os.File
	addr *Addr
}

var _ net.Listener = (*Listener)(nil)

// Listen listens on port of every local CID.
func Listen(port uint32) (*Listener, error) {
	addr := &Addr{CID: AnyCID, Port: port}
	fail := func(err error) (*Listener, error) {
		return nil, &net.OpError{Op: "listen", Net: "vsock", Addr: addr, Err: err}
	}
	fd, err := socket()
	if err != nil {
		return fail(err)
	}
	if e := sockaddrCall(syscall.SYS_BIND, fd, newSockaddr(AnyCID, port)); e != 0 {
		syscall.Close(fd)
		return fail(os.NewSyscallError("bind", e))
	}
	if err := syscall.Listen(fd, 128); err != nil {
		syscall.Close(fd)
		return fail(os.NewSyscallError("listen", err))
	}
	if a, e := getname(fd, false); e == 0 {
		addr = a
	}
	return &Listener{f: os.NewFile(uintptr(fd), "vsock-listener"), addr: addr}, nil
}

// Accept waits for the next connection.
func (l *Listener) Accept() (net.Conn, error) {
	rc, err := l.f.SyscallConn()
	if err != nil {
		return nil, l.opErr(err)
	}
	var nfd int
	var remote *Addr
	var aerr error
	err = rc.Read(func(fd uintptr) bool {
		var e syscall.Errno
		nfd, remote, e = accept4(int(fd))
		switch e {
		case syscall.EAGAIN:
			return false
		case 0:
		default:
			aerr = os.NewSyscallError("accept4", e)
		}
		return true
	})
	if err != nil {
		return nil, l.opErr(err)
	}
	if aerr != nil {
		return nil, l.opErr(aerr)
	}
	local, e := getname(nfd, false)
	if e != 0 {
		local = l.addr
	}
	return newConn(nfd, local, remote), nil
}

func (l *Listener) opErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		err = pe.Err
	}
	return &net.OpError{Op: "accept", Net: "vsock", Addr: l.addr, Err: err}
}

// Close stops listening; a blocked Accept returns an error.
func (l *Listener) Close() error { return l.f.Close() }

// Addr returns the listening address (*Addr).
func (l *Listener) Addr() net.Addr { return l.addr }
