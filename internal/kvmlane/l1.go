package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/internal/bootcase"
)

// l1Main is process 1 of the nested Linux guest: it mounts the kernel's
// file systems, loads KVM, runs the cases under -accel kvm and powers the
// machine off. Everything it prints goes to the serial console, which the
// host reads.
func l1Main() {
	if err := leaveRootfs(); err != nil {
		fmt.Printf("%s leaving the initramfs: %v\n", markInfo, err)
	}
	defer powerOff()
	if err := l1Setup(); err != nil {
		fmt.Printf("%s setup failed: %v\n", markInfo, err)
		return
	}
	cfg, err := readConfig(l1Config)
	if err != nil {
		fmt.Printf("%s %v\n", markInfo, err)
		return
	}
	fmt.Printf("%s uptime=%s\n", markUp, uptime())
	go heartbeat(context.Background(), &l1Stalls,
		func() { fmt.Printf("%s uptime=%s load=%s\n", markAlive, uptime(), loadavg()) },
		func(s string) { fmt.Printf("%s%s\n", markInfo, s) })
	watchKmsgLockups()
	if ks, err := readKernelSyms("/proc/kallsyms"); err != nil {
		fmt.Printf("%s L1's kernel text unknown, the lane cannot recover from L0's stale translation: %v\n", markInfo, err)
	} else {
		fmt.Printf("%s%s\n", markText, ks)
	}
	describeCPU()
	if err := loadKVM(cfg.KVMAMD); err != nil {
		fmt.Printf("%s loading KVM: %v\n", markInfo, err)
		return
	}
	if b, err := os.ReadFile("/proc/modules"); err == nil {
		fmt.Printf("%s modules at %s\n", markInfo, moduleBases(string(b), "kvm", "kvm_amd"))
	}
	if b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled"); err == nil {
		// "always madvise [never]" from l1Cmdline: no khugepaged cross-calls.
		fmt.Printf("%s transparent huge pages: %s\n", markInfo, strings.TrimSpace(string(b)))
	}
	if cfg.LinuxControl {
		// Linux's idle loop halts with STI; HLT like gotoro's; with
		// idle=poll it never halts, so wake-ups cannot wait for a timer.
		for _, idle := range []string{"", "idle=poll"} {
			what := "Linux control under KVM"
			if idle != "" {
				what += " (" + idle + ")"
			}
			lines, err := runControl(context.Background(), "/usr/bin/qemu-system-x86_64",
				controlArgs("kvm", "host", l1LinuxKernel, l1LinuxInitrd, idle))
			for _, l := range lines {
				fmt.Printf("%s %s: %s\n", markInfo, what, l)
			}
			if err != nil {
				fmt.Printf("%s %s: %v\n", markInfo, what, err)
			}
		}
	}
	if cfg.ResidentVM {
		if fd, err := residentVM(); err != nil {
			fmt.Printf("%s no resident VM: %v\n", markInfo, err)
		} else {
			defer syscall.Close(fd)
			fmt.Printf("%s a VM without vCPUs stays open for the run (fd %d): the preempt notifiers' key stays on\n", markInfo, fd)
		}
	}
	if cfg.Repro > 0 {
		reproStale(cfg.Repro)
	}
	reruns := runCases(cfg)
	if cfg.BootBench > 0 {
		runBootBench(cfg, &reruns)
	}
	fmt.Printf("%s uptime=%s\n", markDone, uptime())
	if cfg.Shell {
		shell()
	}
}

func l1Setup() error {
	os.Setenv("PATH", "/bin:/usr/bin:/sbin:/usr/sbin")
	os.Setenv("HOME", "/root")
	os.Setenv("TMPDIR", "/tmp")
	for _, m := range []struct{ src, dir, fs string }{
		{"proc", "/proc", "proc"},
		{"sys", "/sys", "sysfs"},
		{"dev", "/dev", "devtmpfs"},
		{"tmp", "/tmp", "tmpfs"},
		{"shm", "/dev/shm", "tmpfs"},
		{"run", "/run", "tmpfs"},
		{"debugfs", "/sys/kernel/debug", "debugfs"},
		// gotoro bench boot -exits reads KVM's tracepoints.
		{"tracefs", "/sys/kernel/tracing", "tracefs"},
	} {
		if err := os.MkdirAll(m.dir, 0o755); err != nil {
			return err
		}
		if err := syscall.Mount(m.src, m.dir, m.fs, 0, ""); err != nil {
			return fmt.Errorf("mount %s: %w", m.dir, err)
		}
	}
	if err := loopbackUp(); err != nil {
		return err
	}
	return os.MkdirAll("/root", 0o700)
}

// loadKVM loads kvm and kvm_amd with params (finit_module).
func loadKVM(params string) error {
	for _, m := range []struct{ name, params string }{
		{"irqbypass.ko", ""},
		{"kvm.ko", ""},
		{"kvm-amd.ko", params},
	} {
		if err := insmod(filepath.Join(l1Modules, m.name), m.params); err != nil {
			return err
		}
	}
	if _, err := os.Stat("/dev/kvm"); err != nil {
		return err
	}
	var ps []string
	for _, p := range []string{"nested", "npt", "nrips", "vgif", "avic", "vls", "lbrv", "tsc_scaling"} {
		if b, err := os.ReadFile("/sys/module/kvm_amd/parameters/" + p); err == nil {
			ps = append(ps, p+"="+strings.TrimSpace(string(b)))
		}
	}
	fmt.Printf("%s kvm_amd %s\n", markInfo, strings.Join(ps, " "))
	return nil
}

func insmod(path, params string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	p, err := syscall.BytePtrFromString(params)
	if err != nil {
		return err
	}
	_, _, e := syscall.Syscall(sysFinitModule, f.Fd(), uintptr(unsafe.Pointer(p)), 0)
	if e != 0 && e != syscall.EEXIST {
		return fmt.Errorf("finit_module %s %q: %w", path, params, e)
	}
	return nil
}

// describeCPU prints L1's CPU and which of the SVM features KVM uses it
// has: the paths of KVM that the lane cannot reach are those it lacks.
func describeCPU() {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return
	}
	defer f.Close()
	var model, flags string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		switch strings.TrimSpace(k) {
		case "model name":
			model = strings.TrimSpace(v)
		case "flags":
			flags = " " + strings.TrimSpace(v) + " "
		}
		if model != "" && flags != "" {
			break
		}
	}
	var fs []string
	for _, x := range []string{"svm", "npt", "nrip_save", "vgif", "vmcb_clean", "flushbyasid", "decodeassists",
		"tsc_scale", "pausefilter", "lbrv", "v_vmsave_vmload", "avic", "x2apic", "tsc_deadline_timer", "xsave", "avx2"} {
		sign := "-"
		if strings.Contains(flags, " "+x+" ") {
			sign = "+"
		}
		fs = append(fs, sign+x)
	}
	fmt.Printf("%s cpu %q ncpu=%d %s\n", markInfo, model, runtime.NumCPU(), strings.Join(fs, " "))
}

// runCases runs the configured cases one after the other and returns the
// lane run's reruns used so far (runReruns), earlier boots of L1 included.
func runCases(cfg laneConfig) int {
	byName := map[string]bootcase.Case{}
	for _, c := range bootcase.All() {
		byName[c.Name] = c
	}
	var quiet guestQuiet // when a guest last printed (lostwake.go)
	env := &bootcase.Env{
		Accel:        qemu.AccelKVM,
		Gotoro:       func(bootcase.TB) string { return l1Gotoro },
		Require:      true,
		HostCounters: kvmCounters,
		Slow:         cfg.Slow,
		Cmdline:      cfg.GuestCmdline,
		CatchReset:   !cfg.NoCatchReset,
		ResetInfo:    shutdownTrace(cfg.TraceExits),
		OnReset:      resetSeen.set,
		StallInfo:    recordL1State(stallTrace(), &l1StateSeen),
		Wedged:       (&pfStorm{read: readPFGuest}).wedged,
		Log: func(prog string, line []byte) {
			quiet.saw(time.Now())
			if cfg.Verbose {
				fmt.Printf("  [%s] %s\n", filepath.Base(prog), line)
			}
		},
		Image: func(t bootcase.TB, prog string) string {
			p := filepath.Join(l1Images, bootcase.ImageName(prog))
			if _, err := os.Stat(p); err != nil {
				t.Fatalf("image of %s: %v", prog, err)
			}
			return p
		},
	}
	reruns := cfg.Reruns
	if cfg.ProvokeLostWakeup {
		last := runtime.NumCPU() - 1
		n, err := keepOffCPU(last, runtime.NumCPU())
		fmt.Printf("%s -provoke-lost-wakeup: the runner's %d threads kept off CPU %d, which the host will stop (err: %v)\n", markInfo, n, last, err)
		go pinWhenStopped(last)
	}
	for i, name := range caseRuns(cfg.Cases, cfg.Count, cfg.Skip) {
		c, ok := byName[name]
		if !ok {
			fmt.Printf("%s%s (0.00s)\n    no such case\n", markFail, name)
			continue
		}
		prior := 0
		if i == 0 {
			prior = cfg.SkipRuns // its runs in earlier boots of L1
		}
		resets := 0 // the case's runs that ended in L0's reset signature
		runWithRetries(prior, &reruns, func(t try) bool {
			done := make(chan struct{})
			defer close(done)
			start := time.Now()
			go watchLostWakeup(done, func(now time.Time) time.Duration { return quiet.since(start, now) })
			go watchOverdue(overdueAfter(cfg.Slow), done, func() {
				if lost := reportOverdue(name, overdueAfter(cfg.Slow)); lost != "" {
					// The host boots L1 again and runs the case again.
					fmt.Printf("%s%s\n", markWedged, lost)
					return
				}
				fmt.Printf("%s uptime=%s\n", markDone, uptime())
				powerOff()
			})
			return runOne(c, env, t, &resets)
		})
	}
	return reruns
}

// caseRuns returns the case runs in order: cases count times over (at
// least once), without the first skip of them, which an earlier boot of
// L1 finished before it reset itself (l1reboot.go).
func caseRuns(cases []string, count, skip int) []string {
	var runs []string
	for i := 0; i < max(count, 1); i++ {
		runs = append(runs, cases...)
	}
	return runs[min(max(skip, 0), len(runs)):]
}

// artefactRuns bounds how often one case runs in a lane run: its first
// run and its reruns, after a failure that is one of L0's artefacts
// (artefact) and after L1 reset itself or locked up during it
// (bootAfterResets), counted over every boot of L1. The last run counts:
// its failure fails the case, and so does L1's reset or lockup during it.
// L0's artefact hits about one wake/cpus=4 run in N on a loaded host and
// cannot be made harmless over Go code (docs/kvm.md), so one retry let CI
// fail on it twice in a row; three runs make that (1/N)^3. Any other
// failure is never retried.
const artefactRuns = 3

// runReruns bounds the reruns of one lane run, of all its cases and in
// all boots of L1 together: room for four artefacts (the double
// delivery, the L1-state wedge, L0's reset signatures) and the two
// reboots of L1 (l1Reboots). 4 was too tight once resets were retried:
// 30 runs of three cases used 3 of them on a loaded hour. A lane run
// that needs more has a host too loaded or a lane gone wrong: the next
// artefact fails its case rather than be retried into a pass.
const runReruns = 6

// try is one run of a case.
type try struct {
	run    int // the case's run, from 1, the earlier boots of L1 included
	reruns int // the lane run's reruns before it, all cases and boots
}

// mayRetry reports whether a failure of t that is one of L0's artefacts
// may run the case again.
func (t try) mayRetry() bool { return t.run < artefactRuns && t.reruns < runReruns }

// again describes the rerun after t, for its RETRY line.
func (t try) again() string {
	return fmt.Sprintf("run %d of at most %d of the case, rerun %d of at most %d in this lane run", t.run+1, artefactRuns, t.reruns+1, runReruns)
}

// runWithRetries calls run for the case's runs prior+1, prior+2, ... (prior:
// its runs in earlier boots of L1) until one asks for no retry or may not
// retry (try.mayRetry); each retry counts in *reruns, the lane run's. It
// returns how many times it called run.
func runWithRetries(prior int, reruns *int, run func(t try) (retry bool)) int {
	for n := 1; ; n++ {
		t := try{run: prior + n, reruns: *reruns}
		if !run(t) || !t.mayRetry() {
			return n
		}
		*reruns++
	}
}

// doubleDelivery is the kernel's report of an external interrupt delivered
// while interrupts were disabled (kernel/idle.go). Under this lane it is
// L0's emulated SVM delivering one event twice (docs/kvm.md, "A second,
// rarer hang"); hardware and real KVM cannot produce it.
const doubleDelivery = "delivered with interrupts disabled"

// l1Stalls is the spans in which L1 did not run (heartbeat).
var l1Stalls stallLog

// artefact returns why a failure whose log is logs, of a run from start
// to end, is L0's and worth running again, or "": the kernel's
// double-delivery report, a stalled guest whose vCPU KVM found at L1's
// own code (l1StateMark, stalltrace.go), or a stall of L1 itself during
// the run (L0's stale translation, which the host recovers from:
// stale.go).
//
// l1State is the l1StateMark line of the host's own stall report for the
// run (l1StateSeen), without the mark, or "": the verdict is taken from
// what the host found, not from a search of logs, which hold the guest's
// output too.
func artefact(logs, l1State string, stalls *stallLog, start, end time.Time) string {
	if strings.Contains(logs, doubleDelivery) {
		return "the kernel reports an interrupt delivered twice, L0's emulation artefact (docs/kvm.md)"
	}
	if l1State != "" {
		what, _, _ := strings.Cut(l1State, ":")
		return "a vCPU's saved state was overwritten by L1's (" + what + "), L0's emulation artefact (docs/kvm.md)"
	}
	if d, ok := stalls.during(start, end); ok {
		return fmt.Sprintf("L1 itself did not run for %v during it (L0's stale translation or a starved host, docs/kvm.md)", d.Round(time.Second))
	}
	return ""
}

// runOne runs c as a test would and prints its result like go test -v.
// If t may retry (try.mayRetry), a failure that is one of L0's artefacts
// (artefact) is printed as a retry (with its reason, the rerun's bounds
// and the log) instead of a failure, and runOne returns true: the caller
// runs the case again. A run that ended in a reset of the guest's
// machine is decided by the reset's verdict alone (resetRetry): resets
// counts the case's runs that reset with L0's signature, this one
// included if it did.
func runOne(c bootcase.Case, env *bootcase.Env, tr try, resets *int) (retry bool) {
	fmt.Printf("%s%s\n", markRun, c.Name)
	dir, err := os.MkdirTemp("", "case-")
	if err != nil {
		fmt.Printf("%s%s (0.00s)\n    %v\n", markFail, c.Name, err)
		return false
	}
	defer os.RemoveAll(dir)
	t := &laneT{ctx: context.Background(), tmp: dir}
	l1StateSeen.take() // a verdict left from an earlier case is not this one's
	resetSeen.take()
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Run(t, env)
	}()
	<-done
	end := time.Now()
	secs := end.Sub(start).Seconds()
	mark, why := markPass, ""
	reset, wasReset := resetSeen.take()
	switch {
	case t.Failed() && wasReset:
		again, what := resetRetry(reset, tr, *resets)
		if reset.sig != 0 {
			*resets++
		}
		if mark, why = markFail, ": "+what; again {
			mark, retry, why = markRetry, true, why+"; running it again ("+tr.again()+")"
		}
	case t.Failed() && tr.mayRetry():
		if why = artefact(strings.Join(t.logs, "\n"), l1StateSeen.take(), &l1Stalls, start, end); why != "" {
			mark, retry, why = markRetry, true, ": "+why+"; running it again ("+tr.again()+")"
		} else {
			mark = markFail
		}
	case t.Failed():
		mark = markFail
	case t.skipped:
		mark = markSkip
	}
	fmt.Printf("%s%s (%.2fs)%s\n", mark, c.Name, secs, why)
	for _, l := range t.logs {
		for _, line := range strings.Split(strings.TrimRight(l, "\n"), "\n") {
			fmt.Printf("    %s\n", line)
		}
	}
	return retry
}

// laneT is bootcase.TB for the lane: Fatalf ends the case's goroutine as
// testing.T's does.
type laneT struct {
	ctx     context.Context
	tmp     string
	mu      sync.Mutex
	failed  bool
	skipped bool
	logs    []string
	ntmp    int
}

func (t *laneT) Helper() {}

func (t *laneT) log(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.logs = append(t.logs, s)
}

func (t *laneT) Logf(format string, args ...any) { t.log(fmt.Sprintf(format, args...)) }

func (t *laneT) Errorf(format string, args ...any) {
	t.log(fmt.Sprintf(format, args...))
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
}

func (t *laneT) Fatalf(format string, args ...any) {
	t.Errorf(format, args...)
	runtime.Goexit()
}

func (t *laneT) Skipf(format string, args ...any) {
	t.log(fmt.Sprintf(format, args...))
	t.mu.Lock()
	t.skipped = true
	t.mu.Unlock()
	runtime.Goexit()
}

func (t *laneT) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}

func (t *laneT) TempDir() string {
	t.mu.Lock()
	t.ntmp++
	n := t.ntmp
	t.mu.Unlock()
	d := filepath.Join(t.tmp, fmt.Sprint(n))
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatalf("%v", err)
	}
	return d
}

func (t *laneT) Context() context.Context { return t.ctx }

// loadavg returns L1's 1-minute load average and its runnable/total
// tasks, for the heartbeat: a runner that keeps beating while a case
// makes no progress is told from a starved L1.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 4 {
		return "?"
	}
	return f[0] + "," + f[3]
}

func uptime() string {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// shell runs busybox sh on the console until it exits.
func shell() {
	cmd := exec.Command("/bin/busybox", "sh")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Run()
}

func powerOff() {
	syscall.Sync()
	syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
	for {
		time.Sleep(time.Hour)
	}
}

// sysFinitModule is finit_module(2) on x86-64 (the syscall package lacks it).
const sysFinitModule = 313

// kvmCounters returns KVM's global statistics (debugfs), for the dump of
// a hung guest: whether its vCPUs still exit, take interrupts, halt.
func kvmCounters() map[string]uint64 {
	m := map[string]uint64{}
	ents, err := os.ReadDir("/sys/kernel/debug/kvm")
	if err != nil {
		return m
	}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile("/sys/kernel/debug/kvm/" + e.Name())
		if err != nil {
			continue
		}
		var v uint64
		if _, err := fmt.Sscan(strings.TrimSpace(string(b)), &v); err == nil {
			m[e.Name()] = v
		}
	}
	return m
}

// loopbackUp brings up the loopback interface (cases connect to ports on
// 127.0.0.1).
func loopbackUp() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	var req struct {
		name  [16]byte
		flags uint16
		_     [22]byte
	}
	copy(req.name[:], "lo")
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCGIFFLAGS, uintptr(unsafe.Pointer(&req))); e != 0 {
		return fmt.Errorf("SIOCGIFFLAGS lo: %w", e)
	}
	req.flags |= syscall.IFF_UP
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCSIFFLAGS, uintptr(unsafe.Pointer(&req))); e != 0 {
		return fmt.Errorf("SIOCSIFFLAGS lo: %w", e)
	}
	return nil
}

// leaveRootfs moves the initramfs into a tmpfs and makes that the root, as
// an initramfs's init does before it starts a system: the initramfs itself
// (rootfs) cannot be pivot_root'ed, and virtiofsd's sandbox pivots its root.
// It returns only on error, or in the init it exec'ed from the new root.
func leaveRootfs() error {
	// rootfs is itself a tmpfs on this kernel, so the file system type
	// cannot tell; the exec below marks the new init.
	const moved = "LANE_ROOT_MOVED=1"
	for _, e := range os.Environ() {
		if e == moved {
			return nil
		}
	}
	const newRoot = "/newroot"
	if err := os.MkdirAll(newRoot, 0o755); err != nil {
		return err
	}
	if err := syscall.Mount("root", newRoot, "tmpfs", 0, "mode=0755"); err != nil {
		return fmt.Errorf("mount tmpfs: %w", err)
	}
	err := filepath.Walk("/", func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if p == newRoot || p == "/proc" || p == "/sys" || p == "/dev" {
			return filepath.SkipDir
		}
		dst := filepath.Join(newRoot, p)
		switch {
		case fi.IsDir():
			return os.MkdirAll(dst, fi.Mode().Perm())
		case fi.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, dst)
		case fi.Mode().IsRegular():
			// Move rather than copy: the initramfs's memory is freed.
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if err := os.WriteFile(dst, b, fi.Mode().Perm()); err != nil {
				return err
			}
			return os.Remove(p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("copying the initramfs: %w", err)
	}
	if err := os.Chdir(newRoot); err != nil {
		return err
	}
	if err := syscall.Mount(".", "/", "", syscall.MS_MOVE, ""); err != nil {
		return fmt.Errorf("moving the new root: %w", err)
	}
	if err := syscall.Chroot("."); err != nil {
		return err
	}
	if err := os.Chdir("/"); err != nil {
		return err
	}
	return syscall.Exec("/init", os.Args, append(os.Environ(), moved))
}
