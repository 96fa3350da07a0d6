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

// stopChannel is the private monitor connection a graceful stop presses
// the power button through when the user named no monitor: a Unix socket
// pair, one end QEMU's human monitor (HMP; its descriptor handed to
// QEMU), the other gotoro's. Nothing is made in the file system, so
// nothing is left behind when gotoro is killed, and a run pays no
// directory to make and remove. It is a human monitor, not QMP, because
// QEMU serves a QMP monitor on a socket from an I/O thread of its own,
// which it starts (and waits for) before the machine runs: the human
// monitor is served from QEMU's main loop and makes its start cheaper
// (docs/boot.md, "The stop monitor").
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

// stopMonitor gives cfg a private monitor connection for a graceful stop when
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
// descriptor fd: a human monitor on a socket that is connected already.
func stopMonitorArgs(fd int) []string {
	return []string{"-chardev", fmt.Sprintf("socket,id=gotoro-stop,fd=%d", fd), "-mon", "chardev=gotoro-stop,mode=readline"}
}

// powerDown presses the guest's power button: through the private human
// monitor on conn if not nil, else through the QMP socket at monitor. An
// error wrapping qmp.ErrClosed or errMonitorClosed means QEMU closed the
// monitor under the request (it is exiting).
func powerDown(ctx context.Context, monitor string, conn net.Conn) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if conn != nil {
		return hmpPowerDown(ctx, conn)
	}
	c, err := qmp.Dial(ctx, monitor)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Execute("system_powerdown", nil)
	return err
}
