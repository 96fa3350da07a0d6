package boottest

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/gotoro/gotoro/internal/bootcase"
)

// TestResetCaught boots a program that resets the machine (a triple
// fault) with Env.CatchReset: the boot must fail saying the guest reset
// the machine, with what is left of it: the vCPU's registers at the fault
// (TCG keeps them) with the empty IDT it loaded, and the kernel's own
// descriptor tables and interrupt stacks found intact.
func TestResetCaught(t *testing.T) {
	env := caseEnv()
	env.CatchReset = true
	const prog = "internal/boottest/testdata/tripfault"
	img := env.Image(t, prog) // built with t: the image helper needs a *testing.T
	env.Image = func(bootcase.TB, string) string { return img }
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
