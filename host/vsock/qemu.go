package vsock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gotoro/gotoro/host/qemu"
)

// QEMUDevice returns the guest's vsock device for one run of QEMU: a
// vhost-user-vsock-device whose backend (this package, in this process)
// starts before QEMU and stops after it. The vhost-user socket lives in a
// private temporary directory that Stop removes; so does cfg.UDSPath when
// it is empty. notes, if not nil, is told where the Unix socket is.
func QEMUDevice(cfg Config, notes io.Writer) qemu.Device {
	const id = "vsock0"
	b := &qemuBackend{cfg: cfg, notes: notes}
	return qemu.Device{
		Name:      "vsock",
		Args:      []string{"-chardev", "socket,id=" + id + ",path=" + b.socketPath(), "-device", "vhost-user-vsock-device,chardev=" + id},
		VhostUser: true,
		Backend:   b,
	}
}

// qemuBackend adapts Backend to qemu.Backend.
type qemuBackend struct {
	cfg   Config
	notes io.Writer
	dir   string
	made  bool // Start created dir
	b     *Backend
}

// socketPath is the vhost-user socket, in a directory named now (QEMU's
// arguments need the path) and created by Start, so that a run that never
// starts leaves nothing behind.
func (q *qemuBackend) socketPath() string {
	if q.dir == "" {
		var r [8]byte
		rand.Read(r[:])
		q.dir = filepath.Join(os.TempDir(), "gotoro-vsock-"+hex.EncodeToString(r[:]))
	}
	return filepath.Join(q.dir, "vhost.sock")
}

// Start implements qemu.Backend.
func (q *qemuBackend) Start(ctx context.Context) error {
	if err := os.Mkdir(q.dir, 0o700); err != nil {
		return fmt.Errorf("vsock: %w", err)
	}
	q.made = true
	cfg := q.cfg
	if cfg.UDSPath == "" {
		cfg.UDSPath = filepath.Join(q.dir, "vsock.sock")
	}
	b, err := Start(q.socketPath(), cfg)
	if err != nil {
		return err
	}
	q.b = b
	if q.notes != nil {
		fmt.Fprintf(q.notes, "gotoro: vsock: guest CID %d; host → guest: connect to %s and send \"CONNECT <port>\\n\"; guest → host port P: %s_P\n",
			cfg.GuestCID, cfg.UDSPath, cfg.UDSPath)
	}
	return nil
}

// Stop implements qemu.Backend: it ends the session, closes every
// connection and removes the sockets and the temporary directory.
func (q *qemuBackend) Stop() error {
	var err error
	if q.b != nil {
		err = q.b.Close()
	}
	if q.made {
		os.RemoveAll(q.dir)
	}
	return err
}
