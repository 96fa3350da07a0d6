package bootcase

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// RunCLI runs `gotoro run` with args (run's flags and arguments, the image
// img among them) until it ends or ctx does, and returns what it printed
// and how it ended, for cases that run the command as a user does (the
// -snapshot cases). With e.CatchReset the run gets -monitor and
// -catch-reset and is watched as Boot watches a guest: a guest that resets
// the machine is kept stopped, described (ResetState, handed to OnReset
// with what the host knows, ResetInfo) and ended, and t fails saying so,
// instead of the command reading the reset as QEMU exiting with status 0.
func (e *Env) RunCLI(t TB, ctx context.Context, img string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	argv := []string{"run"}
	sock := ""
	if e.CatchReset {
		// Unix socket paths are short: not under t.TempDir().
		dir, err := os.MkdirTemp("", "gotoro-cli-")
		if err != nil {
			t.Fatalf("%v", err)
		}
		defer os.RemoveAll(dir)
		sock = filepath.Join(dir, "qmp.sock")
		argv = append(argv, "-monitor", sock, "-catch-reset")
		if e.ResetInfo != nil {
			e.ResetInfo(true)
		}
	}
	// The command kills QEMU when it dies (qemu.Run's Pdeathsig), so
	// ending it ends the machine a reset left stopped.
	cmd := exec.CommandContext(ctx, e.CLI(t), append(argv, args...)...)
	cmd.WaitDelay = 10 * time.Second // a QEMU left holding the output
	var out, msgs strings.Builder
	cmd.Stdout, cmd.Stderr = &lockedWriter{w: &out}, &lockedWriter{w: &msgs}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting gotoro run: %v", err)
	}
	var caught struct {
		sync.Mutex
		state string
		reset bool
	}
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		if sock == "" {
			return
		}
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		var w resetWatch
		defer w.close()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if w.reset(ctx, sock) {
				w.close()
				report := e.resetReport(ctx, sock, img)
				caught.Lock()
				caught.state, caught.reset = report.Text, true
				caught.Unlock()
				cancel()
				return
			}
		}
	}()
	err = cmd.Wait()
	cancel()
	<-watchDone
	caught.Lock()
	defer caught.Unlock()
	if caught.reset {
		t.Logf("what is left of the machine:\n%s", caught.state)
		t.Fatalf("gotoro run %s: the guest %s; it was stopped there and ended\nstdout:\n%s\nstderr:\n%s",
			strings.Join(args, " "), resetWhy, out.String(), msgs.String())
	}
	return out.String(), msgs.String(), err
}

// resetWhy is how a failed case names a guest's reset.
const resetWhy = "reset the machine (a triple fault or the guest's own reset) without a report"

// resetReport describes a guest stopped at a reset, read through the QMP
// socket monitor, with what the host knows of it, and hands the report
// to e.OnReset.
func (e *Env) resetReport(ctx context.Context, monitor, img string) ResetReport {
	var host HostReset
	if e.ResetInfo != nil {
		host = e.ResetInfo(false)
	}
	report := ResetState(ctx, monitor, img, host)
	if e.OnReset != nil {
		e.OnReset(report)
	}
	return report
}
