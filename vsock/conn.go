//go:build linux

package vsock

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// Conn is a vsock stream connection.
type Conn struct {
	f             *os.File
	local, remote *Addr
}

var _ net.Conn = (*Conn)(nil)

// newConn wraps a connected non-blocking socket.
func newConn(fd int, local, remote *Addr) *Conn {
	return &Conn{f: os.NewFile(uintptr(fd), "vsock:"+remote.String()), local: local, remote: remote}
}

func (c *Conn) opErr(op string, err error) error {
	if err == nil || errors.Is(err, io.EOF) {
		return err
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = os.ErrDeadlineExceeded
		}
	}
	return &net.OpError{Op: op, Net: "vsock", Source: c.local, Addr: c.remote, Err: err}
}

// Read reads data; it returns io.EOF once the peer closed its side.
func (c *Conn) Read(b []byte) (int, error) {
	n, err := c.f.Read(b)
	return n, c.opErr("read", err)
}

// Write writes data.
func (c *Conn) Write(b []byte) (int, error) {
	n, err := c.f.Write(b)
	return n, c.opErr("write", err)
}

// Close closes the connection.
func (c *Conn) Close() error { return c.opErr("close", c.f.Close()) }

// CloseWrite shuts down the writing side: the peer reads end of file.
func (c *Conn) CloseWrite() error { return c.shutdown(syscall.SHUT_WR) }

// CloseRead shuts down the reading side.
func (c *Conn) CloseRead() error { return c.shutdown(syscall.SHUT_RD) }

func (c *Conn) shutdown(how int) error {
	rc, err := c.f.SyscallConn()
	if err != nil {
		return c.opErr("shutdown", err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.Shutdown(int(fd), how) }); err != nil {
		return c.opErr("shutdown", err)
	}
	return c.opErr("shutdown", os.NewSyscallError("shutdown", serr))
}

// LocalAddr returns the local address (*Addr).
func (c *Conn) LocalAddr() net.Addr { return c.local }

// RemoteAddr returns the peer's address (*Addr).
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// SetDeadline sets the read and write deadlines.
func (c *Conn) SetDeadline(t time.Time) error { return c.f.SetDeadline(t) }

// SetReadDeadline sets the read deadline.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.f.SetReadDeadline(t) }

// SetWriteDeadline sets the write deadline.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.f.SetWriteDeadline(t) }

// SyscallConn gives access to the socket descriptor.
func (c *Conn) SyscallConn() (syscall.RawConn, error) { return c.f.SyscallConn() }
