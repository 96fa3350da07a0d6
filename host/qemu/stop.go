package qemu

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/gotoro/gotoro/host/qmp"
)

// DefaultStopTimeout is how long a graceful stop waits for the guest.
const DefaultStopTimeout = 10 * time.Second

// ErrStopTimeout is returned when the guest did not exit within the stop
// timeout after a graceful stop and was killed.
var ErrStopTimeout = errors.New("the guest did not stop after SIGTERM")

// stopChannel is the private QMP connection a graceful stop presses the
// power button through when the user named no monitor: a Unix socket
// pair, one end QEMU's monitor (its descriptor handed to QEMU), the other
// gotoro's. Nothing is made in the file system, so nothing is left behind
// when gotoro is killed, and a run pays no directory to make and remove.
type stopChannel struct {
	conn net.Conn // gotoro's end
	qemu *os.File // QEMU's end, for procHooks.extra
}

// newStopChannel makes the socket pair.
func newStopChannel() (*stopChannel, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("making the stop monitor's socket pair: %w", err)
	}
	ours := os.NewFile(uintptr(fds[0]), "gotoro-stop")
	conn, err := net.FileConn(ours)
	ours.Close()
	if err != nil {
		syscall.Close(fds[1])
		return nil, fmt.Errorf("making the stop monitor's socket pair: %w", err)
	}
	return &stopChannel{conn: conn, qemu: os.NewFile(uintptr(fds[1]), "qemu-stop")}, nil
}

// close closes both ends (QEMU's is closed already once QEMU started).
func (s *stopChannel) close() {
	s.conn.Close()
	s.qemu.Close()
}

// stopMonitor gives cfg a private QMP connection for a graceful stop when
// it has no monitor, handing QEMU's end to the process as one more of
// hooks' extra descriptors. It returns the channel (nil when none is
// needed: no stop asked for, or the user's monitor serves) and a function
// that closes it.
func stopMonitor(cfg *Config, hooks *procHooks) (*stopChannel, func(), error) {
	if cfg.Stop == nil || cfg.Monitor != "" {
		return nil, func() {}, nil
	}
	ch, err := newStopChannel()
	if err != nil {
		return nil, nil, err
	}
	hooks.extra = append(hooks.extra, ch.qemu)
	cfg.stopFD = 3 + len(hooks.extra) - 1
	return ch, ch.close, nil
}

// stopMonitorArgs are QEMU's arguments for the private stop monitor on
// descriptor fd: a QMP monitor on a socket that is connected already.
func stopMonitorArgs(fd int) []string {
	return []string{"-chardev", fmt.Sprintf("socket,id=gotoro-stop,fd=%d", fd), "-mon", "chardev=gotoro-stop,mode=control"}
}

// powerDown presses the guest's power button through QMP: over conn if
// not nil, else through the socket at monitor.
func powerDown(ctx context.Context, monitor string, conn net.Conn) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var c *qmp.Client
	var err error
	if conn != nil {
		c, err = qmp.Open(ctx, conn)
		if err == nil {
			// The command, too, is bounded: a monitor that does not
			// answer must not hold the stop up.
			d, _ := ctx.Deadline()
			conn.SetDeadline(d)
		}
	} else {
		c, err = qmp.Dial(ctx, monitor)
	}
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Execute("system_powerdown", nil)
	return err
}
