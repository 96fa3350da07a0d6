package bootcase

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/internal/bootabi"
)

// hello boots the hello example: exactly its greeting, status 0.
func hello(t TB, e *Env) {
	out, res := e.Boot(t, Spec{Prog: progHello, Timeout: time.Minute})
	WantExit(t, out, res, 0)
	if out != "Hello from gotoro!\n" {
		t.Errorf("console = %q, want exactly the greeting", out)
	}
}

// exitStatuses: the guest's exit status reaches the host unchanged, also
// the ones gotoro reserves (124 and up travel in a console marker, which
// must not show; the others travel on the debug-exit port alone, the
// console spared the marker's bytes).
func exitStatuses(t TB, e *Env) {
	for _, code := range []int{0, 3, 123, 124, 200, 255} {
		out, res := e.Boot(t, Spec{Prog: progExit, Args: []string{strconv.Itoa(code)}})
		WantExit(t, out, res, code)
		if strings.Contains(out, bootabi.ExitMarker) {
			t.Errorf("exit marker leaked into the console: %q", out)
		}
		if want := code > bootabi.ExitDirectMax; res.StatusLine != want {
			t.Errorf("exit status %d: status line printed %v, want %v", code, res.StatusLine, want)
		}
	}
}

// guestPanic: a Go panic prints the runtime's report and exits with 2.
func guestPanic(t TB, e *Env) {
	out, res := e.Boot(t, Spec{Prog: progPanic})
	WantExit(t, out, res, 2)
	Contains(t, out, "panic: kaboom from guest", "main.boom", "goroutine 1 [running]")
}

// faultReport: a fault the runtime cannot handle stops the machine with
// registers and a symbolized stack.
func faultReport(t TB, e *Env) {
	out, res := e.Boot(t, Spec{Prog: progFault})
	if res.Outcome != qemu.Faulted {
		t.Fatalf("outcome %v (status %d), want a guest fault\n%s", res.Outcome, res.Status, out)
	}
	Contains(t, out, bootabi.FaultMarker, "segmentation fault", "rip=", "main.crash", "fault/main.go:18", "main.main")
}

// kernelPanicReport stops the kernel on purpose (ktest=panic) and checks
// that the report names the kernel function.
func kernelPanicReport(t TB, e *Env) {
	out, res := e.Boot(t, Spec{Prog: progExit, Cmdline: "ktest=panic"})
	if res.Outcome != qemu.Faulted {
		t.Fatalf("outcome %v, want a fault\n%s", res.Outcome, out)
	}
	Contains(t, out, "kernel panic: self-test requested", "kernel.kmain", "boot.go:")
}

// nilDereference: a nil dereference is a recoverable Go panic.
func nilDereference(t TB, e *Env) {
	out, res := e.Boot(t, Spec{Prog: progNilDeref})
	WantExit(t, out, res, 0)
	Contains(t, out, "recovered: runtime error: invalid memory address or nil pointer dereference")
}

// timers checks Go's timers against the wall clock. Four timer kinds (100
// to 250 ms), each measured three times, must never end early (the
// program fails if one does), and under TCG the fastest of each must end
// within +20%: a timer programmed wrong is off every time, a vCPU the
// host starves for a moment delays one run. Sleeps
// of 1 ms to 1 s, several of each, must never end early, and the fastest
// of each must end within 20% plus 2 ms: one accurate sleep shows that the
// timer is programmed right, and the fastest is the one a busy host
// disturbs least. In the nested lane (Env.Slow > 1: about 0.2 ms per VM
// exit, several per wake-up from the idle halt, and L1's vCPUs share a
// host that may be loaded) the slack is 2 ms × Slow, and the four kinds,
// fastest of three, only have to end within twice their duration plus
// 20 ms × Slow (a clock or timer off by a factor). It is a Serial case:
// it measures time.
func timers(cpus int) func(t TB, e *Env) {
	return func(t TB, e *Env) {
		out, res := e.Boot(t, Spec{Prog: progTimers, CPUs: cpus})
		WantExit(t, out, res, 0)
		checkTimers(t, e, out)
	}
}

// apicModes runs the timers program on 2 cores with the local APIC's
// modes turned off one by one from the command line (-kernel-opt
// x2apic=0, tscdeadline=0, both): the kernel must report the mode it was
// asked for (x2APIC and TSC-deadline are used where the CPU offers them,
// so under TCG, which offers neither, the default run of the timers case
// already is xAPIC and one-shot, and the nested KVM lane is where these
// switches change something), the one-shot timer must run at the expected
// rate (1 GHz, checked against the TSC; checkOneShotRate), a wrong rate
// said on the command line (apic_hz=) must be refused and the timer
// calibrated, apic_hz=0 must calibrate, and
// timers and wake-ups across the cores must work as
// in the timers case. It is a Serial case: it measures time.
func apicModes(t TB, e *Env) {
	modeRE := regexp.MustCompile(` apic=(\w+) timer=([\w-]+) `)
	for _, c := range []struct{ cmdline, apic, timer string }{
		{"x2apic=0", "xapic", ""},
		{"tscdeadline=0", "", "one-shot"},
		{"x2apic=0 tscdeadline=0", "xapic", "one-shot"},
		// A wrong expected rate must be refused and the timer
		// calibrated; apic_hz=0 calibrates always.
		{"tscdeadline=0 apic_hz=25000000", "", "one-shot"},
		{"tscdeadline=0 apic_hz=0", "", "one-shot"},
	} {
		out, res := e.Boot(t, Spec{Prog: progTimers, CPUs: 2, Cmdline: "ktrace=1 " + c.cmdline})
		WantExit(t, out, res, 0)
		m := modeRE.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("%s: the kernel reported no APIC and timer mode:\n%s", c.cmdline, out)
		}
		t.Logf("%s: apic=%s timer=%s", c.cmdline, m[1], m[2])
		if c.apic != "" && m[1] != c.apic {
			t.Errorf("%s: apic=%s, want %s", c.cmdline, m[1], c.apic)
		}
		if c.timer != "" && m[2] != c.timer {
			t.Errorf("%s: timer=%s, want %s", c.cmdline, m[2], c.timer)
		}
		if m[2] == "one-shot" {
			checkOneShotRate(t, c.cmdline, out)
		}
		checkTimers(t, e, out)
	}
}

// checkOneShotRate checks the kernel's report of the one-shot timer's rate
// in a boot with cmdline: the expected rate (QEMU's and KVM's 1 GHz),
// checked against the TSC, unless cmdline says another (apic_hz=), which
// the kernel must refuse and calibrate instead, or 0 (calibrate).
func checkOneShotRate(t TB, cmdline, out string) {
	t.Helper()
	host := regexp.MustCompile(`ktrace: local APIC timer: one-shot, 1000000000 Hz \(expected; checked: (\d+) Hz\)`).FindStringSubmatch(out)
	cal := regexp.MustCompile(`ktrace: local APIC timer: one-shot, (\d+) Hz \(calibration brackets (\d+) ns\)`).FindStringSubmatch(out)
	refused := regexp.MustCompile(`ktrace: local APIC timer: the expected rate 25000000 Hz refused: its check measured (\d+) Hz`).FindStringSubmatch(out)
	if !strings.Contains(cmdline, "apic_hz=") {
		if host == nil {
			t.Errorf("%s: the one-shot timer does not run at the expected rate (1 GHz, checked):\n%s", cmdline, out)
		}
		return
	}
	if strings.Contains(cmdline, "apic_hz=0") {
		if cal == nil || cal[1] == "0" || host != nil || strings.Contains(out, "refused") {
			t.Errorf("%s: the one-shot timer was not calibrated:\n%s", cmdline, out)
		}
		return
	}
	if refused == nil || cal == nil || cal[1] == "0" {
		t.Errorf("%s: the kernel did not refuse the wrong expected rate and calibrate:\n%s", cmdline, out)
		return
	}
	t.Logf("%s: refused (measured %s Hz), calibrated %s Hz", cmdline, refused[1], cal[1])
}

// checkTimers checks the reports of the timers program (see timers).
func checkTimers(t TB, e *Env, out string) {
	t.Helper()
	re := regexp.MustCompile(`(?m)^(\w+) want=(\d+) got=(\d+)$`)
	ms := re.FindAllStringSubmatch(out, -1)
	if len(ms) != 4 {
		t.Fatalf("want 4 timer reports, got %d:\n%s", len(ms), out)
	}
	kindFactor, kindSlack, slack := 1.2, 0.0, 2000.0 // slacks in µs
	if e.Slow > 1 {
		kindFactor, kindSlack, slack = 2, 20000*e.Slow, slack*e.Slow
	}
	for _, m := range ms {
		want, _ := strconv.ParseFloat(m[2], 64)
		got, _ := strconv.ParseFloat(m[3], 64)
		if hi := want*kindFactor + kindSlack; got < want || got > hi {
			t.Errorf("%s: %.0f µs, want %.0f µs to %.0f µs", m[1], got, want, hi)
		}
	}
	Contains(t, out, "wall true")
	acc := regexp.MustCompile(`(?m)^accuracy want=(\d+) n=(\d+) min=(\d+) median=(\d+) max=(\d+)$`).FindAllStringSubmatch(out, -1)
	if len(acc) != 4 {
		t.Fatalf("want 4 accuracy reports (1 ms to 1 s), got %d:\n%s", len(acc), out)
	}
	for _, m := range acc {
		want, _ := strconv.ParseFloat(m[1], 64)
		lo, _ := strconv.ParseFloat(m[3], 64)
		if lo < want {
			t.Errorf("a sleep of %.0f µs ended after %.0f µs: early", want, lo)
		}
		if lo > want*1.2+slack {
			t.Errorf("the fastest of %s sleeps of %.0f µs took %.0f µs, want at most %.0f µs", m[2], want, lo, want*1.2+slack)
		}
	}
}

// preempt needs asynchronous preemption on one CPU: goroutines spin
// without function calls while main sleeps and collects garbage.
func preempt(t TB, e *Env) {
	out, res := e.Boot(t, Spec{Prog: progPreempt, Timeout: time.Minute})
	WantExit(t, out, res, 0)
	Contains(t, out, "GOMAXPROCS 1", "preempt ok")
}

// signals: os/signal with kill and tgkill, a recovered SIGSEGV, and
// preemption of goroutines spinning on every core (SIGURG to a thread on
// another core).
func signals(cpus int) func(t TB, e *Env) {
	return func(t TB, e *Env) {
		out, res := e.Boot(t, Spec{Prog: progSignals, CPUs: cpus})
		WantExit(t, out, res, 0)
		Contains(t, out, "notify ok: 100 signals", "sigsegv ok", fmt.Sprintf("spinning goroutines on %d Ps", cpus), "signals ok")
	}
}

// gc allocates 4 GiB in a 256 MiB guest (16x its memory) with a small
// live heap, on every core at once, and waits for finalizers.
func gc(cpus int) func(t TB, e *Env) {
	return func(t TB, e *Env) {
		out, res := e.Boot(t, Spec{Prog: progGC, Mem: 256 << 20, CPUs: cpus, Args: []string{strconv.Itoa(4 << 30)}, Timeout: 5 * time.Minute})
		WantExit(t, out, res, 0)
		Contains(t, out, fmt.Sprintf("allocated 4096 MiB on %d goroutines", cpus), "finalizers ok")
	}
}

// accelAuto runs hello twice with -accel auto and the self-test verdict
// cache in a fresh file: where the case's accelerator is KVM the self-test
// must pass and the second run must take the remembered verdict; on any
// host the second run must not test again where the first did.
func accelAuto(t TB, e *Env) {
	img := e.Image(t, progHello)
	cache := filepath.Join(t.TempDir(), "kvm-selftest.json")
	run := func() string {
		ctx, cancel := context.WithTimeout(t.Context(), e.limit(time.Minute))
		defer cancel()
		cmd := exec.CommandContext(ctx, e.CLI(t), "run", "-v", "-net", "none", img)
		cmd.Env = append(os.Environ(), "GOTORO_KVM_CACHE="+cache)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("gotoro run -accel auto: %v\n%s", err, out)
		}
		Contains(t, string(out), "Hello from gotoro!", "gotoro: using ")
		return string(out)
	}
	first, second := run(), run()
	tested := strings.Contains(first, "self-test")
	if e.Accel == qemu.AccelKVM {
		Contains(t, first, "gotoro: using KVM (KVM self-test passed)")
		Contains(t, second, "gotoro: using KVM (KVM self-test passed; verdict of ")
	} else if tested {
		Contains(t, second, "; verdict of ", "kept in "+cache)
	}
}

// kernelStackOverflow overflows a kernel stack on purpose (ktest=, see
// kernel/ktest.go) and checks that the guard page below it stops the run
// with a report that names the stack and the overflowing code: "kstack",
// a thread's kernel stack in a nosplit chain through an interface (which
// the kernel g's software guard cannot see), on two cores; "ist", the exceptions'
// interrupt stack (whose page fault is taken on that same stack);
// "irqstack", the external interrupts' stack;
// "bootstack", the boot stack, core 0's idle stack; "ist-syscall", the
// exceptions' interrupt stack of core 1 (a thread pinned there raises the
// exception).
func kernelStackOverflow(ktest string) func(t TB, e *Env) {
	return func(t TB, e *Env) {
		prog, want, cpus := progExit, "", 0
		var args []string
		var also []string
		switch ktest {
		case "kstack":
			// Without the self-test the program's unimplemented call fails
			// as on Linux: the trigger is inert.
			prog, cpus = progKStack, 2
			out, res := e.Boot(t, Spec{Prog: prog, CPUs: cpus})
			WantExit(t, out, res, 0)
			Contains(t, out, "returned: function not implemented")
			tid := regexp.MustCompile(`on thread (\d+)`).FindStringSubmatch(out)
			if tid == nil {
				t.Fatalf("the program did not name its thread\n%s", out)
			}
			want = "the kernel stack of thread " + tid[1] + ","
			// The backtrace goes on past the kernel entry into the
			// program's call.
			also = []string{"entered the kernel (vector 256) from:", "main.main", "kstack/main.go:"}
		case "ist":
			want = "interrupt stack IST 2 (exceptions) of core 0,"
		case "ist-syscall":
			// Another core's interrupt stack, whose guard page core 0
			// placed before it started that core (guardISTs).
			prog, cpus, args = progKStack, 2, []string{"1"}
			want = "interrupt stack IST 2 (exceptions) of core 1, guard page hit at"
			also = []string{"pinned to core 1", " on core 1\n"}
		case "irqstack":
			want = "interrupt stack IST 1 (external interrupts) of core 0,"
		case "bootstack":
			want = "the boot stack (core 0's idle stack),"
		case "nmistack":
			want = "interrupt stack IST 3 (double fault, NMI, machine check) of core 0,"
		}
		out, res := e.Boot(t, Spec{Prog: prog, Args: args, CPUs: cpus, Cmdline: "ktest=" + ktest})
		if res.Outcome != qemu.Faulted {
			t.Fatalf("ktest=%s: outcome %v (status %d), want a fault\n%s", ktest, res.Outcome, res.Status, out)
		}
		Contains(t, out, append([]string{bootabi.FaultMarker + ": kernel stack overflow: " + want, "guard page hit at", "rip=",
			"kernel.(*recurser).recurse", "ktest.go:"}, also...)...)
		if strings.Contains(out, "returned:") {
			t.Errorf("ktest=%s: the unimplemented call returned\n%s", ktest, out)
		}
	}
}
