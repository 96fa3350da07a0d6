package boottest

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/internal/bootcase"
)

// TestStallReport boots a kernel that hangs on purpose (ktest=hang: the
// boot core takes the big lock twice and spins with interrupts off,
// silent) and checks the report of the stall check that ends the run:
// every vCPU's registers, the kernel's lock words with the big lock's
// owner (core 0, so 1), and the spinning core's stack walked and
// symbolized down through the lock to the self-test that took it twice —
// what a real hang (TestCases/faults/cpus=4 under TCG, docs/debugging.md)
// needs to name its cycle.
func TestStallReport(t *testing.T) {
	env := caseEnv()
	const prog = "internal/boottest/testdata/exitcode"
	img := env.Image(t, prog)
	env.Image = func(bootcase.TB, string) string { return img }
	rt := &recordTB{T: t}
	var res qemu.Result
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, res = env.Boot(rt, bootcase.Spec{Prog: prog, CPUs: 2, Cmdline: "ktest=hang", Timeout: 5 * time.Minute, Stall: 15 * time.Second})
	}()
	<-done
	log := strings.Join(rt.logs, "\n")
	if res.Outcome != qemu.TimedOut || !strings.Contains(log, "printed nothing for") {
		t.Fatalf("outcome %v, want the run cut by the stall check; log:\n%s", res.Outcome, log)
	}
	for _, want := range []string{
		`kernel globals, first look \(running\):\n  ncpu=2 `,
		`vCPUs, second look:`,
		`kernel state:`,
		` bkl\.owner=1 `,
		` vmLock\.v=0x0 `,
		` mm/physLock\.held=0`,
		`(?s)stack of CPU#0 \(RIP=0x[0-9a-f]+ RSP=0x[0-9a-f]+ RBP=0x[0-9a-f]+\):\n` +
			`  arch\.Pause\+0x[0-9a-f]+ arch/cpu_amd64\.s:\d+\n` +
			`  kernel\.bklLock\+0x[0-9a-f]+ kernel/bkl\.go:\d+\n` +
			`  kernel\.ktestHang\+0x[0-9a-f]+ kernel/ktest\.go:\d+\n` +
			`  kernel\.ktestStart\+`,
		`stack of CPU#1 `,
	} {
		if !regexp.MustCompile(want).MatchString(log) {
			t.Errorf("the stall report lacks %s:\n%s", want, log)
		}
	}
	if strings.Contains(log, "=?(") {
		t.Errorf("the kernel state has unreadable fields:\n%s", log)
	}
}
