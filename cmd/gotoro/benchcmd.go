package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/gotoro/gotoro/host/bench"
	"github.com/gotoro/gotoro/host/build"
	"github.com/gotoro/gotoro/host/qemu"
)

const benchUsage = `usage: gotoro bench boot [-n RUNS] [-accel auto|kvm|tcg] [PKG]

Times the boot of PKG (default: gotoro's examples/hello) against an empty PVH
kernel on the same QEMU and accelerator: launch → Go main (first console
output) and launch → exit, min/median/max over RUNS boots each.
`

func (c *cli) bench(args []string) int {
	if len(args) > 0 && args[0] == "prof" {
		return c.benchProf(args[1:])
	}
	if len(args) == 0 || args[0] != "boot" {
		fmt.Fprint(c.stderr, benchUsage)
		return exitError
	}
	fs := flag.NewFlagSet("gotoro bench boot", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	runs := fs.Int("n", 20, "boots per image")
	accel := fs.String("accel", "tcg", "accelerator: auto, kvm or tcg")
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
	cfg := bench.BootConfig{Runs: *runs, Accel: a, Out: c.stdout}
	switch fs.NArg() {
	case 0:
		root, err := build.Root()
		if err != nil {
			return c.fail(err)
		}
		cfg.Package, cfg.Dir = "./examples/hello", root
	case 1:
		cfg.Package, cfg.Dir = fs.Arg(0), "."
	default:
		fmt.Fprint(c.stderr, benchUsage)
		return exitError
	}
	if _, err := bench.Boot(c.ctx, cfg); err != nil {
		return c.fail(err)
	}
	return 0
}
