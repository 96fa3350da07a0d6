package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gotoro/gotoro/host/bench"
	"github.com/gotoro/gotoro/host/build"
	"github.com/gotoro/gotoro/host/qemu"
)

const benchUsage = `usage: gotoro bench boot [-n RUNS] [-accel auto|kvm|tcg] [-net auto|user|none] [-max-ratio R] [-max-cpu-ratio R] [-exits] [-gotoro EXE] [-trace=false] [-snapshot [-max-snapshot-ratio R] [-max-snapshot-cpu-ratio R]] [-blocks] [-max-kernel-blocks N] [-max-kernel-insns N] [-peer=false] [-v] [-run-timeout D] [-pause D] [PKG | -image IMAGE]
       gotoro bench smp [-cpus N] [-sleep D] [-boots N] [-accel auto|kvm|tcg]
       gotoro bench prof [-hz LIST] [-n RUNS] (see gotoro bench prof -h)
       gotoro bench vector [-t DURATION] [-n RUNS] [-accel auto|kvm|tcg]

boot: times "gotoro run IMAGE" for PKG (default: gotoro's examples/hello)
against an empty PVH kernel on the same QEMU and accelerator: start → first
console output and start → exit, min/median/max over RUNS runs each; then,
from as many runs with -boottrace, where the time goes (gotoro's own work,
QEMU, each kernel step, the Go runtime, main, exit), the empty kernel's
QEMU start → machine runs (from as many runs of it printing its TSC) and
the image's size. -max-ratio R fails (exit status 1) when the median start → exit exceeds R
times the empty kernel's; -max-cpu-ratio R the same for the CPU time of the
boot's processes (the regression guard CI uses: docs/boot.md). -gotoro EXE
times another gotoro build's run (A/B of two builds; -trace=false for a
build without -boottrace). -image times a
built image instead of building PKG (on a machine without Go). -exits
(with -accel kvm, as root on Linux) counts each boot's VM exits with the
host kernel's KVM tracepoints: by reason, port and MSR. -snapshot also
times gotoro run -snapshot DIR (one untimed run saves the snapshot first);
-max-snapshot-ratio R and -max-snapshot-cpu-ratio R bound those runs'
ratios to the empty kernel as -max-ratio and -max-cpu-ratio do a boot's.
-blocks (TCG) counts the blocks of guest code QEMU translates in one more
run, per boot phase and per package initialization; -max-kernel-blocks N fails when the kernel's boot
translates more than N (a bound that does not depend on the load), and
-max-kernel-insns N when their instructions are more than N (what the
boot's time follows most closely).
Under TCG, with PKG, it also times the user-mode peer in the same run,
alternating with the others: PKG built as a static linux/amd64 executable
(CGO_ENABLED=0) run by qemu-x86_64 (Debian's qemu-user), against a
3-instruction exit program run the same way, and prints the Go program's
share over that floor and gotoro's own share over it: the Go runtime's own
start under TCG, which no kernel removes. Without qemu-x86_64 it says so
and skips only the peer; -peer=false turns it off.
-pause D waits D before each timed run, so that each starts as a
single run after an idle host does (costs only such a run pays show; 2s
is enough for those seen so far). -v prints each
run's times as it finishes; -run-timeout D (default 5m) fails the benchmark
when one boot takes longer, naming it.

smp: runs examples/smpbench in an N-vCPU guest (default 2) and natively:
CoreID versus reading the local APIC, parallel speed-up, cross-core wake-up
latency, two threads reading their own files and writing their own /tmp
files (parallel / sequential),
loopback HTTP requests per second on every core / one core, and the host
CPU a guest uses while it sleeps D (default 10s). -boots N also runs the
CPU-bound job in N boots and shows, for each, its ratio, the workers'
share of their wall time on their cores (the guest kernel's accounting),
each core's busy time and the host CPU time of each vCPU thread.

vector: runs examples/vecbench (memmove, bytes.IndexByte, bytes.Equal,
sha256, AES-GCM) natively and in a guest with the kernel's FXSAVE fallback
(xsave=off: SSE code) and with XSAVE (AVX2 code where the CPU has it);
each measurement runs at least DURATION (default 200ms), best of 3; the
three programs run RUNS times in turn (default 3) and the medians count.
`

func (c *cli) bench(args []string) int {
	if len(args) > 0 && args[0] == "smp" {
		return c.benchSMP(args[1:])
	}
	if len(args) > 0 && args[0] == "prof" {
		return c.benchProf(args[1:])
	}
	if len(args) > 0 && args[0] == "vector" {
		return c.benchVector(args[1:])
	}
	if len(args) == 0 || args[0] != "boot" {
		fmt.Fprint(c.stderr, benchUsage)
		return exitError
	}
	fs := flag.NewFlagSet("gotoro bench boot", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	runs := fs.Int("n", 20, "boots per image")
	accel := fs.String("accel", "tcg", "accelerator: auto, kvm or tcg")
	netMode := fs.String("net", "", "gotoro run's -net (default: its own default)")
	maxRatio := fs.Float64("max-ratio", 0, "fail if the median start → exit is more than `R` times the empty kernel's (0: no bound)")
	image := fs.String("image", "", "time the built `image` instead of building PKG")
	maxCPURatio := fs.Float64("max-cpu-ratio", 0, "fail if the median CPU time of a boot is more than `R` times the empty kernel's (0: no bound)")
	other := fs.String("gotoro", "", "time the run of this gotoro `executable` instead of this one's")
	trace := fs.Bool("trace", true, "also time runs with -boottrace and print where the time goes")
	exits := fs.Bool("exits", false, "count the VM exits of each boot (KVM tracepoints: -accel kvm, root)")
	verbose := fs.Bool("v", false, "print each run's times as it finishes (on stderr)")
	blocks := fs.Bool("blocks", false, "also count the blocks of guest code QEMU translates in one run, per boot phase and package initialization (TCG: the measure that does not depend on the load)")
	maxKernelBlocks := fs.Int("max-kernel-blocks", 0, "fail if the kernel's boot (entry → Go runtime) translates more than `N` blocks (implies -blocks; 0: no bound)")
	maxKernelInsns := fs.Int("max-kernel-insns", 0, "fail if the blocks the kernel's boot translates hold more than `N` instructions (implies -blocks; 0: no bound)")
	runTimeout := fs.Duration("run-timeout", 5*time.Minute, "fail if one boot takes longer than `d`")
	pauseFor := fs.Duration("pause", 0, "wait `d` before each timed run, so each starts as a single run after an idle host does (0: back to back)")
	snapshot := fs.Bool("snapshot", false, "also time gotoro run -snapshot, started from a snapshot one run saved first")
	maxSnapRatio := fs.Float64("max-snapshot-ratio", 0, "with -snapshot: fail if the median start → exit from the snapshot is more than `R` times the empty kernel's (0: no bound)")
	maxSnapCPURatio := fs.Float64("max-snapshot-cpu-ratio", 0, "with -snapshot: fail if the median CPU time of a run from the snapshot is more than `R` times the empty kernel's (0: no bound)")
	peer := fs.Bool("peer", true, "TCG: also time the program built as a static linux/amd64 executable under qemu-x86_64 (user-mode TCG) against a 3-instruction exit program: the Go runtime's own start without a kernel")
	if err := fs.Parse(args[1:]); err != nil {
		fmt.Fprintf(c.stderr, "gotoro bench: %v\n\n%s", err, benchUsage)
		return exitError
	}
	a, err := qemu.ParseAccel(*accel)
	if err != nil {
		return c.fail(err)
	}
	if *runs < 10 {
		fmt.Fprintf(c.stderr, "gotoro bench: -n %d: need at least 10 runs for a min/median/max report\n", *runs)
		return exitError
	}
	for _, b := range []struct {
		name string
		v    float64
	}{{"-max-ratio", *maxRatio}, {"-max-cpu-ratio", *maxCPURatio}, {"-max-snapshot-ratio", *maxSnapRatio}, {"-max-snapshot-cpu-ratio", *maxSnapCPURatio}} {
		if b.v < 0 {
			fmt.Fprintf(c.stderr, "gotoro bench: %s %g: want a positive bound (or 0 for none)\n", b.name, b.v)
			return exitError
		}
	}
	for _, b := range []struct {
		name string
		v    int
	}{{"-max-kernel-blocks", *maxKernelBlocks}, {"-max-kernel-insns", *maxKernelInsns}} {
		if b.v < 0 {
			fmt.Fprintf(c.stderr, "gotoro bench: %s %d: want a positive bound (or 0 for none)\n", b.name, b.v)
			return exitError
		}
	}
	if *maxKernelBlocks > 0 || *maxKernelInsns > 0 {
		*blocks = true
	}
	if (*maxSnapRatio > 0 || *maxSnapCPURatio > 0) && !*snapshot {
		fmt.Fprintf(c.stderr, "gotoro bench: -max-snapshot-ratio and -max-snapshot-cpu-ratio bound the runs of -snapshot: add -snapshot\n")
		return exitError
	}
	self, err := os.Executable()
	if err != nil {
		return c.fail(fmt.Errorf("finding the gotoro executable to time: %w", err))
	}
	if *other != "" {
		if fi, err := os.Stat(*other); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			fmt.Fprintf(c.stderr, "gotoro bench: -gotoro %s: not an executable file\n", *other)
			return exitError
		}
		self = *other
	}
	if *exits && a != qemu.AccelKVM {
		fmt.Fprintf(c.stderr, "gotoro bench: -exits counts KVM's exits: it needs -accel kvm\n")
		return exitError
	}
	if *pauseFor < 0 {
		fmt.Fprintf(c.stderr, "gotoro bench: -pause %v: want a positive duration (or 0 for none)\n", *pauseFor)
		return exitError
	}
	if *runTimeout <= 0 {
		fmt.Fprintf(c.stderr, "gotoro bench: -run-timeout %v: want a positive duration\n", *runTimeout)
		return exitError
	}
	cfg := bench.BootConfig{Runs: *runs, Accel: a, Out: c.stdout, Gotoro: self, Exits: *exits, NoTrace: !*trace, RunTimeout: *runTimeout, Snapshot: *snapshot, Blocks: *blocks, Pause: *pauseFor, NoUserPeer: !*peer}
	if *verbose {
		cfg.Progress = c.stderr
	}
	if *netMode != "" {
		if _, err := qemu.ParseNetwork(*netMode); err != nil {
			return c.fail(err)
		}
		cfg.RunFlags = append(cfg.RunFlags, "-net", *netMode)
	}
	switch {
	case *image != "" && fs.NArg() > 0:
		fmt.Fprintf(c.stderr, "gotoro bench: give PKG or -image, not both\n\n%s", benchUsage)
		return exitError
	case *image != "":
		cfg.Image, cfg.Package = *image, *image
	case fs.NArg() == 0:
		root, err := build.Root()
		if err != nil {
			return c.fail(err)
		}
		cfg.Package, cfg.Dir = "./examples/hello", root
	case fs.NArg() == 1:
		cfg.Package, cfg.Dir = fs.Arg(0), "."
	default:
		fmt.Fprint(c.stderr, benchUsage)
		return exitError
	}
	rep, err := bench.Boot(c.ctx, cfg)
	if err != nil {
		return c.fail(err)
	}
	// Each bound, when set, fails the run (status 1) with its own message.
	bounds := []struct {
		ratio, max float64
		format     string
	}{
		{rep.Ratio(), *maxRatio, "start → exit is %.2f times the empty kernel's, above the bound %.2f"},
		{rep.CPURatio(), *maxCPURatio, "a boot's CPU time is %.2f times the empty kernel's, above the bound %.2f"},
		{rep.SnapRatio(), *maxSnapRatio, "start → exit from the snapshot is %.2f times the empty kernel's, above the bound %.2f"},
		{rep.SnapCPURatio(), *maxSnapCPURatio, "a run from the snapshot takes %.2f times the empty kernel's CPU time, above the bound %.2f"},
	}
	status := 0
	for _, b := range bounds {
		if b.max > 0 && b.ratio > b.max {
			fmt.Fprintf(c.stderr, "gotoro bench boot: "+b.format+"\n", b.ratio, b.max)
			status = 1
		}
	}
	if n := rep.KernelBlocks(); *maxKernelBlocks > 0 && n > *maxKernelBlocks {
		fmt.Fprintf(c.stderr, "gotoro bench boot: the kernel's boot translates %d blocks, above the bound %d (more code runs once at boot: see the largest functions above)\n", n, *maxKernelBlocks)
		status = 1
	}
	if n := rep.KernelInsns(); *maxKernelInsns > 0 && n > *maxKernelInsns {
		fmt.Fprintf(c.stderr, "gotoro bench boot: the kernel's boot translates %d instructions, above the bound %d (more code runs once at boot: see the largest functions above)\n", n, *maxKernelInsns)
		status = 1
	}
	return status
}

func (c *cli) benchSMP(args []string) int {
	fs := flag.NewFlagSet("gotoro bench smp", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cpus := fs.Int("cpus", 2, "vCPUs of the guest (at least 2)")
	sleep := fs.Duration("sleep", 10*time.Second, "how long the idle guest sleeps")
	boots := fs.Int("boots", 0, "also run the CPU-bound job in this many boots and show where the time went")
	accel := fs.String("accel", "tcg", "accelerator: auto, kvm or tcg")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		if err == nil {
			err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
		}
		fmt.Fprintf(c.stderr, "gotoro bench smp: %v\n\n%s", err, benchUsage)
		return exitError
	}
	a, err := qemu.ParseAccel(*accel)
	if err != nil {
		return c.fail(err)
	}
	if *cpus < 2 || *sleep <= 0 || *boots < 0 {
		fmt.Fprintf(c.stderr, "gotoro bench smp: need -cpus >= 2, a positive -sleep and -boots >= 0 (got %d, %s, %d)\n", *cpus, *sleep, *boots)
		return exitError
	}
	if err := bench.SMP(c.ctx, bench.SMPConfig{Accel: a, CPUs: *cpus, Sleep: *sleep, Boots: *boots, Out: c.stdout}); err != nil {
		return c.fail(err)
	}
	return 0
}

func (c *cli) benchVector(args []string) int {
	fs := flag.NewFlagSet("gotoro bench vector", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	minTime := fs.Duration("t", 200*time.Millisecond, "minimum time of each measurement")
	runs := fs.Int("n", 3, "runs of each program, taken in turn")
	accel := fs.String("accel", "tcg", "accelerator: auto, kvm or tcg")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		if err == nil {
			err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
		}
		fmt.Fprintf(c.stderr, "gotoro bench vector: %v\n\n%s", err, benchUsage)
		return exitError
	}
	a, err := qemu.ParseAccel(*accel)
	if err != nil {
		return c.fail(err)
	}
	if *minTime <= 0 || *runs < 1 {
		fmt.Fprintf(c.stderr, "gotoro bench vector: -t must be positive and -n at least 1 (got %s, %d)\n", *minTime, *runs)
		return exitError
	}
	if err := bench.Vector(c.ctx, bench.VectorConfig{Accel: a, MinTime: *minTime, Runs: *runs, Out: c.stdout}); err != nil {
		return c.fail(err)
	}
	return 0
}
