package qemu

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gotoro/gotoro/host/qmp"
)

// DefaultStopTimeout is how long a graceful stop waits for the guest.
const DefaultStopTimeout = 10 * time.Second

// ErrStopTimeout is returned when the guest did not exit within the stop
// timeout after a graceful stop and was killed.
var ErrStopTimeout = errors.New("the guest did not stop after SIGTERM")

// stopMonitor gives cfg a private QMP socket for a graceful stop when it
// has none. It returns a function that removes it.
func stopMonitor(cfg *Config) (cleanup func(), err error) {
	if cfg.Stop == nil || cfg.Monitor != "" {
		return func() {}, nil
	}
	dir, err := os.MkdirTemp("", "gotoro-qmp-")
	if err != nil {
		return nil, fmt.Errorf("making the monitor socket's directory: %w", err)
	}
	cfg.Monitor = filepath.Join(dir, "qmp.sock")
	return func() { os.RemoveAll(dir) }, nil
}

// powerDown presses the guest's power button through the QMP socket.
func powerDown(ctx context.Context, monitor string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := qmp.Dial(ctx, monitor)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Execute("system_powerdown", nil)
	return err
}
