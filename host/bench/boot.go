// Package bench holds gotoro's benchmark programs. Each runs gotoro and its
// peers in the same run and reports ratios, since absolute times under QEMU
// TCG say little.
package bench

import (
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gotoro/gotoro/host/build"
	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/internal/bootabi"
)

// BootConfig configures the boot benchmark.
type BootConfig struct {
	Runs    int        // boots of each kind (at least 10 for the report)
	Accel   qemu.Accel // accelerator for every boot
	Package string     // the guest to time; its first output must come from main
	Dir     string     // directory Package is relative to
	// Image, if set, is a built image to time instead of building Package
	// (for machines without Go, such as a nested KVM guest).
	Image string
	// Gotoro is the gotoro executable whose run path is timed, as a user
	// runs it: `gotoro run -accel A IMAGE`.
	Gotoro string
	// RunFlags are more flags for gotoro run (such as -net none).
	RunFlags []string
	// NoTrace skips the runs with -boottrace and the breakdown (for a
	// gotoro build without -boottrace).
	NoTrace bool
	// Exits counts the VM exits of each untraced boot and of the floor's
	// with the host kernel's KVM tracepoints (Linux, -accel kvm, root).
	Exits bool
	Out   io.Writer
	// Progress, if not nil, gets one line per run as it finishes (a
	// benchmark under nested KVM takes minutes and prints its report at
	// the end).
	Progress io.Writer
	// RunTimeout bounds each boot (5 minutes if 0): a boot that hangs
	// fails the benchmark, saying which.
	RunTimeout time.Duration
	// Snapshot also times `gotoro run -snapshot DIR`, started from a
	// snapshot that one untimed run saved first (docs/boot.md).
	Snapshot bool
	// Blocks also counts the blocks of guest code QEMU translates in one
	// more run (gotoro run -translation-log; TCG only).
	Blocks bool
	// Pause, if not 0, is waited before each timed run (the floor's,
	// gotoro run's, from a snapshot, traced), so that each starts as a
	// user's single run does, after the host has been idle, instead of
	// right after the one before: costs that only such a run pays show
	// (the perf-event probe of the TSC rate paid 10–14 ms after a pause of
	// a second and next to nothing back to back; docs/boot.md).
	Pause time.Duration
	// NoUserPeer turns off the peer under user-mode TCG (UserPeerReport),
	// which runs by default under TCG when a package is built.
	NoUserPeer bool
}

// BootReport is what the boot benchmark measured.
type BootReport struct {
	// Floor: QEMU launch → exit of the empty PVH kernel.
	Floor []time.Duration
	// FirstOutput and Total: gotoro run's launch → the guest's first
	// console byte, and → gotoro's exit.
	FirstOutput, Total []time.Duration
	// Traces are the timelines of the traced runs (gotoro run -boottrace),
	// with the launch and exit of each gotoro process.
	Traces []TracedRun
	Image  ImageSize
	// Blocks are the translated blocks per phase of one run
	// (BootConfig.Blocks; nil without).
	Blocks []BlockPhase
	// GotoroLoader is the dynamic loader the timed gotoro executable
	// names ("" when it is statically linked; DynamicLoader).
	GotoroLoader string
	// FloorExits and Exits are the VM exits of each boot (BootConfig.Exits).
	FloorExits, Exits []Exits
	// FloorCPU and CPU are the CPU time (user + system) of each untraced
	// boot's processes: QEMU for the floor; gotoro run, QEMU and any helper
	// for the guest. Less sensitive to a busy machine than wall time,
	// which also counts the waits for a CPU.
	FloorCPU, CPU []time.Duration
	// SnapTotal and SnapCPU are the runs from a snapshot
	// (BootConfig.Snapshot): start → exit and CPU time.
	SnapTotal, SnapCPU []time.Duration
	// FloorStart is the empty kernel's QEMU start → machine runs, from
	// one run of the floor probe (qemu.FloorProbeImage) beside each
	// traced run; empty when the host's TSC rate is unknown.
	FloorStart []time.Duration
	// FloorExit is the empty kernel's exit → QEMU exited, from the same
	// runs of the probe: its output's arrival (written just before its
	// exit) → QEMU reaped, the floor's counterpart of hello's "exit:
	// boot-trace line out → QEMU exited" (QEMU's exit and the host's
	// teardown of its address space).
	FloorExit []time.Duration
	// FloorStartErr is why the probe stopped being run, if it failed
	// (the rest of the benchmark does not depend on it).
	FloorStartErr error
	// Peer is the same program under user-mode TCG and its floor
	// (BootConfig.NoUserPeer; Peer.Skipped says why it did not run).
	Peer UserPeerReport
}

// CPURatio is the median, over the run pairs, of the guest's CPU time over
// the floor's.
func (r *BootReport) CPURatio() float64 {
	return pairedRatio(r.CPU, r.FloorCPU)
}

// SnapRatio and SnapCPURatio are Ratio and CPURatio of the runs from a
// snapshot (BootConfig.Snapshot; 0 without).
func (r *BootReport) SnapRatio() float64 {
	return pairedRatio(r.SnapTotal, r.Floor)
}

// SnapCPURatio: see SnapRatio.
func (r *BootReport) SnapCPURatio() float64 {
	return pairedRatio(r.SnapCPU, r.FloorCPU)
}

// TracedRun is one traced run of gotoro run.
type TracedRun struct {
	Launched, Exited time.Time // the gotoro process
	RunTrace
}

// Ratio is the median, over the runs, of gotoro run's start → exit divided
// by the floor's boot run just before it: pairing the two keeps the ratio
// meaningful when the machine's speed drifts during the benchmark.
func (r *BootReport) Ratio() float64 {
	return pairedRatio(r.Total, r.Floor)
}

// pairedRatio returns the median of a[i]/b[i].
func pairedRatio(a, b []time.Duration) float64 {
	n := min(len(a), len(b))
	if n == 0 {
		return 0
	}
	ratios := make([]float64, n)
	for i := range ratios {
		ratios[i] = float64(a[i]) / float64(b[i])
	}
	slices.Sort(ratios)
	return ratios[n/2]
}

// Boot times `gotoro run IMAGE` for the guest package against an empty
// PVH kernel booted on the same QEMU and accelerator, alternating the
// kinds so that machine noise hits all of them, and prints the report to
// cfg.Out: the totals, then where the time goes (from runs with
// -boottrace, kept apart so that tracing does not change the totals), and
// the image's size.
func Boot(ctx context.Context, cfg BootConfig) (*BootReport, error) {
	if cfg.Runs < 1 {
		return nil, fmt.Errorf("bench boot: need at least one run, got %d", cfg.Runs)
	}
	if cfg.Gotoro == "" {
		return nil, errors.New("bench boot: no gotoro executable to time")
	}
	if cfg.Blocks && cfg.Accel != qemu.AccelTCG {
		return nil, errors.New("bench boot: counting translated blocks needs -accel tcg")
	}
	dir, err := os.MkdirTemp("", "gotoro-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	img := cfg.Image
	if img == "" {
		img = filepath.Join(dir, filepath.Base(cfg.Package)+".img")
		if _, err := build.Build(ctx, build.Options{Package: cfg.Package, Dir: cfg.Dir, Output: img}); err != nil {
			return nil, fmt.Errorf("bench boot: building %s: %w", cfg.Package, err)
		}
	} else if err := qemu.CheckImage(img); err != nil {
		return nil, fmt.Errorf("bench boot: %w", err)
	}
	floor := filepath.Join(dir, "empty.img")
	if err := os.WriteFile(floor, qemu.EmptyKernelImage(), 0o644); err != nil {
		return nil, err
	}
	probe := filepath.Join(dir, "probe.img")
	if err := os.WriteFile(probe, qemu.FloorProbeImage(), 0o644); err != nil {
		return nil, err
	}
	rep := &BootReport{}
	if rep.Image, err = MeasureImage(img); err != nil {
		return nil, err
	}
	if rep.GotoroLoader, err = DynamicLoader(cfg.Gotoro); err != nil {
		return nil, fmt.Errorf("bench boot: %w", err)
	}
	var exits *exitTracer
	if cfg.Exits {
		if cfg.Accel != qemu.AccelKVM {
			return nil, errors.New("bench boot: counting VM exits needs -accel kvm")
		}
		if exits, err = newExitTracer(); err != nil {
			return nil, fmt.Errorf("bench boot: %w", err)
		}
		defer exits.close()
	}
	// counted runs f, which starts and reaps processes, and appends their
	// CPU time to *cpu and, when asked to, their VM exits to *into.
	counted := func(cpu *[]time.Duration, into *[]Exits, f func() error) error {
		if exits != nil {
			if err := exits.start(); err != nil {
				return err
			}
		}
		cpu0 := childrenCPU()
		ferr := f()
		*cpu = append(*cpu, childrenCPU()-cpu0)
		if exits == nil || ferr != nil {
			return ferr
		}
		e, err := exits.stop()
		if err != nil {
			return err
		}
		*into = append(*into, e)
		return nil
	}
	if cfg.RunTimeout == 0 {
		cfg.RunTimeout = 5 * time.Minute
	}
	traceFile := filepath.Join(dir, "trace.json")
	if cfg.Blocks {
		log := filepath.Join(dir, "in_asm.log")
		if _, err := runGotoro(ctx, cfg, img, "", "-translation-log", log); err != nil {
			return nil, err
		}
		if rep.Blocks, err = countBlocksFile(log); err != nil {
			return nil, fmt.Errorf("bench boot: %w", err)
		}
		os.Remove(log)
	}
	peer, err := setupUserPeer(ctx, cfg, img, dir, &rep.Peer)
	if err != nil {
		return nil, fmt.Errorf("bench boot: the user-mode peer: %w", err)
	}
	if peer != nil && cfg.Blocks {
		if rep.Peer.Blocks, err = peer.countBlocks(ctx, cfg.RunTimeout, dir); err != nil {
			return nil, fmt.Errorf("bench boot: the user-mode peer's translation log: %w", err)
		}
	}
	var snapFlags []string
	if cfg.Snapshot {
		snapDir := filepath.Join(dir, "snapshots")
		snapFlags = []string{"-snapshot", snapDir}
		if _, err := runGotoro(ctx, cfg, img, "", snapFlags...); err != nil {
			return nil, fmt.Errorf("bench boot: the run that saves the snapshot: %w", err)
		}
		if m, _ := filepath.Glob(filepath.Join(snapDir, "*.mig")); len(m) != 1 {
			return nil, fmt.Errorf("bench boot: the first run with -snapshot saved %d snapshots, want 1", len(m))
		}
	}
	for i := 0; i < cfg.Runs; i++ {
		if err := pause(ctx, cfg.Pause); err != nil {
			return nil, err
		}
		var res qemu.Result
		err := counted(&rep.FloorCPU, &rep.FloorExits, func() (err error) {
			_, res, err = qemu.Boot(ctx, qemu.Config{Image: floor, Accel: cfg.Accel, Timeout: min(time.Minute, cfg.RunTimeout), Stderr: io.Discard}, qemu.Guest{Args: []string{"empty"}})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("bench boot: run %d of the empty kernel: %w", i+1, err)
		}
		if res.Outcome != qemu.Exited || res.Status != 0 {
			return nil, fmt.Errorf("bench boot: the empty kernel ended with %v status %d", res.Outcome, res.Status)
		}
		rep.Floor = append(rep.Floor, res.Elapsed)

		if err := pause(ctx, cfg.Pause); err != nil {
			return nil, err
		}
		var run gotoroRun
		err = counted(&rep.CPU, &rep.Exits, func() (err error) {
			run, err = runGotoro(ctx, cfg, img, "")
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("bench boot: run %d: %w", i+1, err)
		}
		rep.Total = append(rep.Total, run.exited.Sub(run.launched))
		if !run.first.IsZero() {
			rep.FirstOutput = append(rep.FirstOutput, run.first.Sub(run.launched))
		}
		if cfg.Snapshot {
			if err := pause(ctx, cfg.Pause); err != nil {
				return nil, err
			}
			var none []Exits
			err = counted(&rep.SnapCPU, &none, func() (err error) {
				run, err = runGotoro(ctx, cfg, img, "", snapFlags...)
				return err
			})
			if err != nil {
				return nil, fmt.Errorf("bench boot: run %d from the snapshot: %w", i+1, err)
			}
			rep.SnapTotal = append(rep.SnapTotal, run.exited.Sub(run.launched))
		}
		if peer != nil {
			before := func() error { return pause(ctx, cfg.Pause) }
			if err := peer.run(ctx, cfg.RunTimeout, before, &rep.Peer); err != nil {
				return nil, fmt.Errorf("bench boot: run %d of the user-mode peer: %w", i+1, err)
			}
		}

		if cfg.NoTrace {
			progress(cfg, i, rep, 0)
			continue
		}
		if err := pause(ctx, cfg.Pause); err != nil {
			return nil, err
		}
		run, err = runGotoro(ctx, cfg, img, traceFile)
		if err != nil {
			return nil, fmt.Errorf("bench boot: traced run %d: %w", i+1, err)
		}
		progress(cfg, i, rep, run.exited.Sub(run.launched))
		t, err := ReadRunTrace(traceFile)
		if err != nil {
			return nil, err
		}
		if t.Boot == nil {
			return nil, fmt.Errorf("bench boot: traced run %d has no boot trace", i+1)
		}
		rep.Traces = append(rep.Traces, TracedRun{Launched: run.launched, Exited: run.exited, RunTrace: t})
		if hz := t.Boot.TSCHz; hz != 0 && rep.FloorStartErr == nil {
			p, err := probeFloor(ctx, cfg, probe, hz)
			if err != nil {
				if ctx.Err() != nil {
					return nil, err
				}
				rep.FloorStartErr = fmt.Errorf("run %d of the floor probe: %w", i+1, err)
				continue
			}
			rep.FloorStart = append(rep.FloorStart, p.start)
			rep.FloorExit = append(rep.FloorExit, p.exit)
		}
	}
	printBoot(cfg, rep)
	return rep, nil
}

// progress prints run i's times to cfg.Progress.
func progress(cfg BootConfig, i int, rep *BootReport, traced time.Duration) {
	if cfg.Progress == nil {
		return
	}
	fmt.Fprintf(cfg.Progress, "bench boot: run %d of %d: empty kernel %.0f ms, gotoro run %.0f ms", i+1, cfg.Runs,
		float64(rep.Floor[i])/1e6, float64(rep.Total[i])/1e6)
	if traced > 0 {
		fmt.Fprintf(cfg.Progress, ", traced %.0f ms", float64(traced)/1e6)
	}
	if len(rep.Exits) > i && len(rep.FloorExits) > i {
		fmt.Fprintf(cfg.Progress, ", VM exits %d (empty kernel %d)", rep.Exits[i].Total, rep.FloorExits[i].Total)
	}
	fmt.Fprintln(cfg.Progress)
}

// gotoroRun is one finished gotoro process.
type gotoroRun struct {
	launched, first, exited time.Time
}

// runGotoro runs gotoro run on img (with -boottrace traceFile unless it is
// empty, and the extra flags) and times it from just before the process starts to just after
// it was reaped.
func runGotoro(ctx context.Context, cfg BootConfig, img, traceFile string, extra ...string) (gotoroRun, error) {
	// A boot that hangs fails the benchmark instead of stopping it.
	args := []string{"run", "-accel", string(cfg.Accel), "-timeout", cfg.RunTimeout.String()}
	args = append(args, cfg.RunFlags...)
	args = append(args, extra...)
	if traceFile != "" {
		args = append(args, "-boottrace", traceFile)
	}
	args = append(args, img)
	cmd := exec.CommandContext(ctx, cfg.Gotoro, args...)
	out := &firstByte{}
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = out, &stderr
	var r gotoroRun
	r.launched = time.Now()
	err := cmd.Run()
	r.exited = time.Now()
	r.first = out.at()
	if err != nil {
		return r, fmt.Errorf("gotoro %s: %v\nits output: %s\n%s", strings.Join(args, " "), err, out.tail(), stderr.String())
	}
	return r, nil
}

// firstByte is a writer that notes when the first byte came, and keeps
// the last few KiB (for the error of a failed run).
type firstByte struct {
	mu    sync.Mutex
	first time.Time
	last  []byte
}

// keepOutput is how much of a run's output firstByte keeps.
const keepOutput = 4 << 10

func (f *firstByte) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.first.IsZero() && len(p) > 0 {
		f.first = time.Now()
	}
	f.last = append(f.last, p...)
	if len(f.last) > keepOutput {
		f.last = append(f.last[:0], f.last[len(f.last)-keepOutput:]...)
	}
	return len(p), nil
}

func (f *firstByte) tail() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return string(f.last)
}

func (f *firstByte) at() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.first
}

// Stats returns min, median and max of ds.
func Stats(ds []time.Duration) (lo, med, hi time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[0], s[len(s)/2], s[len(s)-1]
}

func ms(d time.Duration) string { return fmt.Sprintf("%8.2f", float64(d)/1e6) }

// phase is one interval of the boot timeline.
type phase struct {
	name string
	from func(TracedRun) (time.Time, bool)
	to   func(TracedRun) (time.Time, bool)
}

func step(i int) func(TracedRun) (time.Time, bool) {
	return func(r TracedRun) (time.Time, bool) { return r.Boot.Step(i) }
}

func at(f func(TracedRun) time.Time) func(TracedRun) (time.Time, bool) {
	return func(r TracedRun) (time.Time, bool) { t := f(r); return t, !t.IsZero() }
}

// phases are the intervals of the breakdown, in order; together they
// cover the traced run from the gotoro process's launch to its exit.
var phases = []phase{
	{"gotoro: process start → main", at(func(r TracedRun) time.Time { return r.Launched }), at(func(r TracedRun) time.Time { return r.Started })},
	{"gotoro: main → QEMU started", at(func(r TracedRun) time.Time { return r.Started }), at(func(r TracedRun) time.Time { return r.Boot.Launched })},
	{"QEMU: start → machine runs (guest TSC 0)", at(func(r TracedRun) time.Time { return r.Boot.Launched }), at(func(r TracedRun) time.Time { return r.Boot.VMStart })},
	{"firmware: → kernel entry", at(func(r TracedRun) time.Time { return r.Boot.VMStart }), step(bootabi.StepEntry)},
	{"kernel: descriptors, command line", step(bootabi.StepEntry), step(bootabi.StepCPU)},
	{"kernel: memory", step(bootabi.StepCPU), step(bootabi.StepMemory)},
	{"kernel: clock, local APIC timer", step(bootabi.StepMemory), step(bootabi.StepClock)},
	{"kernel: ACPI", step(bootabi.StepClock), step(bootabi.StepACPI)},
	{"kernel: other cores", step(bootabi.StepACPI), step(bootabi.StepCPUs)},
	{"kernel: file tree, devices", step(bootabi.StepCPUs), step(bootabi.StepDevices)},
	{"kernel: /tmp, cwd, descriptors", step(bootabi.StepDevices), step(bootabi.StepFiles)},
	{"kernel: first thread", step(bootabi.StepFiles), step(bootabi.StepRuntime)},
	{"Go runtime: rt0 → runtime.main", step(bootabi.StepRuntime), step(bootabi.StepRuntimeMain)},
	{"Go runtime: runtime.main → main.main (inits)", step(bootabi.StepRuntimeMain), step(bootabi.StepMain)},
	{"program: main.main → exit_group", step(bootabi.StepMain), step(bootabi.StepExit)},
	// The guest prints its boot-trace line after its exit step and only
	// when traced; what follows the line is the exit of an untraced run
	// (and the counterpart of the floor's exit after its output).
	{"exit: exit_group → boot-trace line out (traced only)", step(bootabi.StepExit), traceLineEnd(true)},
	{phaseAfterTraceLine, traceLineEnd(false), at(func(r TracedRun) time.Time { return r.Boot.Exited })},
	// gotoro writes the trace file after its work: a cost of -boottrace.
	{"gotoro: QEMU exited → its work done", at(func(r TracedRun) time.Time { return r.Boot.Exited }), runFinished(true)},
	{phaseAfterWork, runFinished(false), at(func(r TracedRun) time.Time { return r.Exited })},
}

// The phases a trace from an older gotoro has no start for: the phase
// before each then runs to its end.
const (
	phaseAfterTraceLine = "exit: boot-trace line out → QEMU exited"
	phaseAfterWork      = "gotoro: trace file written, process exited"
)

// traceLineEnd is when the boot-trace line had arrived. A trace from a
// gotoro that did not record it has no such moment: as an end (orNext)
// it is then QEMU's exit, so that the phases still tile the run, and as
// a start the phase is left out.
func traceLineEnd(orNext bool) func(TracedRun) (time.Time, bool) {
	return func(r TracedRun) (time.Time, bool) {
		if t := r.Boot.TraceLineEnd; !t.IsZero() {
			return t, true
		}
		return r.Boot.Exited, orNext && !r.Boot.Exited.IsZero()
	}
}

// runFinished is when gotoro run had done its work, before writing the
// trace file; like traceLineEnd for a trace without it (then the process's
// exit as an end).
func runFinished(orNext bool) func(TracedRun) (time.Time, bool) {
	return func(r TracedRun) (time.Time, bool) {
		if !r.Finished.IsZero() {
			return r.Finished, true
		}
		return r.Exited, orNext && !r.Exited.IsZero()
	}
}

// spans returns, over the traced runs, the durations from..to where both
// happened.
func spans(runs []TracedRun, from, to func(TracedRun) (time.Time, bool)) []time.Duration {
	var ds []time.Duration
	for _, r := range runs {
		a, ok1 := from(r)
		b, ok2 := to(r)
		if ok1 && ok2 {
			ds = append(ds, b.Sub(a))
		}
	}
	return ds
}

func printBoot(cfg BootConfig, r *BootReport) {
	w := cfg.Out
	name := filepath.Base(cfg.Package)
	if cfg.Image != "" {
		name = strings.TrimSuffix(filepath.Base(cfg.Image), ".img")
	}
	flags := strings.Join(append([]string{"-accel", string(cfg.Accel)}, cfg.RunFlags...), " ")
	fmt.Fprintf(w, "# gotoro boot benchmark: `gotoro run %s %s.img` against an empty PVH kernel on QEMU microvm, %d runs each, times in ms\n", flags, name, cfg.Runs)
	if cfg.Pause > 0 {
		fmt.Fprintf(w, "# each run after a pause of %v (as a single run after an idle host; -pause)\n", cfg.Pause)
	}
	fmt.Fprintf(w, "%-56s %8s %8s %8s\n", "# what", "min", "median", "max")
	line := func(label string, ds []time.Duration) {
		lo, med, hi := Stats(ds)
		fmt.Fprintf(w, "%-56s %s %s %s\n", label, ms(lo), ms(med), ms(hi))
	}
	line("empty PVH kernel: QEMU start → exit (floor)", r.Floor)
	line(name+": gotoro run start → first output", r.FirstOutput)
	line(name+": gotoro run start → exit", r.Total)
	// Without traced runs (-trace=false) there is no QEMU start to time
	// from: the line is left out rather than printed as zeros.
	if qemu := spans(r.Traces, at(func(t TracedRun) time.Time { return t.Boot.Launched }), at(func(t TracedRun) time.Time { return t.Boot.Exited })); len(qemu) > 0 {
		line(name+": QEMU start → exit (traced runs)", qemu)
	}
	_, floor, _ := Stats(r.Floor)
	_, total, _ := Stats(r.Total)
	fmt.Fprintf(w, "gotoro's own share (median start → exit − floor): %.1f ms\n", float64(total-floor)/1e6)
	fmt.Fprintf(w, "ratio start → exit, gotoro run / empty kernel (median of the run pairs): %.2f\n", r.Ratio())
	line("empty PVH kernel: CPU time (user + system)", r.FloorCPU)
	line(name+": CPU time of gotoro run and QEMU", r.CPU)
	fmt.Fprintf(w, "ratio of CPU time, gotoro run / empty kernel (median of the run pairs): %.2f\n", r.CPURatio())
	if len(r.SnapTotal) > 0 {
		line(name+" from a snapshot (-snapshot): start → exit", r.SnapTotal)
		_, snap, _ := Stats(r.SnapTotal)
		fmt.Fprintf(w, "own share from a snapshot (median start → exit − floor): %.1f ms\n", float64(snap-floor)/1e6)
		fmt.Fprintf(w, "ratio start → exit from a snapshot / empty kernel (median of the run pairs): %.2f\n", r.SnapRatio())
		line(name+" from a snapshot: CPU time", r.SnapCPU)
		fmt.Fprintf(w, "ratio of CPU time from a snapshot / empty kernel (median of the run pairs): %.2f\n", r.SnapCPURatio())
	}
	_, floorCPU, _ := Stats(r.FloorCPU)
	_, cpu, _ := Stats(r.CPU)
	printUserPeer(w, name, &r.Peer, total-floor, cpu-floorCPU, line)

	if len(r.Traces) == 0 {
		printExits(w, name, r.FloorExits, r.Exits)
		printImage(w, name, r.Image)
		printLinkage(w, cfg.Gotoro, r.GotoroLoader)
		if r.Blocks != nil {
			printBlocks(w, name, r.Blocks)
			if r.Peer.Blocks != nil {
				printUserPeerBlocks(w, name, r.Peer.Blocks, r.Blocks)
			}
		}
		return
	}
	fmt.Fprintf(w, "\n# where the time goes: %d runs with -boottrace (guest steps from its TSC at %d Hz)\n", len(r.Traces), r.Traces[0].Boot.TSCHz)
	fmt.Fprintf(w, "%-56s %8s %8s %8s\n", "# phase", "min", "median", "max")
	var sum time.Duration
	merged := false
	for _, p := range phases {
		ds := spans(r.Traces, p.from, p.to)
		if len(ds) == 0 {
			fmt.Fprintf(w, "%-56s %8s\n", p.name, "-")
			merged = merged || p.name == phaseAfterTraceLine || p.name == phaseAfterWork
			continue
		}
		_, med, _ := Stats(ds)
		sum += med
		line(p.name, ds)
	}
	line("kernel boot: entry → Go runtime", spans(r.Traces, step(bootabi.StepEntry), step(bootabi.StepRuntime)))
	line("gotoro run start → main.main", spans(r.Traces, at(func(t TracedRun) time.Time { return t.Launched }), step(bootabi.StepMain)))
	line("gotoro run start → exit (traced)", spans(r.Traces, at(func(t TracedRun) time.Time { return t.Launched }), at(func(t TracedRun) time.Time { return t.Exited })))
	fmt.Fprintf(w, "%-56s %8s %s\n", "sum of the phase medians", "", ms(sum))
	if merged {
		fmt.Fprintln(w, "# (the timed gotoro does not record the boot-trace line's end or the end of its work: each phase marked - is inside the one above it)")
	}
	switch {
	case r.FloorStartErr != nil:
		fmt.Fprintf(w, "empty kernel: QEMU start → machine runs not measured: %v\n", r.FloorStartErr)
	case len(r.FloorStart) > 0:
		line("empty kernel: QEMU start → machine runs (its TSC)", r.FloorStart)
		if len(r.FloorExit) > 0 {
			line("empty kernel: exit (its output) → QEMU exited", r.FloorExit)
		}
	}
	fmt.Fprintf(w, "guest kernel entries, median (to main.main / to exit):")
	for i, n := range bootabi.CountNames {
		var atMain, total []time.Duration
		for _, t := range r.Traces {
			atMain = append(atMain, time.Duration(t.Boot.CountsAtMain[i]))
			total = append(total, time.Duration(t.Boot.Counts[i]))
		}
		_, m, _ := Stats(atMain)
		_, e, _ := Stats(total)
		fmt.Fprintf(w, " %s %d/%d", countLabels[n], m, e)
	}
	fmt.Fprintln(w)

	printExits(w, name, r.FloorExits, r.Exits)
	printImage(w, name, r.Image)
	printLinkage(w, cfg.Gotoro, r.GotoroLoader)
	if r.Blocks != nil {
		printBlocks(w, name, r.Blocks)
		if r.Peer.Blocks != nil {
			printUserPeerBlocks(w, name, r.Peer.Blocks, r.Blocks)
		}
	}
}

// printLinkage says when the timed gotoro is dynamically linked: its
// start-up then includes the dynamic loader's and cgo's.
func printLinkage(w io.Writer, exe, loader string) {
	if loader == "" {
		return
	}
	fmt.Fprintf(w, "# %s is dynamically linked (%s; built with cgo): each run pays the loader and cgo's start, about 0.5 ms; build it with CGO_ENABLED=0\n", exe, loader)
}

func printImage(w io.Writer, name string, im ImageSize) {
	fmt.Fprintf(w, "\n# image %s.img: %s file; loaded %s (text %s, read-only data and pcln table %s, data %s), zeroed at start %s; symbol table and DWARF %s (not loaded)\n",
		name, kb(im.File), kb(im.Loaded), kb(im.Text), kb(im.ROData), kb(im.Data), kb(im.BSS), kb(im.Debug))
}

var countLabels = map[string]string{"sys": "system calls", "pf": "page faults", "irq": "interrupts"}

func kb(n uint64) string { return fmt.Sprintf("%.0f KiB", float64(n)/1024) }

// ImageSize is how an image's bytes divide up.
type ImageSize struct {
	File   uint64 // the file
	Loaded uint64 // bytes QEMU copies into guest memory (PT_LOAD file sizes)
	Text   uint64 // executable segment
	ROData uint64 // read-only segments (rodata, pcln table, packed files)
	Data   uint64 // initialized writable data
	BSS    uint64 // zero-filled memory beyond the data (PT_LOAD memsz − filesz)
	Debug  uint64 // symbol table, string table and DWARF sections
}

// MeasureImage reads the sizes of an image's parts.
func MeasureImage(path string) (ImageSize, error) {
	var s ImageSize
	st, err := os.Stat(path)
	if err != nil {
		return s, err
	}
	s.File = uint64(st.Size())
	f, err := elf.Open(path)
	if err != nil {
		return s, fmt.Errorf("reading the image %s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD {
			continue
		}
		s.Loaded += p.Filesz
		switch {
		case p.Flags&elf.PF_X != 0:
			s.Text += p.Filesz
		case p.Flags&elf.PF_W != 0:
			s.Data += p.Filesz
		default:
			s.ROData += p.Filesz
		}
		s.BSS += p.Memsz - p.Filesz
	}
	for _, sec := range f.Sections {
		if sec.Type == elf.SHT_SYMTAB || sec.Type == elf.SHT_STRTAB && sec.Name == ".strtab" || strings.HasPrefix(sec.Name, ".debug_") || strings.HasPrefix(sec.Name, ".zdebug_") {
			s.Debug += sec.FileSize
		}
	}
	return s, nil
}

// childrenCPU returns the CPU time (user + system) of this process's
// reaped children and their reaped descendants so far.
func childrenCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pause waits d (nothing if 0) unless ctx ends first.
func pause(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
