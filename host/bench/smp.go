package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gotoro/gotoro/host/qemu"
)

// SMPConfig configures the multi-core benchmark.
type SMPConfig struct {
	Accel qemu.Accel
	CPUs  int           // vCPUs of the guest (at least 2)
	Sleep time.Duration // how long the idle guest sleeps
	// Boots, if > 0, repeats the CPU-bound job in that many guest boots
	// (and native runs) and prints each one's ratio with where the time
	// went: the workers' share of their wall time on their core (the
	// guest kernel's accounting), each core's busy time in the guest, and
	// the host CPU time of each of QEMU's vCPU threads.
	Boots int
	Out   io.Writer
}

// SMP runs examples/smpbench in a gotoro guest and as a native process on
// this host, and prints: CoreID versus reading the local APIC, the parallel
// speed-up of a CPU-bound job, cross-core wake-up latency, two threads
// reading their own files in parallel against one reading both, the same
// for writes to /tmp files and for page faults in fresh memory, loopback
// HTTP throughput on every core against one, and the host CPU an idle
// guest costs.
func SMP(ctx context.Context, cfg SMPConfig) error {
	if cfg.CPUs < 2 {
		return fmt.Errorf("bench smp: need at least 2 vCPUs, got %d", cfg.CPUs)
	}
	dir, img, native, err := buildPair(ctx, "smpbench")
	if err != nil {
		return fmt.Errorf("bench smp: %w", err)
	}
	defer os.RemoveAll(dir)

	guestTrace := func(trace int, args ...string) (map[string]float64, string, qemu.Result, error) {
		out, res, err := qemu.Boot(ctx, qemu.Config{Image: img, Accel: cfg.Accel, CPUs: cfg.CPUs, Timeout: 5 * time.Minute, Stderr: io.Discard},
			qemu.Guest{Args: append([]string{"smpbench"}, args...), KernelTrace: trace})
		if err == nil && (res.Outcome != qemu.Exited || res.Status != 0) {
			err = fmt.Errorf("guest smpbench %s: %v status %d:\n%s", strings.Join(args, " "), res.Outcome, res.Status, out)
		}
		return parseResults(out), string(out), res, err
	}
	guest := func(args ...string) (map[string]float64, qemu.Result, error) {
		r, _, res, err := guestTrace(0, args...)
		return r, res, err
	}
	host := func(args ...string) (map[string]float64, error) {
		cmd := exec.CommandContext(ctx, native, args...)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("native smpbench %s: %w", strings.Join(args, " "), err)
		}
		return parseResults(out), nil
	}

	w := cfg.Out
	fmt.Fprintf(w, "# gotoro SMP benchmark: guest on QEMU microvm (accel %s, %d vCPUs) and a native process on this host\n", cfg.Accel, cfg.CPUs)
	results := map[string]float64{}
	nat := map[string]float64{}
	for _, b := range []string{"coreid", "speedup", "wake", "files", "writes", "faults", "pipes", "http"} {
		g, _, err := guest(b)
		if err != nil {
			return err
		}
		n, err := host(b)
		if err != nil {
			return err
		}
		for k, v := range g {
			results[k] = v
		}
		for k, v := range n {
			nat[k] = v
		}
	}
	fmt.Fprintf(w, "\n## CoreID versus asking the hardware (guest; ns per call, net = minus an empty call)\n")
	fmt.Fprintf(w, "%-20s %10s %10s %12s\n", "# method", "ns", "net ns", "ns/CoreID")
	loop := results["coreid/empty-call"]
	base := results["coreid/gotoro.CoreID"]
	for _, k := range []string{"coreid/empty-call", "coreid/gotoro.CoreID", "coreid/xAPIC-MMIO", "coreid/x2APIC-MSR", "coreid/CPUID.1"} {
		name := strings.TrimPrefix(k, "coreid/")
		v, ok := results[k]
		switch {
		case !ok:
			fmt.Fprintf(w, "%-20s %10s   (not available here)\n", name, "n/a")
		case k == "coreid/empty-call":
			fmt.Fprintf(w, "%-20s %10.1f\n", name, v)
		default:
			fmt.Fprintf(w, "%-20s %10.1f %10.1f %11.1fx\n", name, v, v-loop, v/base)
		}
	}
	fmt.Fprintf(w, "native process: CoreID %.1f ns (RDTSCP), getcpu system call %.1f ns, empty call %.1f ns\n",
		nat["coreid/gotoro.CoreID"], nat["coreid/getcpu-syscall"], nat["coreid/empty-call"])

	fmt.Fprintf(w, "\n## Parallel speed-up of a CPU-bound job (best of 3, ms)\n")
	fmt.Fprintf(w, "%-10s %10s %10s %10s\n", "# where", "1 core", "all cores", "ratio")
	par := fmt.Sprintf("speedup/%d-cores", cfg.CPUs)
	fmt.Fprintf(w, "%-10s %10.1f %10.1f %10.2f\n", "guest", results["speedup/1-core"], results[par], results["speedup/ratio"])
	natPar := 0.0
	for k, v := range nat {
		if strings.HasPrefix(k, "speedup/") && strings.HasSuffix(k, "-cores") {
			natPar = v
		}
	}
	fmt.Fprintf(w, "%-10s %10.1f %10.1f %10.2f\n", "native", nat["speedup/1-core"], natPar, nat["speedup/ratio"])

	fmt.Fprintf(w, "\n## Cross-core wake-up latency (one way, µs; ping-pong between threads pinned to cores 0 and 1)\n")
	fmt.Fprintf(w, "%-24s %10s %10s %10s\n", "# mechanism", "guest", "native", "ratio")
	for _, k := range []string{"wake/futex", "wake/pollhint"} {
		fmt.Fprintf(w, "%-24s %10.1f %10.1f %10.1f\n", strings.TrimPrefix(k, "wake/"), results[k], nat[k], results[k]/nat[k])
	}

	fmt.Fprintf(w, "\n## Two threads reading their own files (4 KiB preads; parallel on 2 cores / one thread reading both)\n")
	fmt.Fprintf(w, "%-10s %12s %12s %10s %14s\n", "# where", "sequential", "parallel", "ratio", "ns per read")
	fmt.Fprintf(w, "%-10s %12.1f %12.1f %10.2f %14.0f\n", "guest", results["files/sequential"], results["files/parallel"], results["files/ratio"], results["files/ns-per-read"])
	fmt.Fprintf(w, "%-10s %12.1f %12.1f %10.2f %14.0f\n", "native", nat["files/sequential"], nat["files/parallel"], nat["files/ratio"], nat["files/ns-per-read"])
	fmt.Fprintf(w, "guest ratio - native ratio: %+.2f (target: within 0.1)\n", results["files/ratio"]-nat["files/ratio"])

	fmt.Fprintf(w, "\n## Two threads writing their own /tmp files (4 KiB pwrites; parallel on 2 cores / one thread writing both)\n")
	fmt.Fprintf(w, "%-10s %12s %12s %10s %14s\n", "# where", "sequential", "parallel", "ratio", "ns per write")
	fmt.Fprintf(w, "%-10s %12.1f %12.1f %10.2f %14.0f\n", "guest", results["writes/sequential"], results["writes/parallel"], results["writes/ratio"], results["writes/ns-per-call"])
	fmt.Fprintf(w, "%-10s %12.1f %12.1f %10.2f %14.0f\n", "native", nat["writes/sequential"], nat["writes/parallel"], nat["writes/ratio"], nat["writes/ns-per-call"])
	fmt.Fprintf(w, "guest ratio - native ratio: %+.2f (target: within 0.1)\n", results["writes/ratio"]-nat["writes/ratio"])

	fmt.Fprintf(w, "\n## Two threads faulting in their own fresh memory (a write per 4 KiB page; parallel on 2 cores / one thread doing both)\n")
	fmt.Fprintf(w, "%-10s %12s %12s %10s %14s\n", "# where", "sequential", "parallel", "ratio", "ns per fault")
	fmt.Fprintf(w, "%-10s %12.1f %12.1f %10.2f %14.0f\n", "guest", results["faults/sequential"], results["faults/parallel"], results["faults/ratio"], results["faults/ns-per-fault"])
	fmt.Fprintf(w, "%-10s %12.1f %12.1f %10.2f %14.0f\n", "native", nat["faults/sequential"], nat["faults/parallel"], nat["faults/ratio"], nat["faults/ns-per-fault"])
	fmt.Fprintf(w, "guest ratio - native ratio: %+.2f (target: within 0.1)\n", results["faults/ratio"]-nat["faults/ratio"])

	fmt.Fprintf(w, "\n## Two threads each moving 4 KiB through its own pipe (write + read; parallel on 2 cores / one thread using both)\n")
	fmt.Fprintf(w, "%-10s %12s %12s %10s %14s\n", "# where", "sequential", "parallel", "ratio", "ns per call")
	fmt.Fprintf(w, "%-10s %12.1f %12.1f %10.2f %14.0f\n", "guest", results["pipes/sequential"], results["pipes/parallel"], results["pipes/ratio"], results["pipes/ns-per-call"])
	fmt.Fprintf(w, "%-10s %12.1f %12.1f %10.2f %14.0f\n", "native", nat["pipes/sequential"], nat["pipes/parallel"], nat["pipes/ratio"], nat["pipes/ns-per-call"])
	fmt.Fprintf(w, "guest ratio - native ratio: %+.2f (target: within 0.1)\n", results["pipes/ratio"]-nat["pipes/ratio"])
	fmt.Fprintf(w, "pipe ping-pong across cores (one way, µs): guest %.1f, native %.1f, ratio %.1f\n",
		results["pipes/pingpong"], nat["pipes/pingpong"], results["pipes/pingpong"]/nat["pipes/pingpong"])

	fmt.Fprintf(w, "\n## Loopback HTTP (net/http server and 8 keep-alive clients in one program; requests/s)\n")
	fmt.Fprintf(w, "%-10s %10s %10s %10s\n", "# where", "1 core", "all cores", "ratio")
	httpAll := func(m map[string]float64) float64 {
		for k, v := range m {
			if strings.HasPrefix(k, "http/") && strings.HasSuffix(k, "-cores") {
				return v
			}
		}
		return 0
	}
	fmt.Fprintf(w, "%-10s %10.0f %10.0f %10.2f\n", "guest", results["http/1-core"], httpAll(results), results["http/ratio"])
	fmt.Fprintf(w, "%-10s %10.0f %10.0f %10.2f\n", "native", nat["http/1-core"], httpAll(nat), nat["http/ratio"])

	if cfg.Boots > 0 {
		if err := speedupSpread(ctx, cfg, img, guestTrace, host); err != nil {
			return err
		}
	}

	// Host CPU of an idle guest: the same image sleeping cfg.Sleep and
	// sleeping 0, so that boot costs cancel out.
	_, busy, err := guest("sleep", strconv.FormatFloat(cfg.Sleep.Seconds(), 'f', -1, 64))
	if err != nil {
		return err
	}
	_, quick, err := guest("sleep", "0")
	if err != nil {
		return err
	}
	idle := busy.CPUTime - quick.CPUTime
	fmt.Fprintf(w, "\n## Host CPU used by QEMU while a %d-vCPU guest sleeps %s\n", cfg.CPUs, cfg.Sleep)
	fmt.Fprintf(w, "QEMU CPU time: %.0f ms sleeping %s, %.0f ms sleeping 0 → %s\n",
		ms1(busy.CPUTime), cfg.Sleep, ms1(quick.CPUTime), idleShare(idle, cfg.Sleep))
	return nil
}

func ms1(d time.Duration) float64 { return float64(d) / 1e6 }

// idleShare words the host CPU an idle guest used over sleep: the
// difference of two boots, so a negative one means the boots' own spread
// was larger than the idle guest's cost, and says so instead of printing
// a negative share.
func idleShare(idle, sleep time.Duration) string {
	if idle < 0 {
		return fmt.Sprintf("below the two boots' spread (%.0f ms); a longer -sleep gives a figure", ms1(-idle))
	}
	return fmt.Sprintf("%.2f%% of one host core while idle", 100*float64(idle)/float64(sleep))
}

// parseResults reads "name value unit" lines.
func parseResults(out []byte) map[string]float64 {
	r := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if v, err := strconv.ParseFloat(f[1], 64); err == nil {
			r[f[0]] = v
		}
	}
	return r
}

// coreLine matches the kernel's ktrace report of a core's time; compiled
// at first use, not at every gotoro command's start.
var coreLine = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?m)^ktrace: core (\d+): halted (\d+) ms of (\d+) ms`)
})

// speedupSpread runs the CPU-bound job in cfg.Boots guest boots and as
// many native runs, and prints where each guest run's time went.
func speedupSpread(ctx context.Context, cfg SMPConfig, img string,
	guest func(trace int, args ...string) (map[string]float64, string, qemu.Result, error),
	host func(args ...string) (map[string]float64, error)) error {
	w := cfg.Out
	fmt.Fprintf(w, "\n## The CPU-bound job in %d boots (ratio = %d cores / 1 core; share = the workers' least share of their wall time on their core)\n", cfg.Boots, cfg.CPUs)
	fmt.Fprintf(w, "%-6s %7s %7s  %-28s %-28s\n", "# boot", "ratio", "share", "guest busy ms per core", "host CPU ms, busiest threads")
	var ratios, natives []float64
	for i := 0; i < cfg.Boots; i++ {
		s := sampleVCPUs(ctx, img)
		r, out, _, err := guest(1, "speedup")
		vcpu := s.busiest(cfg.CPUs)
		if err != nil {
			return err
		}
		busy := make([]string, cfg.CPUs)
		for _, m := range coreLine().FindAllStringSubmatch(out, -1) {
			c, _ := strconv.Atoi(m[1])
			halted, _ := strconv.Atoi(m[2])
			total, _ := strconv.Atoi(m[3])
			if c < len(busy) {
				busy[c] = strconv.Itoa(total - halted)
			}
		}
		var hostMs []string
		for _, d := range vcpu {
			hostMs = append(hostMs, strconv.FormatInt(d.Milliseconds(), 10))
		}
		fmt.Fprintf(w, "%-6d %7.2f %7.2f  %-28s %-28s\n", i+1, r["speedup/ratio"], r["speedup/cpu-share"], strings.Join(busy, " "), strings.Join(hostMs, " "))
		ratios = append(ratios, r["speedup/ratio"])
		n, err := host("speedup")
		if err != nil {
			return err
		}
		natives = append(natives, n["speedup/ratio"])
	}
	sort.Float64s(ratios)
	sort.Float64s(natives)
	fmt.Fprintf(w, "guest ratio min/median/max %.2f / %.2f / %.2f; native %.2f / %.2f / %.2f\n",
		ratios[0], ratios[len(ratios)/2], ratios[len(ratios)-1], natives[0], natives[len(natives)/2], natives[len(natives)-1])
	return nil
}
