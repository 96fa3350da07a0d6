package qemu

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/gotoro/gotoro/internal/bootabi"
)

// StdinDevice returns the device that carries r to the guest program's
// standard input: a second 16550 UART (bootabi.StdinPort) whose QEMU
// character device connects to a Unix socket served here. r is copied as
// it arrives (a terminal line by line), escaped so that its end reaches
// the guest as end of file.
func StdinDevice(r io.Reader) Device {
	b := &stdinBackend{r: r, sock: SocketPath("stdin")}
	return Device{
		Name: "standard input",
		Args: []string{
			"-chardev", "socket,id=stdin0,path=" + qemuOptEscape(b.sock),
			"-device", fmt.Sprintf("isa-serial,chardev=stdin0,iobase=%#x,irq=%d", bootabi.StdinPort, bootabi.StdinIRQ),
		},
		Backend:   b,
		Cmdline:   " " + bootabi.KeyStdin + "=serial",
		NotVirtio: true,
	}
}

// stdinBackend listens for QEMU's connection and copies r into it.
type stdinBackend struct {
	r    io.Reader
	sock string
	l    net.Listener
	mu   sync.Mutex
	conn net.Conn
}

// Start listens on the socket QEMU connects to when it starts.
func (b *stdinBackend) Start(ctx context.Context) error {
	l, err := net.Listen("unix", b.sock)
	if err != nil {
		return fmt.Errorf("standard input: %w", err)
	}
	b.l = l
	go b.serve()
	return nil
}

// serve accepts QEMU's connection and copies the input. It returns when
// the input ends (after sending the end marker) or the connection breaks;
// a copy blocked reading a terminal ends with the process.
func (b *stdinBackend) serve() {
	c, err := b.l.Accept()
	if err != nil {
		return
	}
	b.mu.Lock()
	b.conn = c
	b.mu.Unlock()
	// Bytes sent before the kernel set the UART up would be lost: wait
	// for its ready byte (a kernel without standard input never sends
	// it, and the copy never starts).
	var ready [1]byte
	for ready[0] != bootabi.StdinReady {
		if _, err := io.ReadFull(c, ready[:]); err != nil {
			return
		}
	}
	copyStdin(c, b.r)
}

// copyStdin copies r to w, escaping bootabi.StdinEscape, and ends with
// the end-of-input marker.
func copyStdin(w io.Writer, r io.Reader) error {
	bw := bufio.NewWriter(w)
	buf := make([]byte, 32<<10)
	for {
		n, rerr := r.Read(buf)
		for _, c := range buf[:n] {
			if c == bootabi.StdinEscape {
				bw.WriteByte(bootabi.StdinEscape)
			}
			bw.WriteByte(c)
		}
		if rerr != nil {
			bw.WriteByte(bootabi.StdinEscape)
			bw.WriteByte(bootabi.StdinEOF)
		}
		// Every read goes out at once: a terminal's line must reach the
		// program before the user types the next.
		if err := bw.Flush(); err != nil {
			return err
		}
		if rerr != nil {
			return nil
		}
	}
}

// Stop closes the socket and the connection.
func (b *stdinBackend) Stop() error {
	if b.l != nil {
		b.l.Close()
	}
	b.mu.Lock()
	if b.conn != nil {
		b.conn.SetDeadline(time.Now())
		b.conn.Close()
	}
	b.mu.Unlock()
	os.Remove(b.sock)
	return nil
}
