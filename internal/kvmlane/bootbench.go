package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gotoro/gotoro/internal/bootcase"
)

// bootBenchName is the boot benchmark's name in the lane's results.
const bootBenchName = "boot-bench"

// Bounds of the boot benchmark in the lane. A boot of examples/hello
// under nested KVM takes 1-3 s; one that takes minutes has hung.
const (
	bootBenchRunLimit = 2 * time.Minute
	bootBenchPerRun   = time.Minute // the whole benchmark: this per run
	benchKillDelay    = 15 * time.Second
)

// runBootBench runs `gotoro bench boot -accel kvm -exits` on benchProg's
// image in L1, as a user of a KVM host would, and prints its report as
// info lines (the host shows them) and its outcome as a result line. A
// run that fails on one of L0's artefacts (as for the cases: runOne,
// artefact) is a RETRY and runs again, within the cases' bounds
// (artefactRuns, its runs in earlier boots of L1 included; runReruns:
// *reruns is the lane run's).
func runBootBench(cfg laneConfig, reruns *int) {
	runWithRetries(cfg.BenchRuns, reruns, func(t try) bool { return runBootBenchOnce(cfg, t) })
}

func runBootBenchOnce(cfg laneConfig, t try) (retry bool) {
	fmt.Printf("%s%s\n", markRun, bootBenchName)
	img := filepath.Join(l1Images, bootcase.ImageName(benchProg))
	args := []string{"bench", "boot", "-accel", "kvm", "-exits", "-v", "-run-timeout", bootBenchRunLimit.String(),
		"-n", fmt.Sprint(cfg.BootBench), "-image", img}
	// Three boots per run (the empty kernel, gotoro run, gotoro run
	// -boottrace), each bounded by -run-timeout; the whole is bounded too.
	limit := time.Duration(cfg.BootBench) * bootBenchPerRun
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, l1Gotoro, args...)
	// At the bound: SIGTERM, then SIGKILL after benchKillDelay.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = benchKillDelay
	out, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Printf("%s%s (0.00s)\n    %v\n", markFail, bootBenchName, err)
		return false
	}
	cmd.Stderr = cmd.Stdout
	start := time.Now()
	if err := cmd.Start(); err != nil {
		fmt.Printf("%s%s (0.00s)\n    %v\n", markFail, bootBenchName, err)
		return false
	}
	var last, all []string
	readLines(ctx, out, 2*benchKillDelay, func(line string) {
		fmt.Printf("%s%s| %s\n", markInfo, bootBenchName, line)
		all = append(all, line)
		if last = append(last, line); len(last) > 5 {
			last = last[1:]
		}
	})
	err = cmd.Wait()
	secs := time.Since(start).Seconds()
	if ctx.Err() != nil {
		err = fmt.Errorf("%w: not finished within %v (%v per run)", err, limit, bootBenchPerRun)
	}
	if err != nil {
		mark, why := markFail, ""
		if t.mayRetry() {
			why = artefact(strings.Join(all, "\n"), "", &l1Stalls, start, time.Now())
		}
		if retry = why != ""; retry {
			mark, why = markRetry, ": "+why+"; running it again ("+t.again()+")"
		}
		fmt.Printf("%s%s (%.2fs)%s\n    gotoro %s: %v\n    %s\n", mark, bootBenchName, secs, why, strings.Join(args, " "), err, strings.Join(last, "\n    "))
		return retry
	}
	fmt.Printf("%s%s (%.2fs)\n", markPass, bootBenchName, secs)
	return false
}

// readLines passes each line of out to line until out ends or, once ctx is
// done, for at most grace more. The pipe stays open as long as any process
// holds its write end, and gotoro starts QEMU in a process group of its
// own: a QEMU that outlives a killed gotoro would keep the reader waiting
// for ever (2026-12-06: a boot hung at run 7 of 10 and the lane printed
// nothing for 8 minutes past the benchmark's bound, until it was killed).
func readLines(ctx context.Context, out io.ReadCloser, grace time.Duration, line func(string)) {
	read := make(chan struct{})
	defer close(read)
	go func() {
		select {
		case <-ctx.Done():
		case <-read:
			return
		}
		select {
		case <-time.After(grace):
			out.Close()
		case <-read:
		}
	}()
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line(sc.Text())
	}
}
