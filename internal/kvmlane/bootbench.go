package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
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
)

// runBootBench runs `gotoro bench boot -accel kvm -exits` on benchProg's
// image in L1, as a user of a KVM host would, and prints its report as
// info lines (the host shows them) and its outcome as a result line. A
// run that fails on the kernel's double-delivery report (an L0 artefact,
// as for the cases: runOne) is a RETRY and runs again, up to
// artefactRuns runs in all.
func runBootBench(cfg laneConfig) {
	runWithRetries(func(mayRetry bool) bool { return runBootBenchOnce(cfg, mayRetry) })
}

func runBootBenchOnce(cfg laneConfig, mayRetry bool) (retry bool) {
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
	var last []string
	double := false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		fmt.Printf("%s%s| %s\n", markInfo, bootBenchName, line)
		double = double || strings.Contains(line, doubleDelivery)
		if last = append(last, line); len(last) > 5 {
			last = last[1:]
		}
	}
	err = cmd.Wait()
	secs := time.Since(start).Seconds()
	if ctx.Err() != nil {
		err = fmt.Errorf("%w: not finished within %v (%v per run)", err, limit, bootBenchPerRun)
	}
	if err != nil {
		mark := markFail
		if retry = mayRetry && double; retry {
			mark = markRetry
		}
		fmt.Printf("%s%s (%.2fs)\n    gotoro %s: %v\n    %s\n", mark, bootBenchName, secs, strings.Join(args, " "), err, strings.Join(last, "\n    "))
		return retry
	}
	fmt.Printf("%s%s (%.2fs)\n", markPass, bootBenchName, secs)
	return false
}
