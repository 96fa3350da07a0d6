package qemu

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/gotoro/gotoro/host/qmp"
)

// waitDelay bounds how long Wait waits for QEMU's output pipes to close
// once QEMU itself has exited.
const waitDelay = 2 * time.Second

// exitInfo is how a QEMU process ended.
type exitInfo struct {
	exited   bool           // false: killed by a signal
	code     int            // exit status when exited
	signal   syscall.Signal // the signal when not exited
	timedOut bool           // killed by us after the timeout
	// stopKilled: a graceful stop was asked for and the guest was killed
	// after the stop timeout.
	stopKilled bool
	launched   time.Time
	ended      time.Time
	cpu        time.Duration // user + system time of the process
}

// procHooks are optional additions to a process run.
type procHooks struct {
	// stdin is the process's standard input (/dev/null if nil); it is
	// closed in the parent once the process has started.
	stdin *os.File
	// extra are more files for the process, from descriptor 3 on; they
	// are closed in the parent once the process has started.
	extra []*os.File
	// started, if not nil, runs in a goroutine of its own once the
	// process runs, with ctx ending when the run does and kill ending the
	// process group; the run waits for it before it returns.
	started func(ctx context.Context, kill func())
}

// runProcess runs the program path with argv (argv[0] is the program name
// to show) in a process group of its own, with standard input from
// /dev/null unless hooks say otherwise, until it exits, ctx is done or
// timeout (if not 0) elapses; in the last two cases it kills the whole
// process group and waits for it. It returns ctx.Err() when ctx ended the
// run.
func runProcess(ctx context.Context, path string, argv []string, stdout, stderr io.Writer, timeout time.Duration, stop stopRequest, hooks procHooks) (exitInfo, error) {
	cmd := &exec.Cmd{
		Path:   path,
		Args:   argv,
		Stdout: stdout,
		Stderr: stderr,
		SysProcAttr: &syscall.SysProcAttr{
			Setpgid: true,
			// QEMU must not outlive us, even if we are killed outright.
			Pdeathsig: syscall.SIGKILL,
		},
		WaitDelay: waitDelay,
	}
	if hooks.stdin != nil {
		cmd.Stdin = hooks.stdin
	}
	cmd.ExtraFiles = hooks.extra
	var info exitInfo
	info.launched = time.Now()
	err := cmd.Start()
	if hooks.stdin != nil {
		hooks.stdin.Close()
	}
	for _, f := range hooks.extra {
		f.Close()
	}
	if err != nil {
		return info, fmt.Errorf("starting %s: %w", path, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if hooks.started != nil {
		hctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			hooks.started(hctx, func() { killGroup(cmd) })
		}()
		defer wg.Wait()
		defer cancel()
	}

	var timer <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timer = t.C
	}
	var waitErr, ctxErr error
	select {
	case <-stop.ch:
		waitErr, ctxErr = stop.wait(ctx, cmd, done, &info)
	case waitErr = <-done:
	case <-ctx.Done():
		ctxErr = ctx.Err()
		killGroup(cmd)
		waitErr = <-done
	case <-timer:
		info.timedOut = true
		killGroup(cmd)
		waitErr = <-done
	}
	info.ended = time.Now()
	if ctxErr != nil {
		return info, ctxErr
	}
	if cmd.ProcessState == nil {
		return info, fmt.Errorf("waiting for %s: %w", path, waitErr)
	}
	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) && !errors.Is(waitErr, exec.ErrWaitDelay) {
		return info, fmt.Errorf("running %s: %w", path, waitErr)
	}
	info.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	info.exited = ws.Exited()
	info.code = ws.ExitStatus()
	if ws.Signaled() {
		info.signal = ws.Signal()
	}
	return info, nil
}

// killGroup kills the process group led by cmd's process (QEMU and any
// helper it started).
func killGroup(cmd *exec.Cmd) {
	pid := cmd.Process.Pid
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil {
		cmd.Process.Kill()
	}
}

// stopRequest is a graceful stop: when ch closes, the guest's power button
// is pressed and the guest has timeout to exit before it is killed.
type stopRequest struct {
	ch      <-chan struct{}
	timeout time.Duration
	monitor string   // the QMP socket's path, when conn is nil
	conn    net.Conn // the private human monitor's connection (stopMonitor), or nil
	log     io.Writer
}

func (s stopRequest) grace() time.Duration {
	if s.timeout > 0 {
		return s.timeout
	}
	return DefaultStopTimeout
}

// wait presses the power button and waits for the process to exit, the
// grace period to end (then it is killed) or ctx to end.
func (s stopRequest) wait(ctx context.Context, cmd *exec.Cmd, done chan error, info *exitInfo) (waitErr, ctxErr error) {
	// The message goes out before the request: once the guest has it,
	// its own output (on the serial console) may follow at any moment,
	// and the two must not interleave.
	fmt.Fprintf(s.log, "gotoro: asking the guest to stop (SIGTERM); waiting up to %s (interrupt again to kill it now)\n", FormatDuration(s.grace()))
	// A monitor that QEMU closes under the request (qmp.ErrClosed,
	// errMonitorClosed) means QEMU is exiting: the guest may have stopped
	// at once, before the reply. Then, as after a delivered request, the
	// grace period applies.
	if err := powerDown(ctx, s.monitor, s.conn); err != nil && !errors.Is(err, qmp.ErrClosed) && !errors.Is(err, errMonitorClosed) {
		select {
		case err := <-done: // QEMU had exited already
			return err, nil
		default:
		}
		if ctx.Err() != nil {
			// Interrupted again while the button was being pressed
			// (a monitor that had not prompted yet): kill it now.
			killGroup(cmd)
			return <-done, ctx.Err()
		}
		fmt.Fprintf(s.log, "gotoro: could not ask the guest to stop (%v); killing it\n", err)
		info.stopKilled = true
		killGroup(cmd)
		return <-done, nil
	}
	t := time.NewTimer(s.grace())
	defer t.Stop()
	select {
	case err := <-done:
		return err, nil
	case <-t.C:
		info.stopKilled = true
		killGroup(cmd)
		return <-done, nil
	case <-ctx.Done():
		killGroup(cmd)
		return <-done, ctx.Err()
	}
}
