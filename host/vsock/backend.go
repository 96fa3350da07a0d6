package vsock

import (
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/gotoro/gotoro/host/vhostuser"
)

// Backend is a running vsock device behind a vhost-user socket, the
// whole host side of a guest's vsock: start it before QEMU, which
// connects to SocketPath, and close it after QEMU is gone.
type Backend struct {
	Device     *Device
	SocketPath string
	l          *net.UnixListener
	mu         sync.Mutex
	session    *net.UnixConn
	closing    bool
	done       chan struct{}
	err        error
}

// Start listens for QEMU on socketPath and creates the device (which
// listens on cfg's host sockets).
func Start(socketPath string, cfg Config) (*Backend, error) {
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: socketPath, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("vsock backend: %w", err)
	}
	d, err := New(cfg)
	if err != nil {
		l.Close()
		return nil, err
	}
	b := &Backend{Device: d, SocketPath: socketPath, l: l, done: make(chan struct{})}
	go b.serve()
	return b, nil
}

// serve serves QEMU's connections one after the other until Close.
func (b *Backend) serve() {
	defer close(b.done)
	for {
		c, err := b.l.AcceptUnix()
		if err != nil {
			return
		}
		b.mu.Lock()
		if b.closing {
			b.mu.Unlock()
			c.Close()
			return
		}
		b.session = c
		b.mu.Unlock()
		err = vhostuser.Serve(c, b.Device)
		c.Close()
		b.mu.Lock()
		b.session = nil
		if err != nil && !b.closing && b.err == nil {
			b.err = err
		}
		b.mu.Unlock()
	}
}

// Close ends the vhost-user session, stops the device, closes every host
// socket and removes the socket files. It returns the first protocol
// error the session met, if any.
func (b *Backend) Close() error {
	b.mu.Lock()
	b.closing = true
	if b.session != nil {
		b.session.Close()
	}
	b.mu.Unlock()
	b.l.Close()
	<-b.done
	b.Device.Close()
	if b.err != nil && !errors.Is(b.err, net.ErrClosed) {
		return b.err
	}
	return nil
}
