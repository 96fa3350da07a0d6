package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/internal/bootabi"
)

// VectorConfig configures the vector-code benchmark.
type VectorConfig struct {
	Accel qemu.Accel
	// MinTime is how long each measurement runs at least (vecbench's
	// argument); 0 means vecbench's default.
	MinTime time.Duration
	// Runs is how many times the three programs run, in turn; each figure
	// is the median over the runs (1 if 0).
	Runs int
	Out  io.Writer
}

// Vector runs examples/vecbench natively and in a one-vCPU guest twice:
// with xsave=off (the kernel's FXSAVE fallback: the runtime sees no AVX
// and runs its SSE code, as every guest did before the kernel enabled
// XSAVE) and with the default (AVX and AVX2 where the CPU has them),
// cfg.Runs times in turn. It prints the median MB/s of each and the ratios.
func Vector(ctx context.Context, cfg VectorConfig) error {
	dir, img, native, err := buildPair(ctx, "vecbench")
	if err != nil {
		return fmt.Errorf("bench vector: %w", err)
	}
	defer os.RemoveAll(dir)
	var args []string
	if cfg.MinTime > 0 {
		args = []string{cfg.MinTime.String()}
	}
	guest := func(params []bootabi.Param) (map[string]float64, string, error) {
		out, res, err := qemu.Boot(ctx, qemu.Config{Image: img, Accel: cfg.Accel, CPUs: 1, Timeout: 10 * time.Minute, Stderr: io.Discard},
			qemu.Guest{Args: append([]string{"vecbench"}, args...), Params: params})
		if err == nil && (res.Outcome != qemu.Exited || res.Status != 0) {
			err = fmt.Errorf("guest vecbench: %v status %d:\n%s", res.Outcome, res.Status, out)
		}
		return parseResults(out), features(out), err
	}
	runs := max(cfg.Runs, 1)
	var nats, befores, afters []map[string]float64
	var nf, fb, fa string
	for i := 0; i < runs; i++ {
		cmd := exec.CommandContext(ctx, native, args...)
		cmd.Stderr = os.Stderr
		nout, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("native vecbench: %w", err)
		}
		nats, nf = append(nats, parseResults(nout)), features(nout)
		b, f, err := guest([]bootabi.Param{{Key: bootabi.KeyXsave, Value: "off"}})
		if err != nil {
			return err
		}
		befores, fb = append(befores, b), f
		a, f, err := guest(nil)
		if err != nil {
			return err
		}
		afters, fa = append(afters, a), f
	}
	nat, before, after := medians(nats), medians(befores), medians(afters)
	w := cfg.Out
	fmt.Fprintf(w, "# gotoro vector benchmark: examples/vecbench natively (%s) and in a 1-vCPU guest (accel %s)\n", nf, cfg.Accel)
	fmt.Fprintf(w, "# guest before = xsave=off (%s), after = default (%s)\n", fb, fa)
	fmt.Fprintf(w, "# MB/s: each run the best of 3; the median of %d runs taken in turn\n", runs)
	fmt.Fprintf(w, "%-18s %10s %10s %10s %10s %12s %12s\n", "# benchmark", "native", "before", "after", "after/bef", "before/nat", "after/nat")
	names := make([]string, 0, len(nat))
	for k := range nat {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		n, b, a := nat[k], before[k], after[k]
		fmt.Fprintf(w, "%-18s %10.1f %10.1f %10.1f %10.2f %12.3f %12.3f\n", k, n, b, a, a/b, b/n, a/n)
	}
	return nil
}

// medians returns, per key, the median of the runs' values.
func medians(runs []map[string]float64) map[string]float64 {
	m := map[string]float64{}
	for k := range runs[0] {
		var v []float64
		for _, r := range runs {
			if x, ok := r[k]; ok {
				v = append(v, x)
			}
		}
		sort.Float64s(v)
		if n := len(v); n%2 == 1 {
			m[k] = v[n/2]
		} else {
			m[k] = (v[n/2-1] + v[n/2]) / 2
		}
	}
	return m
}

// features returns vecbench's "# features ..." line without the prefix.
func features(out []byte) string {
	for _, l := range strings.Split(string(out), "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(l), "# features "); ok {
			return s
		}
	}
	return "features unknown"
}
