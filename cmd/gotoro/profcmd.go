package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gotoro/gotoro/host/prof"
	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/host/qmp"
)

// profOptions are the parsed command line of gotoro prof.
type profOptions struct {
	gf       guestFlags
	gof      goFlags
	cwd      string
	verbose  bool
	duration time.Duration
	hz       int
	out      string
	attach   string
	live     bool
	top      int
	target   string
	args     []string
}

func profFlagSet() (*flag.FlagSet, *profOptions) {
	o := &profOptions{}
	fs := flag.NewFlagSet("gotoro prof", flag.ContinueOnError)
	o.gf.register(fs)
	o.gof.register(fs)
	fs.StringVar(&o.cwd, "cwd", "/", "the guest's working `directory`")
	fs.BoolVar(&o.verbose, "v", false, "print the go and QEMU command lines and the accelerator choice")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "sample for this `long` (0: until the guest exits)")
	fs.IntVar(&o.hz, "hz", 100, "samples per second of every vCPU")
	fs.StringVar(&o.out, "o", "", "write the pprof profile to `file` (default NAME.pprof)")
	fs.StringVar(&o.attach, "attach", "", "sample the running guest whose QMP socket is `path` (see gotoro run -monitor); IMAGE names its image")
	fs.BoolVar(&o.live, "live", false, "sample without pausing the guest (cheaper, less exact)")
	fs.IntVar(&o.top, "top", 20, "report at most `n` functions per vCPU (0: all)")
	setUsage(fs, profUsage)
	return fs, o
}

func (c *cli) parseProf(args []string) (o *profOptions, code int, ok bool) {
	fs, o := profFlagSet()
	if code, ok := c.parseUsage(fs, args); !ok {
		return nil, code, false
	}
	switch {
	case fs.NArg() == 0:
		return nil, c.usageError(fs, "missing PKG or IMAGE"), false
	case o.hz <= 0:
		return nil, c.usageError(fs, "-hz %d: the sampling rate must be at least 1", o.hz), false
	case o.hz > 10000:
		return nil, c.usageError(fs, "-hz %d: more than 10000 samples per second is not possible through QEMU's monitor", o.hz), false
	case o.duration < 0:
		return nil, c.usageError(fs, "-duration %v: must not be negative", o.duration), false
	}
	o.target, o.args = fs.Arg(0), fs.Args()[1:]
	if o.attach != "" && !isImageFile(o.target) {
		return nil, c.usageError(fs, "-attach needs the running guest's IMAGE file for its symbols, not %q", o.target), false
	}
	return o, 0, true
}

func (c *cli) prof(args []string) int {
	o, code, ok := c.parseProf(args)
	if !ok {
		return code
	}
	if o.attach != "" {
		return c.profAttach(o)
	}
	want := qemu.Accel(o.gf.accel)
	setup, err := c.setupHost(want)
	if err != nil {
		return c.fail(err)
	}
	defer setup.Abandon()
	img, err := c.prepareImage(o.target, &o.gf, &o.gof, o.verbose)
	defer img.cleanup()
	if err != nil {
		return c.fail(err)
	}
	syms, err := prof.LoadSymbols(img.path)
	if err != nil {
		return c.fail(err)
	}
	h, err := setup.Wait()
	if err != nil {
		return c.fail(err)
	}
	h.note(c, want, o.verbose)

	dir, err := os.MkdirTemp(scratchDir(), "gotoro-prof-")
	if err != nil {
		return c.fail(err)
	}
	defer os.RemoveAll(dir)
	g := qemu.Guest{Args: append([]string{img.name}, o.args...), Env: o.gf.env, Cwd: o.cwd, KernelTrace: o.gf.ktrace, Params: o.gf.kopts}
	cfg, err := h.config(img.path, g, &o.gf, nil)
	if err != nil {
		return c.fail(err)
	}
	cfg.Monitor = filepath.Join(dir, "qmp.sock")
	cfg.Verbose = o.verbose
	cfg.Stdout = c.stderr // the report owns standard output
	cfg.Stderr = c.stderr

	qctx, stopGuest := context.WithCancel(c.ctx)
	defer stopGuest()
	type runEnd struct {
		res qemu.Result
		err error
	}
	ended := make(chan runEnd, 1)
	go func() {
		res, err := qemu.Run(qctx, cfg)
		ended <- runEnd{res, err}
	}()
	dctx, cancel := context.WithTimeout(qctx, 30*time.Second)
	client, err := qmp.Dial(dctx, cfg.Monitor)
	cancel()
	if err != nil {
		stopGuest()
		e := <-ended
		if e.err != nil {
			return c.fail(e.err)
		}
		return c.fail(fmt.Errorf("the guest %s before its monitor answered: %w", e.res.Outcome, err))
	}
	defer client.Close()
	start := time.Now()
	res, perr := c.sample(client, syms, o, dir)
	stopGuest()
	e := <-ended
	name := o.out
	if name == "" {
		name = img.name + ".pprof"
	}
	if err := c.writeProf(syms, res, img.path, name, start, o.top); err != nil {
		return c.fail(err)
	}
	if perr != nil {
		return c.fail(perr)
	}
	if res.Ended == "guest exited" {
		var st string
		switch {
		case e.err != nil:
			st = e.err.Error()
		case e.res.Outcome == qemu.Exited:
			st = fmt.Sprintf("exit status %d", e.res.Status)
		default:
			st = e.res.Outcome.String()
		}
		if o.duration > 0 {
			fmt.Fprintf(c.stderr, "gotoro prof: the guest ended (%s) after %.2fs, before -duration %s: the profile holds the %d ticks sampled\n",
				st, res.Elapsed.Seconds(), qemu.FormatDuration(o.duration), res.Ticks)
		}
		if e.err == nil && e.res.Outcome == qemu.Faulted {
			return exitFault
		}
	}
	return 0
}

// profAttach samples a guest that is already running.
func (c *cli) profAttach(o *profOptions) int {
	syms, err := prof.LoadSymbols(o.target)
	if err != nil {
		return c.fail(err)
	}
	dctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	client, err := qmp.Dial(dctx, o.attach)
	cancel()
	if err != nil {
		return c.fail(err)
	}
	defer client.Close()
	dir, err := os.MkdirTemp(scratchDir(), "gotoro-prof-")
	if err != nil {
		return c.fail(err)
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	res, perr := c.sample(client, syms, o, dir)
	name := o.out
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(o.target), ".img") + ".pprof"
	}
	if err := c.writeProf(syms, res, o.target, name, start, o.top); err != nil {
		return c.fail(err)
	}
	if perr != nil {
		return c.fail(perr)
	}
	if res.Ended == "guest exited" && o.duration > 0 {
		fmt.Fprintf(c.stderr, "gotoro prof: the guest went away after %.2fs, before -duration %s: the profile holds the %d ticks sampled\n",
			res.Elapsed.Seconds(), qemu.FormatDuration(o.duration), res.Ticks)
	}
	return 0
}

// sample runs the profiler on the guest behind client.
func (c *cli) sample(client *qmp.Client, syms *prof.Symbols, o *profOptions, dir string) (*prof.Result, error) {
	t, err := prof.NewQMPTarget(client, dir)
	if err != nil {
		return &prof.Result{Hz: o.hz}, err
	}
	defer t.Close()
	res, err := prof.Run(c.ctx, prof.Config{Target: t, Symbols: syms, Hz: o.hz, Duration: o.duration, Live: o.live})
	if res == nil {
		res = &prof.Result{Hz: o.hz}
	}
	return res, err
}

// writeProf prints the report and writes the pprof file, even for a run
// that sampled nothing.
func (c *cli) writeProf(syms *prof.Symbols, res *prof.Result, image, name string, start time.Time, top int) error {
	if err := prof.WriteReport(c.stdout, syms, res, top); err != nil {
		return err
	}
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("writing the profile: %w", err)
	}
	err = prof.WriteProfile(f, syms, res, image, start)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing the profile %s: %w", name, err)
	}
	abs, _ := filepath.Abs(name)
	fmt.Fprintf(c.stderr, "gotoro prof: wrote %s (go tool pprof -top %s)\n", name, abs)
	return nil
}

// scratchDir is where the profiler's memory-read file goes: a memory file
// system if there is one.
func scratchDir() string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		return "/dev/shm"
	}
	return os.TempDir()
}

const profUsage = `usage: gotoro prof [-duration D] [-hz N] [-o FILE] [run flags] PKG|IMAGE [guest args...]
       gotoro prof -attach SOCKET [-duration D] [-hz N] [-o FILE] IMAGE

Prof boots PKG or IMAGE as gotoro run does (or, with -attach, joins a guest
started with gotoro run -monitor SOCKET) and samples every vCPU N times a
second through QEMU's monitor: each tick pauses the guest, reads the
registers, walks the frame-pointer chain in guest memory and resumes.
Stacks are symbolized with the image's own pcln table; kernel time is named
("kernel: syscall futex (202)", "kernel: idle (hlt)", ...).

The report goes to standard output (the guest console goes to standard
error): per vCPU and in total, the share of user, kernel and idle time and
the functions the samples were in, hottest first, with the rate taken
versus requested and how long the profiler kept the guest paused. The
pprof profile (samples labelled vcpu and mode) goes to FILE, by default
NAME.pprof: go tool pprof -top FILE.

Sampling stops after -duration (the guest is then stopped), or when the
guest exits; the profile then holds what was sampled.

Flags:
`
