package main

import (
	"errors"
	"flag"
	"time"

	"github.com/gotoro/gotoro/host/bench"
	"github.com/gotoro/gotoro/host/qemu"
)

// runOptions are the parsed command line of gotoro run.
type runOptions struct {
	gf          guestFlags
	df          deviceFlags
	vf          vsockFlags
	nf          netFlags
	gof         goFlags
	timeout     durationFlag
	cwd         string
	verbose     bool
	debug       bool
	monitor     string // QMP socket path, or ""
	catchReset  bool   // keep a machine the guest reset, for -monitor
	bootTrace   string // -boottrace file, or ""
	blockLog    string // -translation-log file, or ""
	snapshot    string // -snapshot directory, or ""
	stopTimeout durationFlag
	stdin       bool
	target      string   // PKG or IMAGE
	args        []string // guest args after argv[0]
}

func runFlagSet() (*flag.FlagSet, *runOptions) {
	o := &runOptions{}
	fs := flag.NewFlagSet("gotoro run", flag.ContinueOnError)
	o.gf.register(fs)
	o.gof.register(fs)
	o.df.register(fs)
	o.vf.register(fs)
	o.nf.register(fs)
	o.stopTimeout = durationFlag(qemu.DefaultStopTimeout)
	fs.Var(&o.timeout, "timeout", "kill the guest after this `duration` (0: no limit)")
	fs.Var(&o.stopTimeout, "stop-timeout", "on SIGINT or SIGTERM the program gets SIGTERM and this `duration` to exit before the guest is killed")
	fs.StringVar(&o.cwd, "cwd", "/", "the guest's working `directory`")
	fs.BoolVar(&o.stdin, "stdin", true, "pass gotoro's standard input to the program's (a pipe until its end, a terminal line by line; not a terminal gotoro runs in the background of); false: the program reads end of file")
	fs.BoolVar(&o.verbose, "v", false, "print the go and QEMU command lines and the accelerator choice")
	fs.BoolVar(&o.debug, "debug", false, "wait for gdb on port 1234 and log CPU events to NAME.qemu.log")
	fs.StringVar(&o.monitor, "monitor", "", "serve QEMU's machine protocol (QMP) on the Unix socket `path` (for gotoro prof -attach)")
	fs.BoolVar(&o.catchReset, "catch-reset", false, "keep a guest that resets the machine (a triple fault) stopped for reading through -monitor, instead of ending the run with status 125; gotoro then waits for -timeout or an interrupt (the KVM lane's reset reports)")
	fs.StringVar(&o.bootTrace, "boottrace", "", "time the boot (gotoro, QEMU, each kernel step, the Go runtime, main, exit) and write the timeline to `file` as JSON")
	fs.StringVar(&o.blockLog, "translation-log", "", "TCG: have QEMU log every block of guest code it translates to `file` (its -d in_asm; gotoro bench boot -blocks counts them)")
	fs.StringVar(&o.snapshot, "snapshot", "", "prototype: start from a snapshot of the machine taken at main.main, kept in `directory` (the first run with the same image, arguments, environment, -cpus, -mem, accelerator, gotoro and QEMU boots and saves it); not with devices, standard input, -debug or -boottrace")
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
	if o.catchReset && o.monitor == "" {
		return nil, c.usageError(fs, "-catch-reset needs -monitor PATH: the machine a reset left stopped is read through that socket"), false
	}
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
	if o.blockLog != "" && want == qemu.AccelKVM {
		return c.fail(errors.New("-translation-log needs TCG (-accel tcg): under KVM guest code runs without being translated"))
	}
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
	if err := o.nf.apply(&o.vf, o.gf.net); err != nil {
		return c.fail(err)
	}
	if err := o.vf.apply(&devs, verboseNotes(c, o.verbose), c.stderr); err != nil {
		return c.fail(err)
	}
	if o.stdin && c.graceful != nil && c.graceful.stdin != nil && !o.debug {
		if o.snapshot != "" {
			return c.fail(errors.New("-snapshot cannot carry the program's standard input across a snapshot: run with -stdin=false or with standard input from /dev/null"))
		}
		devs.Devices = append(devs.Devices, qemu.StdinDevice(c.graceful.stdin))
	}

	img, err := c.prepareImage(o.target, &o.gf, &o.gof, o.verbose)
	defer img.cleanup()
	if err != nil {
		return c.fail(err)
	}
	image, name := img.path, img.name

	h, err := setup.Wait()
	if err != nil {
		return c.fail(err)
	}
	h.note(c, want, o.verbose)
	g := qemu.Guest{Args: append([]string{name}, o.args...), Env: o.gf.env, Cwd: o.cwd, KernelTrace: o.gf.ktrace, Params: o.gf.kopts,
		Console: devGuest.Console, PollDevices: devGuest.PollDevices, Shares: devGuest.Shares}
	cfg, err := h.config(image, g, &o.gf, o.nf.fwds)
	if err != nil {
		return c.fail(err)
	}
	cfg.Devices, cfg.Console = append(devs.Devices, cfg.Devices...), devs.Console
	cfg.Timeout = time.Duration(o.timeout)
	cfg.Debug = o.debug
	cfg.DebugLog = name + ".qemu.log"
	cfg.Verbose = o.verbose
	cfg.Monitor = o.monitor
	cfg.PauseOnReset = o.catchReset
	cfg.Stdout = c.stdout
	cfg.Stderr = c.stderr
	cfg.StopTimeout = time.Duration(o.stopTimeout)
	if o.catchReset {
		// QEMU's messages and the watch's share the standard error.
		lw := &lockedWriter{w: cfg.Stderr}
		cfg.Stderr = lw
		stop, err := watchReset(&cfg, o.monitor, lw)
		if err != nil {
			return c.fail(err)
		}
		defer stop()
	}
	if c.graceful != nil && !o.debug {
		cfg.Stop = c.graceful.stop
		c.graceful.armed.Store(true)
	}
	cfg.BootTrace = o.bootTrace != ""
	cfg.TranslationLog = o.blockLog
	if o.snapshot != "" {
		return c.runSnapshot(cfg, o.snapshot)
	}
	res, err := qemu.Run(c.ctx, cfg)
	if err == nil && o.bootTrace != "" {
		err = bench.WriteRunTrace(o.bootTrace, bench.RunTrace{Started: c.started, Finished: time.Now(), Boot: res.Boot})
	}
	return c.exitCode(res, err)
}
