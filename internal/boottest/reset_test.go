package boottest

import (
	"context"
	"debug/elf"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gotoro/gotoro/internal/bootcase"
)

// TestResetCaught boots a program that resets the machine (a triple
// fault) with Env.CatchReset: the boot must fail saying the guest reset
// the machine, with what is left of it: the vCPU's registers at the fault
// (TCG keeps them) with the empty IDT it loaded, and the kernel's own
// descriptor tables and interrupt stacks found intact. A fake host
// (Env.ResetInfo) reports two shutdown exits, one at the program's
// tripleFault and one at an address the kernel never maps, whose pages
// the report walks; the structured report (Env.OnReset) gives the image's
// text and idle HLT, the one problem (the program's empty IDT) and those
// walks.
func TestResetCaught(t *testing.T) {
	env := caseEnv()
	env.CatchReset = true
	const prog = "internal/boottest/testdata/tripfault"
	img := env.Image(t, prog) // built with t: the image helper needs a *testing.T
	env.Image = func(bootcase.TB, string) string { return img }
	fault, hlt := imageAddrs(t, img)
	const unmapped = 0x7f0000000000
	host := bootcase.HostReset{Text: "the fake host's records\n", Traced: true, Exits: []bootcase.ShutdownExit{
		{VCPU: 0, RIP: fault, IntrInfo: 0x80000b0e, ErrorCode: 0x10},
		{VCPU: 1, RIP: unmapped, IntrInfo: 0x80000b0e, ErrorCode: 0x10},
	}}
	env.ResetInfo = func(bool) bootcase.HostReset { return host }
	var reports []bootcase.ResetReport
	env.OnReset = func(r bootcase.ResetReport) { reports = append(reports, r) }
	rt := &recordTB{T: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		env.Boot(rt, bootcase.Spec{Prog: prog, CPUs: 2})
	}()
	<-done
	log := strings.Join(rt.logs, "\n")
	if !rt.failed || !strings.Contains(log, "reset the machine") {
		t.Fatalf("want a failure naming the reset; failed=%v, log:\n%s", rt.failed, log)
	}
	for _, want := range []string{
		"about to reset the machine",
		"vCPUs at the reset:",
		"has IDTR base 0x0 limit 0x0, not the kernel's IDT", // the program's empty IDT
		"all 256 gates intact",
		"core 0: GDT intact; TSS IST pointers intact;",
		"core 1: GDT intact; TSS IST pointers intact;",
		"kernel stacks used",
		"kernel state:",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the report lacks %q:\n%s", want, log)
		}
	}
	// Every per-core field is found, in kernel.cpus or kernel.scheds
	// (a field moved between them once and the report printed "?").
	if strings.Contains(log, "=?(") || !strings.Contains(log, " runq.n=") {
		t.Errorf("the kernel state has unreadable per-core fields:\n%s", log)
	}
	if len(reports) != 1 {
		t.Fatalf("OnReset got %d reports, want 1", len(reports))
	}
	r := reports[0]
	if r.IdleHLT != hlt || !r.InText(r.IdleHLT) || !r.InText(fault) || r.InText(unmapped) {
		t.Errorf("text %#x-%#x idle HLT %#x; want the HLT at %#x, tripleFault %#x in text", r.TextStart, r.TextEnd, r.IdleHLT, hlt, fault)
	}
	// TCG keeps the faulting vCPU's registers: its empty IDT is the one
	// problem, and no vCPU was re-initialized.
	if len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "IDTR 0x0 limit 0x0") || len(r.Reinitialized) != 0 {
		t.Errorf("problems %q, re-initialized %v; want only the program's empty IDT", r.Problems, r.Reinitialized)
	}
	if got, ok := r.Fetch[fault]; !ok || got != "" {
		t.Errorf("fetch walk at tripleFault %#x: %q %v, want present, executable, identity-mapped", fault, got, ok)
	}
	if got := r.Fetch[unmapped]; !strings.HasPrefix(got, "not present") {
		t.Errorf("fetch walk at %#x: %q, want not present", uint64(unmapped), got)
	}
	for _, want := range []string{"the fake host's records", "idle HLT at", fmt.Sprintf("fetch at rip %#x: page present, executable, identity-mapped", fault)} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("the report lacks %q:\n%s", want, r.Text)
		}
	}
}

// imageAddrs returns the address of the tripfault program's tripleFault
// and of the idle HLT (kernel.stiHlt's 0xF4 after its 0xFB), from img.
func imageAddrs(t *testing.T, img string) (fault, hlt uint64) {
	t.Helper()
	f, err := elf.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	text := f.Section(".text")
	for _, s := range syms {
		switch s.Name {
		case "main.tripleFault.abi0", "main.tripleFault":
			fault = s.Value
		case "github.com/gotoro/gotoro/kernel.stiHlt.abi0":
			code := make([]byte, s.Size)
			if _, err := text.ReadAt(code, int64(s.Value-text.Addr)); err != nil {
				t.Fatal(err)
			}
			for i := 0; i+1 < len(code); i++ {
				if code[i] == 0xFB && code[i+1] == 0xF4 {
					hlt = s.Value + uint64(i) + 1
				}
			}
		}
	}
	if fault == 0 || hlt == 0 {
		t.Fatalf("%s: tripleFault at %#x, idle HLT at %#x", img, fault, hlt)
	}
	return fault, hlt
}

// recordTB is a bootcase.TB that records instead of failing t, so that a
// test can check what a failing boot reported.
type recordTB struct {
	*testing.T
	mu     sync.Mutex
	logs   []string
	failed bool
}

func (r *recordTB) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

func (r *recordTB) Errorf(format string, args ...any) {
	r.Logf(format, args...)
	r.mu.Lock()
	r.failed = true
	r.mu.Unlock()
}

func (r *recordTB) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func (r *recordTB) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

func (r *recordTB) Context() context.Context { return context.Background() }

// TestResetCaughtSnapshot runs the tripfault program with gotoro run
// -snapshot through Env.RunCLI with Env.CatchReset, as the snapshot cases
// do: the saving run stops at main.main and saves, and the program then
// resets the machine. The run must fail naming the reset, after the save,
// with the same report as a boot's (the vCPU's empty IDT, the kernel's
// tables intact), handed to Env.OnReset once, and end at the reset rather
// than at -timeout; without the catching, gotoro run read such a reset as
// QEMU exiting with status 0.
func TestResetCaughtSnapshot(t *testing.T) {
	env := caseEnv()
	env.CatchReset = true
	const prog = "internal/boottest/testdata/tripfault"
	img := env.Image(t, prog)
	cli := buildCLI(t)
	env.Gotoro = func(bootcase.TB) string { return cli }
	fault, _ := imageAddrs(t, img)
	starts := 0
	env.ResetInfo = func(start bool) bootcase.HostReset {
		if start {
			starts++
		}
		return bootcase.HostReset{Traced: true, Exits: []bootcase.ShutdownExit{{VCPU: 0, RIP: fault, IntrInfo: 0x80000306}}}
	}
	var reports []bootcase.ResetReport
	env.OnReset = func(r bootcase.ResetReport) { reports = append(reports, r) }
	rt := &recordTB{T: t}
	const timeout = 3 * time.Minute
	begin := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		env.RunCLI(rt, context.Background(), img, "-v", "-accel", "tcg", "-net", "none", "-cpus", "2",
			"-timeout", timeout.String(), "-snapshot", t.TempDir(), img)
	}()
	<-done
	took := time.Since(begin)
	log := strings.Join(rt.logs, "\n")
	if !rt.failed || !strings.Contains(log, "the guest reset the machine") {
		t.Fatalf("want a failure naming the reset; failed=%v, log:\n%s", rt.failed, log)
	}
	for _, want := range []string{
		"saved the snapshot",         // the reset came after the save
		"about to reset the machine", // the program's console
		"vCPUs at the reset:",
		"has IDTR base 0x0 limit 0x0, not the kernel's IDT",
		"all 256 gates intact",
		"core 1: GDT intact; TSS IST pointers intact;",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the report lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "before the guest reported an exit status") {
		t.Errorf("the reset was read as QEMU's exit:\n%s", log)
	}
	if starts != 1 || len(reports) != 1 {
		t.Fatalf("ResetInfo started %d times, OnReset got %d reports; want 1 and 1", starts, len(reports))
	}
	if r := reports[0]; len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "IDTR 0x0 limit 0x0") || !r.InText(fault) {
		t.Errorf("problems %q, text %#x-%#x; want only the program's empty IDT, tripleFault %#x in text", r.Problems, r.TextStart, r.TextEnd, fault)
	}
	if took > timeout/2 {
		t.Errorf("the run took %v: the reset was not caught when it happened", took)
	}
}
