package qemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// hmpPrompt is what QEMU's human monitor prints when it is ready for a
// command: after its banner, and again after each command has run.
const hmpPrompt = "(qemu) "

// errMonitorClosed is wrapped by a power-down whose monitor QEMU closed
// under it: QEMU is exiting, the guest may have stopped already.
var errMonitorClosed = errors.New("QEMU closed the stop monitor")

// hmpPowerDown presses the guest's power button through the private stop
// monitor on conn, a human monitor (HMP; stopMonitorArgs): it waits for
// the monitor's prompt, sends system_powerdown and reads until the next
// prompt, which QEMU prints only once the command has run. What comes
// between the command's echoed line and that prompt is the command's
// error (a successful system_powerdown prints nothing). ctx bounds it.
func hmpPowerDown(ctx context.Context, conn net.Conn) error {
	if d, ok := ctx.Deadline(); ok {
		conn.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	r := hmpReader{conn: conn}
	if _, err := r.untilPrompt(); err != nil {
		return hmpError(ctx, "waiting for the stop monitor's prompt", err)
	}
	if _, err := io.WriteString(conn, "system_powerdown\n"); err != nil {
		return hmpError(ctx, "sending system_powerdown", err)
	}
	out, err := r.untilPrompt()
	if err != nil {
		return hmpError(ctx, "waiting for system_powerdown to run", err)
	}
	// The echo of the typed line (with the line editor's cursor moves)
	// ends at the line break QEMU prints for the newline.
	_, reply, ok := bytes.Cut(out, []byte("\r\n"))
	if !ok {
		return fmt.Errorf("system_powerdown: the stop monitor answered %q, not the echoed command", out)
	}
	if msg := bytes.TrimSpace(reply); len(msg) > 0 {
		return fmt.Errorf("system_powerdown: %s", msg)
	}
	return nil
}

// hmpError is err with what was being done, wrapping errMonitorClosed
// when QEMU closed the connection and ctx's error when ctx ended. QEMU
// exiting while gotoro types shows as the end of input, a broken pipe
// (its end closed before the write) or a reset connection (closed with
// the command unread).
func hmpError(ctx context.Context, doing string, err error) error {
	if _, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) {
		// The connection's deadline is ctx's: ctx ends with it.
		<-ctx.Done()
	}
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%s: %w (%v)", doing, ctx.Err(), err)
	case errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrClosedPipe) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET):
		return fmt.Errorf("%s: %w (%v)", doing, errMonitorClosed, err)
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// hmpReader reads a human monitor's output up to its prompts.
type hmpReader struct {
	conn net.Conn
	buf  []byte // read and not returned yet
}

// untilPrompt returns the output before the next prompt and drops the
// prompt. It gives up after 64 KiB without one.
func (r *hmpReader) untilPrompt() ([]byte, error) {
	var chunk [512]byte
	for {
		if i := bytes.Index(r.buf, []byte(hmpPrompt)); i >= 0 {
			out := r.buf[:i:i]
			r.buf = r.buf[i+len(hmpPrompt):]
			return out, nil
		}
		if len(r.buf) > 64<<10 {
			return nil, fmt.Errorf("no monitor prompt in %d bytes", len(r.buf))
		}
		n, err := r.conn.Read(chunk[:])
		r.buf = append(r.buf, chunk[:n]...)
		if err != nil && n == 0 {
			return nil, err
		}
	}
}
