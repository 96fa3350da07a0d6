package prof

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gotoro/gotoro/host/qmp"
)

// Mode says where a vCPU was when it was sampled.
type Mode string

// Modes.
const (
	User    Mode = "user"    // Go code: the program and the runtime
	Kernel  Mode = "kernel"  // the gotoro kernel, entered from Go code or running its idle loop's handlers
	Idle    Mode = "idle"    // halted in the kernel's idle loop
	Offline Mode = "offline" // not started by the kernel
)

// Sample is one vCPU's stack at one tick.
type Sample struct {
	CPU   int
	Tick  int           // the tick's number, from 0
	At    time.Duration // since sampling started
	Mode  Mode
	Stack []Frame // innermost first
}

// Target is a running guest to sample.
type Target interface {
	// Registers returns every vCPU's registers, after pausing every vCPU
	// if stop is set.
	Registers(stop bool) ([]qmp.Regs, error)
	// Cont resumes the vCPUs after Registers(true).
	Cont() error
	Memory
}

// Config configures a profiling run.
type Config struct {
	Target  Target
	Symbols *Symbols
	// Hz is the requested sampling rate per vCPU (all vCPUs are sampled at
	// each tick).
	Hz int
	// Duration ends sampling; 0 samples until the guest exits or ctx ends.
	Duration time.Duration
	// Live samples without stopping the vCPUs. It costs less but the
	// stack read after the registers may have changed meanwhile, and under
	// TCG a running vCPU's RIP is only as fresh as its last exit from
	// translated code; by default every tick stops the guest.
	Live bool
}

// Result is a profiling run's samples and what it cost.
type Result struct {
	Samples []Sample
	Hz      int           // requested rate
	Ticks   int           // ticks at which a sample was taken
	Missed  int           // ticks that failed (their error is counted, not fatal)
	Elapsed time.Duration // from the first to the end of the last tick
	Paused  time.Duration // time the guest spent stopped by the profiler
	Reads   int           // guest memory reads
	// Ended says why sampling stopped: "duration", "guest exited",
	// "interrupted" or "error".
	Ended string
	// LastErr is the last tick's error, if any tick failed.
	LastErr error
}

// Requested returns how many ticks the requested rate asks for over the
// run's elapsed time.
func (r *Result) Requested() int {
	return int(r.Elapsed.Seconds()*float64(r.Hz) + 0.5)
}

// TakenHz is the rate of ticks actually taken.
func (r *Result) TakenHz() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Ticks) / r.Elapsed.Seconds()
}

// Run samples the target until cfg.Duration passes, the guest exits (the
// monitor connection closes) or ctx ends. It returns what it sampled even
// when it stops early; the error is non-nil only for a failure that is
// not the guest going away or ctx ending.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Hz <= 0 {
		return nil, fmt.Errorf("sampling rate %d Hz: want at least 1", cfg.Hz)
	}
	if cfg.Target == nil || cfg.Symbols == nil {
		return nil, errors.New("profiler: no target or no symbols")
	}
	res := &Result{Hz: cfg.Hz}
	u := newUnwinder(cfg.Symbols)
	period := time.Second / time.Duration(cfg.Hz)
	ticker := time.NewTicker(period)
	defer ticker.Stop()
	start := time.Now()
	var deadline <-chan time.Time
	if cfg.Duration > 0 {
		t := time.NewTimer(cfg.Duration)
		defer t.Stop()
		deadline = t.C
	}
	for tick := 0; ; tick++ {
		err := sampleOnce(cfg, u, res, tick, time.Since(start))
		res.Elapsed = time.Since(start)
		if err != nil {
			if errors.Is(err, qmp.ErrClosed) {
				res.Ended = "guest exited"
				return res, nil
			}
			res.Missed++
			res.LastErr = err
			if res.Missed > 10 && res.Missed > res.Ticks {
				res.Ended = "error"
				return res, fmt.Errorf("profiler: most samples fail: %w", err)
			}
		} else {
			res.Ticks++
		}
		select {
		case <-ctx.Done():
			res.Ended = "interrupted"
			return res, nil
		case <-deadline:
			res.Ended = "duration"
			return res, nil
		case <-ticker.C:
		}
	}
}

// sampleOnce takes one tick's samples of every vCPU.
func sampleOnce(cfg Config, u *unwinder, res *Result, tick int, at time.Duration) (err error) {
	t := cfg.Target
	stopped := time.Now()
	regs, err := t.Registers(!cfg.Live)
	if !cfg.Live {
		// Resume even if the registers could not be read: the stop may
		// have happened.
		defer func() {
			if cerr := t.Cont(); cerr != nil && err == nil {
				err = cerr
			}
			res.Paused += time.Since(stopped)
		}()
	}
	if err != nil {
		return err
	}
	for _, r := range regs {
		mem := newStackMem(t, r.CPU)
		st := u.walk(mem, r)
		res.Reads += mem.reads
		res.Samples = append(res.Samples, Sample{CPU: r.CPU, Tick: tick, At: at, Mode: u.mode(r, st), Stack: st})
	}
	return nil
}

// mode classifies a sample.
func (u *unwinder) mode(r qmp.Regs, st []Frame) Mode {
	switch {
	case len(st) > 0 && st[0].Kernel == OfflineFrame:
		return Offline
	case r.Halted:
		return Idle
	}
	for _, f := range st {
		if f.Kernel != "" {
			return Kernel // below a kernel entry
		}
	}
	if fn, ok := u.syms.FuncAt(r.RIP); ok && isKernelFunc(fn.Name) {
		return Kernel
	}
	return User
}

// isKernelFunc reports whether name is a function of the gotoro kernel:
// of package kernel or of one of its subsystem packages (kernel/arch…).
func isKernelFunc(name string) bool {
	for _, prefix := range []string{kernelPkg, kernelSubPkgs} {
		if rest, ok := strings.CutPrefix(name, prefix); ok && rest != "" {
			return true
		}
	}
	return false
}
