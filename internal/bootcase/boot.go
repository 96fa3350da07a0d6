package bootcase

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/host/qmp"
)

// Spec is one guest boot of a case.
type Spec struct {
	// Prog is the program (a Case.Progs entry).
	Prog string
	// Args follow the program name in argv.
	Args []string
	// Env holds KEY=VALUE entries.
	Env []string
	// Cwd is the working directory ("/" if empty).
	Cwd  string
	CPUs int
	Mem  uint64
	// Timeout bounds the run under TCG (2 minutes if 0); Env.Slow scales it.
	Timeout time.Duration
	// Stall, if not 0, ends the run early when the console stays silent
	// this long (scaled like Timeout) and the kernel makes no TLB
	// shootdown meanwhile (progress.go): a guest that makes no progress.
	Stall time.Duration
	// NoDump skips the machine-state dump when the run is cut short (for
	// cases that expect a hang).
	NoDump  bool
	Devices []qemu.Device
	Console qemu.Console
	// Poll makes the kernel poll its virtio devices.
	Poll   bool
	Shares []qemu.Share
	// Cmdline is added to the kernel command line.
	Cmdline string
	// Stdout also receives the console as it arrives.
	Stdout io.Writer
}

// Boot boots s and returns the console output (the exit marker removed)
// and the result. A run cut short by Timeout or Stall has the outcome
// qemu.TimedOut; before it is killed, the state of its vCPUs and local
// APICs is taken through QEMU's monitor and logged on t. Boot fails t for
// errors about QEMU itself.
func (e *Env) Boot(t TB, s Spec) (string, qemu.Result) {
	t.Helper()
	img := e.Image(t, s.Prog)
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	timeout, stall := e.limit(timeout), e.limit(s.Stall)
	// Unix socket paths are short: not under t.TempDir().
	dir, err := os.MkdirTemp("", "gotoro-case-")
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer os.RemoveAll(dir)
	monitor := filepath.Join(dir, "qmp.sock")

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out := &watchWriter{last: time.Now()}
	var stdout io.Writer = out
	if s.Stdout != nil {
		stdout = io.MultiWriter(out, s.Stdout)
	}
	if e.Log != nil {
		stdout = io.MultiWriter(stdout, &lineWriter{f: func(l []byte) { e.Log(s.Prog, l) }})
	}
	var stderr bytes.Buffer
	cfg := qemu.Config{
		Image:   img,
		Memory:  s.Mem,
		CPUs:    s.CPUs,
		Accel:   e.Accel,
		Timeout: timeout + time.Minute, // the watchdog below ends it first
		Monitor: monitor,
		Devices: s.Devices,
		Console: s.Console,
		Stdout:  stdout,
		Stderr:  &lockedWriter{w: &stderr},
	}
	watchSock := ""
	if e.CatchReset {
		watchSock = filepath.Join(dir, "watch.sock")
		cfg.PauseOnReset, cfg.WatchMonitor = true, watchSock
		if e.ResetInfo != nil {
			e.ResetInfo(true)
		}
	}
	g := qemu.Guest{Args: append([]string{filepath.Base(s.Prog)}, s.Args...), Env: s.Env, Cwd: s.Cwd,
		Console: s.Console, PollDevices: s.Poll, Shares: s.Shares}

	var cut struct {
		sync.Mutex
		why   string
		state string
		reset bool
	}
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		start := time.Now()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		var w resetWatch
		defer w.close()
		probe := progressProbe{monitor: monitor, image: img}
		var moved moveClock
		var lastProbe time.Time
		saidMoving := false
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if watchSock != "" && w.reset(ctx, watchSock) {
				w.close()
				report := e.resetReport(ctx, watchSock, img)
				cut.Lock()
				cut.why, cut.state, cut.reset = resetWhy, report.Text, true
				cut.Unlock()
				cancel()
				return
			}
			why := ""
			now := time.Now()
			console := out.silence()
			if stall > 0 && console > stall/2 && now.Sub(lastProbe) >= progressEvery {
				// Silent for a while: is the kernel still moving?
				lastProbe = now
				if v, ok := probe.read(ctx); ok && moved.note(v, now) && console > stall && !saidMoving {
					saidMoving = true
					t.Logf("guest %s printed nothing for %v but its kernel moves (TLB shootdowns up to %d): slow, not hung; the stall check waits for it to stop moving", s.Prog, console.Round(time.Second), v)
				}
			}
			if d := now.Sub(start); d > timeout {
				why = fmt.Sprintf("did not exit within %v", timeout)
			} else if silent := moved.silence(console, now); stall > 0 && silent > stall {
				why = fmt.Sprintf("printed nothing for %v", console.Round(time.Second))
				if silent < console {
					why += fmt.Sprintf(", and its kernel made no TLB shootdown for %v", silent.Round(time.Second))
				}
			} else if e.Wedged != nil {
				why = e.Wedged(time.Now())
			}
			if why == "" {
				continue
			}
			state := ""
			if !s.NoDump {
				if e.StallInfo != nil {
					state = e.StallInfo()
				}
				state += DumpState(ctx, monitor, img, e.HostCounters)
			}
			cut.Lock()
			cut.why, cut.state = why, state
			cut.Unlock()
			cancel()
			return
		}
	}()
	res, err := qemu.Run(ctx, withCmdline(cfg, g, strings.TrimSpace(s.Cmdline+" "+e.Cmdline)))
	cancel()
	<-watchDone
	console := out.String()
	cut.Lock()
	defer cut.Unlock()
	if cut.reset {
		t.Logf("what is left of the machine:\n%s", cut.state)
		t.Fatalf("guest %s %s; console:\n%s", s.Prog, cut.why, console)
	}
	if cut.why != "" {
		t.Logf("guest %s %s; killed it", s.Prog, cut.why)
		if cut.state != "" {
			t.Logf("machine state before the kill:\n%s", cut.state)
		}
		res.Outcome = qemu.TimedOut
		return console, res
	}
	if err != nil {
		if errors.Is(err, context.Canceled) && t.Context().Err() != nil {
			t.Fatalf("booting %s: %v", s.Prog, err)
		}
		t.Fatalf("booting %s: %v\nQEMU:\n%s\nconsole:\n%s", s.Prog, err, stderr.String(), console)
	}
	return console, res
}

// resetWatch asks QEMU, through a monitor socket of its own, whether the
// guest has reset the machine (qemu.Config.PauseOnReset: QEMU then stops
// the vCPUs and reports the run state "shutdown").
type resetWatch struct{ c *qmp.Client }

// reset reports whether the guest has reset the machine; a monitor that
// is not up yet or has gone (QEMU exited) says no.
func (w *resetWatch) reset(ctx context.Context, sock string) bool {
	if w.c == nil {
		dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		c, err := qmp.Dial(dctx, sock)
		cancel()
		if err != nil {
			return false
		}
		w.c = c
	}
	st, err := w.c.Status()
	return err == nil && st.Status == "shutdown"
}

func (w *resetWatch) close() {
	if w.c != nil {
		w.c.Close()
		w.c = nil
	}
}

// withCmdline sets cfg's kernel command line for g plus extra.
func withCmdline(cfg qemu.Config, g qemu.Guest, extra string) qemu.Config {
	cfg.Cmdline = g.Cmdline(qemu.HostTSC(), time.Now())
	if extra != "" {
		cfg.Cmdline += " " + extra
	}
	return cfg
}

// watchWriter keeps the console and when it last grew.
type watchWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	last time.Time
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.last = time.Now()
	return w.buf.Write(p)
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func (w *watchWriter) silence() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return time.Since(w.last)
}

// lineWriter calls f for every complete line written to it.
type lineWriter struct {
	mu  sync.Mutex
	buf []byte
	f   func([]byte)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.f(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
