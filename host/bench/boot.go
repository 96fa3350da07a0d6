// Package bench holds gotoro's benchmark programs. Each runs gotoro and its
// peers in the same run and reports ratios, since absolute times under QEMU
// TCG say little.
package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/gotoro/gotoro/host/build"
	"github.com/gotoro/gotoro/host/qemu"
)

// BootConfig configures the boot benchmark.
type BootConfig struct {
	Runs    int        // boots per image (at least 10 for the report)
	Accel   qemu.Accel // accelerator for every boot
	Package string     // the guest to time; its first output must come from main
	Dir     string     // directory Package is relative to
	Out     io.Writer
}

// Sample is one image's timings over all runs.
type Sample struct {
	Name        string
	FirstOutput []time.Duration // launch of QEMU → first console byte
	Exit        []time.Duration // launch of QEMU → QEMU exited
}

// Boot times the guest package against an empty PVH kernel on the same QEMU
// and accelerator, alternating the two so that machine noise hits both, and
// prints the table to cfg.Out.
func Boot(ctx context.Context, cfg BootConfig) ([]Sample, error) {
	if cfg.Runs < 1 {
		return nil, fmt.Errorf("bench boot: need at least one run, got %d", cfg.Runs)
	}
	dir, err := os.MkdirTemp("", "gotoro-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	img := filepath.Join(dir, "guest.img")
	if _, err := build.Build(ctx, build.Options{Package: cfg.Package, Dir: cfg.Dir, Output: img}); err != nil {
		return nil, fmt.Errorf("bench boot: building %s: %w", cfg.Package, err)
	}
	floor := filepath.Join(dir, "empty.img")
	if err := os.WriteFile(floor, qemu.EmptyKernelImage(), 0o644); err != nil {
		return nil, err
	}
	guest := qemu.Guest{Args: []string{filepath.Base(cfg.Package)}}
	samples := []Sample{{Name: "empty PVH kernel"}, {Name: "gotoro " + filepath.Base(cfg.Package)}}
	for i := 0; i < cfg.Runs; i++ {
		for j, image := range []string{floor, img} {
			_, res, err := qemu.Boot(ctx, qemu.Config{Image: image, Accel: cfg.Accel, Timeout: time.Minute, Stderr: io.Discard}, guest)
			if err != nil {
				return nil, fmt.Errorf("bench boot: run %d of %s: %w", i+1, samples[j].Name, err)
			}
			if res.Outcome != qemu.Exited || res.Status != 0 {
				return nil, fmt.Errorf("bench boot: %s ended with %v status %d", samples[j].Name, res.Outcome, res.Status)
			}
			samples[j].Exit = append(samples[j].Exit, res.Elapsed)
			if res.FirstOutput > 0 {
				samples[j].FirstOutput = append(samples[j].FirstOutput, res.FirstOutput)
			}
		}
	}
	printBoot(cfg, samples)
	return samples, nil
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

func ms(d time.Duration) string { return fmt.Sprintf("%8.1f", float64(d)/1e6) }

func printBoot(cfg BootConfig, s []Sample) {
	w := cfg.Out
	fmt.Fprintf(w, "# gotoro boot benchmark: QEMU microvm, accel %s, %d runs each, times in ms\n", cfg.Accel, cfg.Runs)
	fmt.Fprintf(w, "%-50s %8s %8s %8s\n", "# what", "min", "median", "max")
	line := func(name string, ds []time.Duration) {
		lo, med, hi := Stats(ds)
		fmt.Fprintf(w, "%-50s %s %s %s\n", name, ms(lo), ms(med), ms(hi))
	}
	line(s[0].Name+": launch → exit (floor)", s[0].Exit)
	line(s[1].Name+": launch → Go main (first output)", s[1].FirstOutput)
	line(s[1].Name+": launch → exit", s[1].Exit)
	_, floor, _ := Stats(s[0].Exit)
	_, main, _ := Stats(s[1].FirstOutput)
	_, exit, _ := Stats(s[1].Exit)
	fmt.Fprintf(w, "gotoro's own share (median launch→main − floor): %.1f ms\n", float64(main-floor)/1e6)
	fmt.Fprintf(w, "gotoro's own share (median launch→exit − floor): %.1f ms\n", float64(exit-floor)/1e6)
	fmt.Fprintf(w, "ratio launch→exit gotoro / empty kernel: %.2f\n", float64(exit)/float64(floor))
}
