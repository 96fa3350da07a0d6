package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gotoro/gotoro/host/build"
	"github.com/gotoro/gotoro/host/qemu"
)

// runOptions are the parsed command line of gotoro run.
type runOptions struct {
	gf      guestFlags
	df      deviceFlags
	gof     goFlags
	timeout time.Duration
	cwd     string
	verbose bool
	debug   bool
	target  string   // PKG or IMAGE
	args    []string // guest args after argv[0]
}

func runFlagSet() (*flag.FlagSet, *runOptions) {
	o := &runOptions{}
	fs := flag.NewFlagSet("gotoro run", flag.ContinueOnError)
	o.gf.register(fs)
	o.gof.register(fs)
	o.df.register(fs)
	fs.DurationVar(&o.timeout, "timeout", 0, "kill the guest after this `duration` (0: no limit)")
	fs.StringVar(&o.cwd, "cwd", "/", "the guest's working `directory`")
	fs.BoolVar(&o.verbose, "v", false, "print the go and QEMU command lines and the accelerator choice")
	fs.BoolVar(&o.debug, "debug", false, "wait for gdb on port 1234 and log CPU events to NAME.qemu.log")
	setUsage(fs, runUsage)
	return fs, o
}

// parseRun parses the arguments of gotoro run. ok is false when the caller
// must exit with code (usage printed, or -h).
func (c *cli) parseRun(args []string) (o *runOptions, code int, ok bool) {
	fs, o := runFlagSet()
	if code, ok := c.parseUsage(fs, args); !ok {
		return nil, code, false
	}
	if fs.NArg() == 0 {
		return nil, c.usageError(fs, "missing PKG or IMAGE"), false
	}
	o.target, o.args = fs.Arg(0), fs.Args()[1:]
	if len(o.gf.files) > 0 && isImageFile(o.target) {
		return nil, c.usageError(fs, "-files needs a package: the image %s is already built", o.target), false
	}
	return o, 0, true
}

func (c *cli) run(args []string) int {
	o, code, ok := c.parseRun(args)
	if !ok {
		return code
	}
	want := qemu.Accel(o.gf.accel)
	setup, err := c.setupHost(want)
	if err != nil {
		return c.fail(err)
	}
	defer setup.Abandon()
	// Devices are checked before the build, which is slow.
	var devs qemu.Config
	var devGuest qemu.Guest
	if err := o.df.apply(&devs, &devGuest); err != nil {
		return c.fail(err)
	}

	image, name := o.target, strings.TrimSuffix(filepath.Base(o.target), ".img")
	if err := notAPackage(o.target); err != nil {
		return c.fail(err)
	}
	if isImageFile(o.target) {
		if err := qemu.CheckImage(image); err != nil {
			return c.fail(err)
		}
	} else {
		tmp, err := os.MkdirTemp("", "gotoro-run-")
		if err != nil {
			return c.fail(err)
		}
		defer os.RemoveAll(tmp)
		pkg, err := build.Build(c.ctx, build.Options{
			Package: o.target,
			Output:  filepath.Join(tmp, "image"),
			Files:   o.gf.files,
			GoFlags: o.gof.args(),
			Verbose: o.verbose,
			Log:     c.stderr,
		})
		if err != nil {
			return c.fail(err)
		}
		name = filepath.Base(pkg.Dir)
		image = filepath.Join(tmp, name+".img")
		if err := os.Rename(filepath.Join(tmp, "image"), image); err != nil {
			return c.fail(err)
		}
	}

	h, err := setup.Wait()
	if err != nil {
		return c.fail(err)
	}
	h.note(c, want, o.verbose)
	g := qemu.Guest{Args: append([]string{name}, o.args...), Env: o.gf.env, Cwd: o.cwd, KernelTrace: o.gf.ktrace,
		Console: devGuest.Console, PollDevices: devGuest.PollDevices, Shares: devGuest.Shares}
	cfg := h.config(image, g, &o.gf)
	cfg.Devices, cfg.Console = devs.Devices, devs.Console
	cfg.Timeout = o.timeout
	cfg.Debug = o.debug
	cfg.DebugLog = name + ".qemu.log"
	cfg.Verbose = o.verbose
	cfg.Stdout = c.stdout
	cfg.Stderr = c.stderr
	return c.exitCode(qemu.Run(c.ctx, cfg))
}
