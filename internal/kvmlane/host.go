package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gotoro/gotoro/host/build"
	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/internal/bootcase"
)

// Exit statuses.
const (
	exitFailed = 1 // a case failed or did not finish
	exitError  = 2 // the lane could not run
)

// failedError marks an error that means "cases failed" (exit status 1).
type failedError struct{ msg string }

func (e failedError) Error() string { return e.msg }

func exitCode(err error) int {
	var f failedError
	if errors.As(err, &f) {
		return exitFailed
	}
	return exitError
}

type hostOpts struct {
	// resets is how many times L1 reset itself earlier in this run
	// (l1reboot.go): it numbers the kept report files.
	resets int
	// provokeReset makes L1 reset itself after this many case results
	// in each of its boots (0: not; provoke.go).
	provokeReset int
	// provokeWake makes a CPU of L1 take no interrupt this long into
	// the first case of the first boot (0: not; provoke.go).
	provokeWake time.Duration
	run         string
	count       int
	work        string
	l1CPUs      int
	l1Mem       string
	// l1TCG is L0's TCG threading for L1: "multi" (a host thread per
	// vCPU) or "single" (one thread runs every vCPU in turn).
	l1TCG   string
	timeout time.Duration
	// silence ends the run when L1's console is quiet this long after its
	// runner is up (silence.go).
	silence time.Duration
	// recover makes L0 drop its translations of L1's kernel when L1 goes
	// silent, before giving up (stale.go).
	recover bool
	// repro runs the stale-translation reproducer in L1 this long
	// (repro.go).
	repro time.Duration
	// residentVM keeps a KVM VM without vCPUs open in L1 (repro.go).
	residentVM bool
	// traceExits: every exit into the reset trace (shutdown.go).
	traceExits bool
	kvmAMD     string
	slow       float64
	verbose    bool
	shell      bool
	listOnly   bool
	cmdline    string
	control    bool
	// bootBench: run gotoro bench boot -exits with this many runs (0: no).
	bootBench int
	// catchReset keeps a guest that resets the machine stopped and prints
	// what is left of it.
	catchReset bool
}

const usage = `usage: go run ./internal/kvmlane [flags]

Boots the boot cases of internal/bootcase under -accel kvm inside a Linux
guest that runs under TCG (nested virtualization), and prints PASS/FAIL per
case. Needs root on Debian (apt-get download, dpkg-deb), Go, QEMU.

Flags:
`

func hostMain(args []string) error {
	var o hostOpts
	fs := flag.NewFlagSet("kvmlane", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.run, "run", "", "run only the cases whose names match this regular expression")
	fs.IntVar(&o.count, "count", 1, "run every case this many times")
	fs.IntVar(&o.provokeReset, "provoke-l1-reset", 0, "after this many case results in each boot of the nested guest, make it triple-fault (its IDT cleared through L0's gdbstub), to show the lane booting it again and going on, and its bound (0: not)")
	fs.DurationVar(&o.provokeWake, "provoke-lost-wakeup", 0, "this long into the first case of the run, make a CPU of the nested guest take no interrupt any more (its interrupt flag cleared in its idle halt through L0's gdbstub), a fault injection that shows L1's lost wake-up and the lane booting L1 again (0: not)")
	fs.StringVar(&o.work, "work", defaultWork(), "directory for downloads, images and the initramfs")
	fs.IntVar(&o.l1CPUs, "l1-cpus", 4, "vCPUs of the nested Linux guest")
	fs.StringVar(&o.l1Mem, "l1-mem", "4G", "memory of the nested Linux guest")
	fs.StringVar(&o.l1TCG, "l1-tcg-thread", "multi", "TCG threading of the nested Linux guest's QEMU: multi (a host thread per vCPU) or single")
	fs.DurationVar(&o.timeout, "timeout", 40*time.Minute, "bound on the nested guest's whole run")
	fs.DurationVar(&o.silence, "silence", 5*time.Minute, "bound on the nested guest's silence: after this long without a line the lane drops L0's translations of L1's kernel and, if L1 stays silent, fails the run with its registers and an NMI panic report (its runner prints a heartbeat every 30s; at 90s the lane samples L1 and recovers L0's stale-translation loop at once; 0: no watchdog)")
	fs.BoolVar(&o.recover, "recover", true, "when the nested guest goes silent in L0's stale-translation loop, make L0 drop its translations of L1's kernel and go on if it talks again (docs/kvm.md)")
	fs.DurationVar(&o.repro, "repro-stale", 0, "before the cases, create and destroy KVM VMs in the nested guest in a tight loop for this long while its other CPUs switch tasks: provokes L0's stale translation (docs/kvm.md)")
	fs.BoolVar(&o.traceExits, "trace-exits", false, "trace every KVM exit of the nested guests (a ring buffer), so that a reset's report shows the vCPU's last exits before it; off by default until it is known whether it makes L0's resets likelier (docs/kvm.md)")
	fs.BoolVar(&o.residentVM, "resident-vm", false, "keep one KVM VM without vCPUs open in the nested guest for the whole run, so that the preempt notifiers' static key never switches (docs/kvm.md)")
	fs.StringVar(&o.kvmAMD, "kvm-amd", "nested=1", "kvm_amd module parameters in the nested guest")
	fs.Float64Var(&o.slow, "slow", defaultSlow, "factor on the cases' time limits (nested guests run at emulation speed)")
	fs.BoolVar(&o.verbose, "v", false, "print everything the nested guest prints")
	fs.BoolVar(&o.shell, "shell", false, "after the cases, give a shell in the nested guest on this terminal")
	fs.StringVar(&o.cmdline, "guest-cmdline", "", "add this to every gotoro guest's kernel command line (e.g. ktrace=1)")
	fs.BoolVar(&o.control, "linux-control", false, "also run the Linux control (futex ping-pong under Linux) under TCG here and under KVM in the nested guest")
	fs.IntVar(&o.bootBench, "boot-bench", 0, "also run `gotoro bench boot -accel kvm -exits -n N` on examples/hello in the nested guest (N at least 10; with -run '^$' only that)")
	fs.BoolVar(&o.catchReset, "catch-reset", true, "when a guest resets the machine (a triple fault), keep it stopped and print its descriptor tables, stack depths, kernel state and KVM's trace of the shutdown exit")
	fs.BoolVar(&o.listOnly, "list", false, "list the cases the lane would run and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var re *regexp.Regexp
	if o.run != "" {
		var err error
		if re, err = regexp.Compile(o.run); err != nil {
			return fmt.Errorf("-run: %w", err)
		}
	}
	cases := bootcase.Select(bootcase.All(), re, true)
	if o.listOnly {
		for _, c := range cases {
			fmt.Println(c.Name)
		}
		return nil
	}
	if o.bootBench != 0 && o.bootBench < 10 {
		return fmt.Errorf("-boot-bench %d: gotoro bench boot needs at least 10 runs", o.bootBench)
	}
	if o.l1TCG != "multi" && o.l1TCG != "single" {
		return fmt.Errorf("-l1-tcg-thread %q: want multi or single", o.l1TCG)
	}
	if o.repro < 0 {
		return fmt.Errorf("-repro-stale %v: want a duration of at least 0", o.repro)
	}
	if len(cases) == 0 && o.bootBench == 0 && o.repro == 0 {
		return fmt.Errorf("no case matches -run %q", o.run)
	}
	if o.count < 1 {
		return fmt.Errorf("-count %d: want at least 1", o.count)
	}
	if o.provokeWake < 0 {
		return fmt.Errorf("-provoke-lost-wakeup %v: want 0 (off) or how long into the first case", o.provokeWake)
	}
	if o.provokeWake > 0 && o.l1CPUs < 2 {
		return fmt.Errorf("-provoke-lost-wakeup stops one CPU of the nested guest: it needs -l1-cpus 2 or more, not %d", o.l1CPUs)
	}
	if o.provokeReset < 0 {
		return fmt.Errorf("-provoke-l1-reset %d: want 0 (off) or the number of case results after which L1 is made to reset", o.provokeReset)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return lane(ctx, o, cases)
}

func defaultWork() string {
	if d := os.Getenv("GOTORO_KVMLANE_DIR"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "gotoro-kvmlane")
	}
	return filepath.Join(os.TempDir(), "gotoro-kvmlane")
}

// step prints what the lane does and how long it took.
type stepper struct{ start time.Time }

func (s *stepper) logf(format string, args ...any) {
	fmt.Printf("kvmlane: [%6.1fs] %s\n", time.Since(s.start).Seconds(), fmt.Sprintf(format, args...))
}

func lane(ctx context.Context, o hostOpts, cases []bootcase.Case) error {
	st := &stepper{start: time.Now()}
	root, err := bootcase.ModuleRoot(".")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.work, 0o755); err != nil {
		return err
	}
	release, err := lockWork(ctx, o.work, st.logf)
	if err != nil {
		return err
	}
	defer release()
	qemuPath, err := qemu.Find("")
	if err != nil {
		return err
	}
	d, err := fetchDebs(ctx, o.work, st.logf)
	if err != nil {
		return err
	}
	st.logf("kernel %s", d.kernelVersion)

	t := newTree()
	bin := filepath.Join(o.work, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	for _, b := range []struct{ out, pkg string }{{"init", "./internal/kvmlane"}, {"gotoro", "./cmd/gotoro"}} {
		out := filepath.Join(bin, b.out)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", out, b.pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", b.pkg, err, out)
		}
	}
	t.addFile("/init", filepath.Join(bin, "init"))
	t.addFile(l1Gotoro, filepath.Join(bin, "gotoro"))
	st.logf("built the lane and the gotoro command")

	imgDir := filepath.Join(o.work, "images")
	os.RemoveAll(imgDir)
	if err := os.MkdirAll(imgDir, 0o755); err != nil {
		return err
	}
	progs := bootcase.Progs(cases)
	if o.bootBench > 0 && !slices.Contains(progs, benchProg) {
		progs = append(progs, benchProg)
	}
	if err := buildImages(ctx, root, imgDir, progs); err != nil {
		return err
	}
	for _, p := range progs {
		t.addFile(filepath.Join(l1Images, bootcase.ImageName(p)), filepath.Join(imgDir, bootcase.ImageName(p)))
	}
	st.logf("built %d images", len(progs))

	if err := addQEMU(t, qemuPath); err != nil {
		return err
	}
	for _, m := range []string{"virt/lib/irqbypass.ko", "arch/x86/kvm/kvm.ko", "arch/x86/kvm/kvm-amd.ko"} {
		if err := t.addFile(filepath.Join(l1Modules, filepath.Base(m)), d.module(m)); err != nil {
			return fmt.Errorf("kernel module: %w", err)
		}
	}
	if err := t.addFile("/bin/busybox", d.busybox()); err != nil {
		return err
	}
	if o.control {
		initrd, err := buildControlInitrd(ctx, root, o.work)
		if err != nil {
			return err
		}
		t.addFile(l1LinuxKernel, d.vmlinuz())
		t.addFile(l1LinuxInitrd, initrd)
		hz := hostTSCkHz()
		lines, err := runControl(ctx, qemuPath, controlArgs("tcg,thread=multi", "max", d.vmlinuz(), initrd,
			fmt.Sprintf("tsc_early_khz=%d tsc=reliable clocksource=tsc", hz)))
		for _, l := range lines {
			st.logf("Linux control under TCG: %s", l)
		}
		if err != nil {
			st.logf("Linux control under TCG: %v", err)
		}
	}
	t.addData("/etc/passwd", []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644)
	t.addData("/etc/group", []byte("root:x:0:\n"), 0o644)
	var names []string
	for _, c := range cases {
		names = append(names, c.Name)
	}
	cfgPath := filepath.Join(o.work, "config.json")
	cfg := laneConfig{Cases: names, Count: o.count, KVMAMD: o.kvmAMD, Slow: o.slow, Shell: o.shell, GuestCmdline: o.cmdline,
		LinuxControl: o.control, Verbose: o.verbose, BootBench: o.bootBench, NoCatchReset: !o.catchReset, Repro: o.repro, ResidentVM: o.residentVM, TraceExits: o.traceExits, ProvokeLostWakeup: o.provokeWake > 0}
	// The file is read at each writeInitrd; it must exist before
	// addFile (boot writes it again with each boot's settings).
	if err := writeConfig(cfgPath, cfg); err != nil {
		return err
	}
	t.addFile(l1Config, cfgPath)
	initrd := filepath.Join(o.work, "initrd.cpio")
	r := &results{want: names, count: o.count}
	if o.bootBench > 0 {
		r.extra++ // the boot benchmark reports as one more result
	}
	if o.repro > 0 {
		r.extra++ // and so does the reproducer
	}
	clearResetFiles(o.work)
	boot := func(resets int) error {
		if resets > 0 {
			cfg.afterReset(r)
		}
		if err := writeConfig(cfgPath, cfg); err != nil {
			return err
		}
		if err := writeInitrd(t, initrd, st); err != nil {
			return err
		}
		o.resets = resets
		return bootUntilUp(func() error { return bootL1(ctx, o, st, qemuPath, d, initrd, r) }, st.logf)
	}
	return bootAfterResets(boot, r, os.Stdout, st.logf)
}

// afterReset sets c for a boot of L1 after its reset or lockup, from
// what the boots before reported (r): go on after the case runs that
// finished; the Linux control and a finished reproducer are not run
// again; the interrupted case's or boot benchmark's runs and the lane
// run's reruns so far count in their bounds (artefactRuns, runReruns).
// r's count of the current runs is what the next boot goes on from (0
// after an interrupted reproducer, which starts its count again).
func (c *laneConfig) afterReset(r *results) {
	c.Skip, c.LinuxControl, c.ProvokeLostWakeup = r.cases, false, false
	c.SkipRuns, c.BenchRuns, c.Reruns = 0, 0, len(r.retried)
	switch r.running {
	case "", reproName:
		r.runs = 0
	case bootBenchName:
		c.BenchRuns = r.runs
	default:
		c.SkipRuns = r.runs
	}
	if r.reproSeen {
		c.Repro = 0
	}
}

// writeInitrd writes the tree t as L1's initramfs to path.
func writeInitrd(t *tree, path string, st *stepper) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = t.writeCPIO(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil {
		st.logf("initramfs %d MiB", fi.Size()>>20)
	}
	return nil
}

// powerOffGrace is how long the lane waits for the nested guest to power
// off once its runner has printed its end (normally a second or two). On
// 2026-12-07 a run whose case was overdue never powered off: L1's
// power-off waited on a CPU that had missed its wake-ups. The results
// are all in by then, so L1 is killed.
const powerOffGrace = time.Minute

// bootAttempts is how many times the lane boots the nested guest when it
// stays silent before its runner is up. Nothing has run then, so a second
// boot loses nothing; on 2026-12-07 one L1 never got past its firmware's
// "Booting from ROM" (normally its runner is up 6 s after QEMU starts).
const bootAttempts = 2

// notUpError is a silent nested guest whose runner never came up.
type notUpError struct{ failedError }

func (e notUpError) Unwrap() error { return e.failedError }

// bootUntilUp runs boot, and runs it again (up to bootAttempts in all)
// while it fails with a nested guest that went silent before its runner
// was up. Any other outcome is returned as it is.
func bootUntilUp(boot func() error, logf func(string, ...any)) error {
	for attempt := 1; ; attempt++ {
		err := boot()
		var nu notUpError
		if !errors.As(err, &nu) || attempt >= bootAttempts {
			return err
		}
		logf("%v; booting it again (attempt %d of %d)", err, attempt+1, bootAttempts)
	}
}

// buildImages builds every program's image into dir, two at a time.
func buildImages(ctx context.Context, root, dir string, progs []string) error {
	sem := make(chan struct{}, 2)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for _, p := range progs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			_, err := build.Build(ctx, bootcase.BuildOptions(p, root, filepath.Join(dir, bootcase.ImageName(p))))
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("building %s: %w", p, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// addQEMU adds this host's QEMU: the binary, its libraries, the TCG
// module Debian builds separately and the firmware microvm and pc load.
func addQEMU(t *tree, qemuPath string) error {
	real, err := filepath.EvalSymlinks(qemuPath)
	if err != nil {
		return err
	}
	if err := t.addBinary(real); err != nil {
		return err
	}
	if real != "/usr/bin/qemu-system-x86_64" {
		t.addFile("/usr/bin/qemu-system-x86_64", real)
	}
	// virtiofsd (Debian's C one, in the qemu-system-x86 package) for the
	// virtio-fs cases.
	if _, err := os.Stat(qemu.DefaultVirtiofsd); err == nil {
		if err := t.addBinary(qemu.DefaultVirtiofsd); err != nil {
			return err
		}
	}
	mods, _ := filepath.Glob("/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so")
	for _, m := range mods {
		t.addFile(m, m)
	}
	for _, fw := range []string{"bios-microvm.bin", "qboot.rom", "pvh.bin", "linuxboot_dma.bin", "kvmvapic.bin", "bios-256k.bin", "efi-virtio.rom"} {
		p := filepath.Join("/usr/share/qemu", fw)
		if real, err := filepath.EvalSymlinks(p); err == nil {
			t.addFile(p, real)
		}
	}
	return nil
}

// bootL1 boots the nested Linux guest and reads the results off its
// console.
func bootL1(ctx context.Context, o hostOpts, st *stepper, qemuPath string, d debs, initrd string, r *results) error {
	args := []string{
		"-M", "pc", "-accel", "tcg,thread=" + o.l1TCG, "-cpu", "max",
		"-smp", fmt.Sprint(o.l1CPUs), "-m", o.l1Mem,
		"-nodefaults", "-no-user-config", "-nographic", "-no-reboot",
		"-serial", "stdio",
		"-kernel", d.vmlinuz(), "-initrd", initrd,
		"-append", l1Cmdline(),
	}
	if o.provokeWake > 0 && o.resets == 0 {
		// RCU's stall warning sends the stopped CPU an NMI for its
		// backtrace, and the NMI's return let it run again (2026-12-07
		// 22:39: the provoked case passed in 308 s).
		args[len(args)-1] += " rcupdate.rcu_cpu_stall_suppress=1"
	}
	// When L1 itself resets (a triple fault of Linux, which only the
	// emulation can cause), QEMU keeps it stopped and the lane saves its
	// registers; QEMU logs CPU resets and guest errors (TCG's emulated
	// SVM reports inconsistent VMCB state there).
	qemuLog := filepath.Join(o.work, "l0-qemu.log")
	monitor := filepath.Join(o.work, "l1-qmp.sock")
	os.Remove(monitor)
	args = append(args, "-no-shutdown", "-qmp", "unix:"+monitor+",server=on,wait=off",
		"-d", "cpu_reset,guest_errors", "-D", qemuLog)
	cmd := exec.CommandContext(ctx, qemuPath, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stderr = os.Stderr
	if o.shell {
		cmd.Stdin = os.Stdin
	}
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	log, err := os.Create(filepath.Join(o.work, "l1.log"))
	if err != nil {
		return err
	}
	defer log.Close()
	st.logf("booting the nested Linux guest (%d vCPUs, %s, TCG thread=%s; its console: %s)", o.l1CPUs, o.l1Mem, o.l1TCG, log.Name())
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", qemuPath, err)
	}
	r.up, r.done, r.running = false, false, ""
	con := newConsole(time.Now())
	readDone := make(chan struct{})
	var offTimer *time.Timer // runs once the runner has said it is done
	var provoke atomic.Bool  // -provoke-l1-reset: make L1 reset itself now
	provoked, casesBefore := o.provokeReset <= 0, r.cases
	var provokeWake atomic.Bool // -provoke-lost-wakeup: stop a CPU of L1 now
	wakeArmed := o.provokeWake > 0 && o.resets == 0
	go func() {
		defer close(readDone)
		sc := bufio.NewScanner(pr)
		sc.Buffer(nil, 4<<20)
		for sc.Scan() {
			line := strings.TrimRight(sc.Text(), "\r")
			fmt.Fprintln(log, line)
			con.saw(line, time.Now())
			r.line(line, o.verbose, st)
			if wakeArmed && r.running != "" {
				wakeArmed = false
				time.AfterFunc(o.provokeWake, func() { provokeWake.Store(true) })
			}
			if !provoked && r.cases-casesBefore >= o.provokeReset {
				provoked = true
				provoke.Store(true)
			}
			if r.done && offTimer == nil && !o.shell {
				offTimer = time.AfterFunc(powerOffGrace, func() {
					st.logf("the nested guest did not power off within %v of its runner's end (a CPU of L1 that misses its wake-ups can hold the power-off up); killing it", powerOffGrace)
					cmd.Process.Kill()
				})
			}
		}
		io.Copy(io.Discard, pr)
	}()
	timer := time.AfterFunc(o.timeout, func() {
		st.logf("the nested guest did not finish within %v; killing it", o.timeout)
		cmd.Process.Kill()
	})
	watchCtx, stopWatch := context.WithCancel(ctx)
	if o.silence > 0 && o.silence <= heartbeatEvery {
		st.logf("-silence %v is not longer than the runner's heartbeat (%v): any case that runs that long without printing will end the run", o.silence, heartbeatEvery)
	}
	sw := &silenceWatch{con: con, check: silenceCheck, limit: o.silence, recover: o.recover}
	watched := make(chan string, 1)
	go func() {
		watched <- watchL1(watchCtx, monitor, o.work, resetStopFile(o.work, o.resets+1), st, func() { cmd.Process.Kill() }, sw, &provoke, &provokeWake, o.l1CPUs-1)
	}()
	werr := cmd.Wait()
	stopWatch()
	var silentErr error
	reset, lockup, lostWakeup := false, "", ""
	switch how := <-watched; {
	case how == "powered off":
		werr = nil // -no-shutdown kept it; the lane ended QEMU
	case how == "reset":
		werr = fmt.Errorf("the nested guest reset itself (%v)", werr)
		reset = true
	case strings.HasPrefix(how, "lockup: "):
		lockup = strings.TrimPrefix(how, "lockup: ")
		werr = fmt.Errorf("ended by the lane: %s", lockup)
	case strings.HasPrefix(how, "wakeup: "):
		lostWakeup = strings.TrimPrefix(how, "wakeup: ")
		werr = fmt.Errorf("ended by the lane: %s", lostWakeup)
	case strings.HasPrefix(how, "silent: "):
		silentErr = failedError{strings.TrimPrefix(how, "silent: ") + "; L1 itself seems stuck (its registers, sampled three times: " + filepath.Join(o.work, "l1-silent.txt") + "; its console with the NMI's panic report: " + filepath.Join(o.work, "l1-silent.log") + ")"}
		werr = silentErr
	}
	timer.Stop()
	pw.Close()
	<-readDone
	if offTimer != nil {
		offTimer.Stop()
	}
	if silentErr != nil {
		keepSilentConsole(o.work, st)
	} else if r.up && !r.done && ctx.Err() == nil {
		keepEarlyConsole(o.work, st)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	st.logf("the nested guest exited (%v)", exitDesc(werr))
	for _, rec := range sw.recoveries {
		fmt.Printf("kvmlane: recovered from a silent L1: %s\n", rec)
	}
	if n := len(sw.recoveries); n > 0 {
		fmt.Printf("kvmlane: L1 went silent and came back %d time(s) after L0 dropped its translations (docs/kvm.md)\n", n)
	}
	if silentErr != nil && sw.notUp {
		return notUpError{failedError{fmt.Sprintf("%v; its runner was never up", silentErr)}}
	}
	if silentErr != nil {
		return failedError{fmt.Sprintf("%v; before it %d passed, %d failed", silentErr, r.pass, len(r.failed))}
	}
	if lockup != "" && !r.done {
		return l1ResetError{failedError{fmt.Sprintf("%s; before it %d passed, %d failed", lockup, r.pass, len(r.failed))},
			r.running, keepLockupFiles(o.work, "l1-lockup", o.resets+1), "L1 locked up: " + lockup}
	}
	if lostWakeup != "" && !r.done {
		return l1ResetError{failedError{fmt.Sprintf("%s; before it %d passed, %d failed", lostWakeup, r.pass, len(r.failed))},
			r.running, keepLockupFiles(o.work, "l1-wakeup", o.resets+1), lostWakeup}
	}
	if reset && !r.done {
		return l1ResetError{failedError{fmt.Sprintf("the nested guest reset itself %s; before it %d passed, %d failed", inCase(r.running), r.pass, len(r.failed))},
			r.running, keepResetFiles(o.work, o.resets+1), ""}
	}
	return r.summary()
}

func exitDesc(err error) string {
	if err == nil {
		return "status 0"
	}
	return err.Error()
}

// results follows the L1 runner's output.
type results struct {
	want    []string
	count   int
	extra   int // results expected besides the cases' (the boot benchmark)
	up      bool
	done    bool
	pass    int
	failed  []string
	skipped []string
	retried []string // cases run again after one of L0's artefacts or L1's reset
	cases   int      // case runs finished, in all boots of L1
	running string   // the case started last and not finished
	runs    int      // how often it started, in all boots of L1
	// reproSeen: the reproducer's result is in.
	reproSeen bool
	resets    []string // L1's own resets the lane booted it again after
	showLog   bool     // the last result was a failure: print its log
}

func (r *results) line(line string, verbose bool, st *stepper) {
	// Kernel messages and terminal codes may precede a marker.
	if i := strings.Index(line, "LANE-"); i > 0 {
		line = line[i:]
	}
	switch {
	case strings.HasPrefix(line, markUp):
		r.up = true
		st.logf("nested guest up (%s)", line)
	case strings.HasPrefix(line, markInfo):
		st.logf("%s", strings.TrimSpace(strings.TrimPrefix(line, markInfo)))
	case strings.HasPrefix(line, markRun):
		r.showLog = false
		r.running = strings.TrimSpace(strings.TrimPrefix(line, markRun))
		r.runs++
	case strings.HasPrefix(line, markPass):
		r.pass++
		r.finished(strings.TrimPrefix(line, markPass))
		r.showLog = false
		fmt.Printf("PASS %s\n", strings.TrimPrefix(line, markPass))
	case strings.HasPrefix(line, markFail):
		name, _, _ := strings.Cut(strings.TrimPrefix(line, markFail), " ")
		r.failed = append(r.failed, name)
		r.finished(name)
		r.showLog = true
		fmt.Printf("FAIL %s\n", strings.TrimPrefix(line, markFail))
	case strings.HasPrefix(line, markRetry):
		rest := strings.TrimPrefix(line, markRetry)
		name, _, _ := strings.Cut(rest, " ")
		r.retried = append(r.retried, name)
		r.showLog = true
		fmt.Printf("RETRY %s\n", rest)
	case strings.HasPrefix(line, markSkip):
		r.skipped = append(r.skipped, strings.TrimPrefix(line, markSkip))
		r.finished(strings.TrimPrefix(line, markSkip))
		r.showLog = true
		fmt.Printf("SKIP %s\n", strings.TrimPrefix(line, markSkip))
	case strings.HasPrefix(line, markDone):
		r.done = true
	case strings.HasPrefix(line, "    "):
		// A case's log, printed after its result line.
		if r.showLog || verbose {
			fmt.Println(line)
		}
		return
	}
	if verbose {
		fmt.Println("  L1| " + line)
	}
}

// finished records the result of what rest (a result line's text after
// its mark) names: a case run, the reproducer or the boot benchmark.
func (r *results) finished(rest string) {
	name, _, _ := strings.Cut(rest, " ")
	r.running, r.runs = "", 0
	switch name {
	case reproName:
		r.reproSeen = true
	case bootBenchName:
	default:
		r.cases++
	}
}

func (r *results) summary() error {
	total := len(r.want)*r.count + r.extra
	missing := total - r.pass - len(r.failed) - len(r.skipped)
	switch {
	case !r.up:
		return failedError{"the nested guest never reached its init (see l1.log in the work directory)"}
	case missing > 0:
		return failedError{fmt.Sprintf("%d passed, %d failed, %d did not run or finish (the nested guest stopped early; see l1.log)", r.pass, len(r.failed), missing)}
	case len(r.failed) > 0:
		return failedError{fmt.Sprintf("%d passed, %d failed: %s", r.pass, len(r.failed), strings.Join(r.failed, " "))}
	}
	if len(r.skipped) > 0 {
		fmt.Printf("kvmlane: skipped: %s\n", strings.Join(r.skipped, "; "))
	}
	if len(r.retried) > 0 {
		fmt.Printf("kvmlane: %d rerun(s) of at most %d in a lane run, a case at most %d runs, after L0's artefacts or L1's resets (see their RETRY lines): %s\n", len(r.retried), runReruns, artefactRuns, strings.Join(r.retried, " "))
	}
	if n := len(r.resets); n > 0 {
		fmt.Printf("kvmlane: L1 was booted again %d time(s) after it reset itself (a triple fault under L0's TCG), locked up (a CPU of it stuck in its kernel) or lost a wake-up (a guest's vCPU thread woken and never run) (docs/kvm.md): %s; the interrupted cases ran again\n", n, strings.Join(r.resets, "; "))
	}
	fmt.Printf("kvmlane: %d passed under nested KVM\n", r.pass)
	return nil
}

// l1Cmdline is the nested Linux guest's kernel command line. Under TCG on
// a loaded host Linux's boot-time timing checks misfire: the IO-APIC timer
// check panicked ("IO-APIC + timer doesn't work!"), and a TSC calibrated
// against the PIT, or dropped by the clocksource watchdog, would make every
// timer of the L2 guests wrong. The host's TSC rate is known; TCG's TSC
// runs at it.
//
// nohz=off keeps every L1 CPU's periodic tick while it idles. A run of
// wake/cpus=4 (2026-12-07) hung with a woken task never run: L2's QEMU
// vCPU thread runnable in kvm_vcpu_block, a CPU's kworker runnable and
// khugepaged waiting on that CPU's work, L1's load at 1 for 12 minutes.
// An idle L1 CPU missed the wake-up (the emulated IPI, or its HLT's end,
// in L0's TCG); with a periodic tick it looks again within 4 ms.
//
// transparent_hugepage=never stops khugepaged's collapses, each of which
// flushes the other CPUs' TLBs with a cross-call. One of those waited
// for ever during wake/cpus=4 in the project's CI of 677338a: the IPI
// that L0 lost (docs/kvm.md, "L1's lockups"). L1's background work is
// not what the lane tests, and the L2 guests' memory needs no huge pages.
func l1Cmdline() string {
	c := "console=ttyS0 panic=-1 loglevel=3 rdinit=/init no_timer_check unknown_nmi_panic nohz=off transparent_hugepage=never"
	if khz := hostTSCkHz(); khz != 0 {
		c += fmt.Sprintf(" tsc_early_khz=%d tsc=reliable", khz)
	}
	return c
}
