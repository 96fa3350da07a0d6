package qemu

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/gotoro/gotoro/internal/bootabi"
)

// stderrTail is how much of QEMU's standard error is kept for messages.
const stderrTail = 8 << 10

// Run boots cfg.Image and waits until the guest exits, faults, runs past
// cfg.Timeout or ctx ends (then QEMU is killed and ctx.Err() is returned).
// The console is streamed to cfg.Stdout as it arrives. A timeout or a guest
// fault is a Result, not an error; errors are about QEMU: missing (wrapping
// ErrNoQEMU), failing, or exiting because the guest reset the machine
// (wrapping ErrQEMUFailed; the error quotes the end of QEMU's standard
// error if cfg.Stderr is nil, since QEMU's messages were not shown then).
func Run(ctx context.Context, cfg Config) (Result, error) {
	stderrShown := cfg.Stderr != nil
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Result{}, err
	}
	if err := cfg.checkSnapshot(); err != nil {
		return Result{}, err
	}
	path, err := Find(cfg.QEMU)
	if err != nil {
		return Result{}, err
	}
	if err := CheckImage(cfg.Image); err != nil {
		return Result{}, err
	}
	choice, err := ChooseAccel(ctx, path, cfg.Accel)
	if err != nil {
		return Result{}, err
	}
	accel := choice.Accel
	if cfg.TranslationLog != "" && accel != AccelTCG {
		return Result{}, fmt.Errorf("a translation log needs TCG (-accel tcg): under %s guest code runs without being translated", accel)
	}
	if cfg.Accel == AccelAuto && (cfg.Verbose || choice.Notable) {
		fmt.Fprintf(cfg.Stderr, "gotoro: %s\n", choice)
	}
	res := Result{Accel: accel}
	timeout := cfg.Timeout
	if cfg.Debug {
		timeout = 0 // a debugging session takes as long as it takes
		fmt.Fprintf(cfg.Stderr, "gotoro: QEMU log: %s\n", cfg.DebugLog)
		fmt.Fprintf(cfg.Stderr, "gotoro: the guest waits for gdb: gdb -ex 'target remote :%d' %s\n", GDBPort, shellQuote([]string{cfg.Image}))
	}
	var snap *snapshotRun
	var hooks procHooks
	if cfg.Snapshot != nil {
		dir, err := os.MkdirTemp("", "gotoro-snap-")
		if err != nil {
			return res, fmt.Errorf("snapshot: %w", err)
		}
		defer os.RemoveAll(dir)
		if snap, hooks.stdin, err = newSnapshotRun(cfg.Snapshot, dir, cfg.Stderr); err != nil {
			return res, err
		}
		defer snap.closeIn()
		cfg.snapMonitor = snap.monitor
		hooks.started = snap.drive
		files, mem, err := snapshotFiles(cfg.Snapshot, cfg.Memory)
		if err != nil {
			hooks.stdin.Close()
			if cfg.Snapshot.Restore != "" {
				return res, fmt.Errorf("%w: %v", ErrSnapshotRestore, err)
			}
			return res, fmt.Errorf("snapshot: %w", err)
		}
		defer mem.Close()
		snap.mem = mem
		hooks.extra = files
	}
	// Guest RAM mapped from the image's layout (imageram.go): TCG only
	// (KVM keeps private memory with huge pages), not for a snapshot's
	// or vhost-user's memory of their own, not for a translation log
	// (QEMU names its blocks by the image's symbols, which the stub has
	// not) or a debugging session (kept as it was).
	var ram *imageRAM
	if accel == AccelTCG && cfg.Snapshot == nil && !needsSharedMemory(cfg) && !cfg.Debug && cfg.TranslationLog == "" {
		if ram = mapImageRAM(&cfg, &hooks); ram != nil {
			defer ram.close()
		}
	}
	stopCh, closeStop, err := stopMonitor(&cfg, &hooks)
	if err != nil {
		return res, err
	}
	defer closeStop()
	argv := append([]string{Binary}, args(cfg, accel)...)
	if cfg.Verbose {
		fmt.Fprintln(cfg.Stderr, shellQuote(append([]string{path}, argv[1:]...)))
	}

	stopBackends, err := startBackends(ctx, cfg.Devices)
	if err != nil {
		return res, err
	}
	defer func() {
		if err := stopBackends(); err != nil {
			fmt.Fprintf(cfg.Stderr, "gotoro: stopping device backends: %v\n", err)
		}
	}()
	console := newMarkerWriter(cfg.Stdout)
	var guestOut io.Writer = console
	var snapFilter *lineFilter
	if snap != nil {
		snapFilter = newLineFilter(console, bootabi.SnapshotMarker, snap.reached)
		guestOut = snapFilter
	}
	var trace *traceWriter
	if cfg.BootTrace {
		trace = newTraceWriter(console)
		guestOut = trace
	}
	tail := &tailBuffer{max: stderrTail}
	stop := stopRequest{ch: cfg.Stop, timeout: cfg.StopTimeout, monitor: cfg.Monitor, log: cfg.Stderr}
	if stopCh != nil {
		stop.conn = stopCh.conn
	}
	info, err := runProcess(ctx, path, argv, guestOut, io.MultiWriter(cfg.Stderr, tail), timeout, stop, hooks)
	var traceErr, snapErr error
	if trace != nil {
		traceErr = trace.Flush()
	}
	if snapFilter != nil {
		snapErr = snapFilter.Flush()
	}
	flushErr := errors.Join(traceErr, snapErr, console.Flush())
	res.Elapsed = info.ended.Sub(info.launched)
	res.CPUTime = info.cpu
	if first := console.First(); !first.IsZero() {
		res.FirstOutput = first.Sub(info.launched)
	}
	if err != nil {
		if ctx.Err() != nil {
			return res, fmt.Errorf("guest stopped: %w", err)
		}
		return res, err
	}
	if snap != nil {
		if ferr := snap.failed(); ferr != nil {
			if t := tail.lastLines(1); t != "" {
				return res, fmt.Errorf("%w: %v (QEMU: %s)", ErrSnapshotRestore, ferr, t)
			}
			return res, fmt.Errorf("%w: %v", ErrSnapshotRestore, ferr)
		}
	}
	if info.stopKilled {
		return res, fmt.Errorf("%w within %s; killed it", ErrStopTimeout, FormatDuration(stop.grace()))
	}
	if info.timedOut {
		res.Outcome = TimedOut
		fmt.Fprintf(cfg.Stderr, "gotoro: guest did not exit within %s; killed it\n", FormatDuration(timeout))
		return res, nil
	}
	status, haveMarker := console.Status()
	res.StatusLine = haveMarker
	res.Outcome, res.Status, err = decodeExit(info, status, haveMarker)
	if err != nil {
		if errors.Is(err, ErrQEMUFailed) {
			err = withQEMUReason(err, tail, stderrShown)
		}
		return res, err
	}
	if flushErr != nil {
		return res, fmt.Errorf("writing the guest console: %w", flushErr)
	}
	if trace != nil && res.Outcome == Exited {
		if res.Boot, err = trace.trace(info.launched, info.ended); err != nil {
			return res, err
		}
	}
	return res, nil
}

// withQEMUReason adds what QEMU last said on its standard error to err: the
// last line if the user saw it all already, the last ten lines otherwise.
func withQEMUReason(err error, tail *tailBuffer, shown bool) error {
	if shown {
		if t := tail.lastLines(1); t != "" {
			return fmt.Errorf("%w: %s", err, t)
		}
		return err
	}
	if t := tail.lastLines(10); t != "" {
		return fmt.Errorf("%w; QEMU said:\n%s", err, t)
	}
	return err
}

// FormatDuration prints d like time.Duration.String without zero trailing
// units: 30s, 10m, 1h30m, 1.5s.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
