package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gotoro/gotoro/host/bench"
	"github.com/gotoro/gotoro/host/build"
	"github.com/gotoro/gotoro/host/qemu"
)

const benchProfUsage = `usage: gotoro bench prof [-hz 50,100,200] [-n RUNS] [-rounds N] [-accel auto|kvm|tcg]

Measures the profiler's cost: a CPU-bound guest (examples/cpubench) times
its own work without the profiler and under it at each rate (the guest
paused at every tick), and once sampled live, in one run. Prints the work
time, its ratio to the run without profiling, the sampling rate actually
taken, and the share of time the guest was paused.
`

func (c *cli) benchProf(args []string) int {
	fs := flag.NewFlagSet("gotoro bench prof", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	rates := fs.String("hz", "50,100,200", "comma-separated sampling rates")
	rounds := fs.Int("rounds", 0, "work rounds of the guest (0: its default)")
	runs := fs.Int("n", 3, "repetitions of the whole set (medians are reported)")
	accel := fs.String("accel", "tcg", "accelerator: auto, kvm or tcg")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		fmt.Fprintf(c.stderr, "gotoro bench prof: bad arguments %q\n\n%s", args, benchProfUsage)
		return exitError
	}
	a, err := qemu.ParseAccel(*accel)
	if err != nil {
		return c.fail(err)
	}
	var hz []int
	for _, f := range strings.Split(*rates, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			fmt.Fprintf(c.stderr, "gotoro bench prof: -hz %q: want positive rates\n", *rates)
			return exitError
		}
		hz = append(hz, n)
	}
	root, err := build.Root()
	if err != nil {
		return c.fail(err)
	}
	if _, err := bench.Prof(c.ctx, bench.ProfConfig{Dir: root, Rates: hz, Rounds: *rounds, Runs: *runs, Accel: a, Out: c.stdout}); err != nil {
		return c.fail(err)
	}
	return 0
}
