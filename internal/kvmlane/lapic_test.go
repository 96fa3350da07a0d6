package main

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/qmp/qmptest"

	"github.com/gotoro/gotoro/host/qmp"
)

// TestParseLAPIC reads QEMU 7.2's "info lapic" dumps: two of a gotoro
// guest's running APICs under TCG caught with a vector pending (the wake
// IPI 0xF0 and the timer 0x20; testdata/lapic-irr*.txt), and a vCPU's
// APIC at reset (testdata/lapic-reset.txt).
func TestParseLAPIC(t *testing.T) {
	for _, c := range []struct {
		file    string
		irr     []int
		timer   string
		enabled bool
	}{
		{"lapic-irr240.txt", []int{240}, "active-hi edge one-shot Fixed (vec 32)", true},
		{"lapic-irr32.txt", []int{32}, "active-hi edge one-shot Fixed (vec 32)", true},
		{"lapic-reset.txt", nil, "active-hi edge masked one-shot Fixed (vec 0)", false},
	} {
		b, err := os.ReadFile("testdata/" + c.file)
		if err != nil {
			t.Fatal(err)
		}
		l, err := parseLAPIC(string(b))
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		if !slices.Equal(l.IRR, c.irr) || len(l.ISR) != 0 || l.TPR != 0 || l.PPR != 0 || l.Timer != c.timer || l.Enabled != c.enabled {
			t.Errorf("%s: %+v, want IRR %v, ISR empty, TPR and PPR 0, timer %q, enabled %v", c.file, l, c.irr, c.timer, c.enabled)
		}
	}
	// Level-triggered vectors carry "(level)"; ISR and the priorities.
	l, err := parseLAPIC("ISR\t 240 \nIRR\t 32 48(level) \n\nAPR 0x00 TPR 0x20 DFR 0x0f LDR 0x00 PPR 0xf0\n")
	if err != nil || !slices.Equal(l.IRR, []int{32, 48}) || !slices.Equal(l.ISR, []int{240}) || l.TPR != 0x20 || l.PPR != 0xf0 {
		t.Errorf("got %+v, %v", l, err)
	}
	for _, bad := range []string{"", "the monitor said no", "ISR\t (none)\nIRR\t x1\nAPR 0x00 TPR 0x00 PPR 0x00\n"} {
		if _, err := parseLAPIC(bad); err == nil {
			t.Errorf("parseLAPIC(%q) took it", bad)
		}
	}
}

// TestLAPICVerdict: which picture of a vCPU and its APIC says L0 holds
// an interrupt it does not deliver (halted, interrupts on, a vector
// pending above the processor priority), and the near misses.
func TestLAPICVerdict(t *testing.T) {
	read := func(file string) lapicState {
		b, err := os.ReadFile("testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		l, err := parseLAPIC(string(b))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	ipi, timer, none := read("lapic-irr240.txt"), read("lapic-irr32.txt"), read("lapic-reset.txt")
	inService := timer
	inService.ISR, inService.PPR = []int{240}, 0xf0 // the IPI's handler has not sent its EOI
	halted := vcpuSample{CPU: 3, RIP: 0xffffffff81e3c5ab, IF: true, Halted: true}
	cli := halted
	cli.IF = false
	running := halted
	running.Halted = false
	for _, c := range []struct {
		name string
		v    vcpuSample
		l    lapicState
		want string
	}{
		{"the wake IPI pending while it sleeps", halted, ipi, "vector 0xf0 pending above PPR: an interrupt L0 holds and does not deliver; IRR 0xf0, ISR none"},
		{"the timer pending while it sleeps", halted, timer, "vector 0x20 pending above PPR"},
		{"nothing pending", halted, none, "nothing pending: no wake-up reached its APIC"},
		{"pending below PPR: waits for an EOI", halted, inService, "pending vectors at or below PPR (waiting for an EOI); IRR 0x20, ISR 0xf0, TPR 0x0, PPR 0xf0"},
		{"halted with interrupts off", cli, ipi, "halted with interrupts off"},
		{"running", running, ipi, "running at 0xffffffff81e3c5ab (IF=1)"},
	} {
		got := lapicVerdict(c.v, c.l)
		if !strings.Contains(got, c.want) {
			t.Errorf("%s: %q, want it to say %q", c.name, got, c.want)
		}
		if c.name != "the wake IPI pending while it sleeps" && c.name != "the timer pending while it sleeps" && strings.Contains(got, "does not deliver") {
			t.Errorf("%s: %q blames L0", c.name, got)
		}
	}
}

// TestLookAtLAPICs asks a fake L0 monitor for L1's registers and then the
// local APIC of each vCPU the dump names, by its number: CPU 0 halted
// with interrupts on and the wake IPI pending (L0's lost interrupt),
// CPU 1 running. The dump holds both, and each vCPU gets its verdict.
func TestLookAtLAPICs(t *testing.T) {
	regs := "CPU#0\nRIP=ffffffff81e3c5ab RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=1\n" +
		"CPU#1\nRIP=ffffffff8b004ffe RFL=00000046 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=0\n"
	lapics := map[string]string{}
	for cmd, file := range map[string]string{"info lapic 0": "lapic-irr240.txt", "info lapic 1": "lapic-reset.txt"} {
		b, err := os.ReadFile("testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		lapics[cmd] = string(b)
	}
	var asked []string
	c := fakeMonitor(t, func(hmp string) string {
		asked = append(asked, hmp)
		if hmp == "info registers -a" {
			return regs
		}
		return lapics[hmp]
	})
	dump, verdicts := lookAtLAPICs(c)
	if want := []string{"info registers -a", "info lapic 0", "info lapic 1"}; !slices.Equal(asked, want) {
		t.Errorf("asked %q, want %q", asked, want)
	}
	for _, want := range []string{regs, "local APIC of CPU#0:\ndumping local APIC state for CPU 0", "local APIC of CPU#1:\ndumping local APIC state for CPU 1"} {
		if !strings.Contains(dump, want) {
			t.Errorf("the dump lacks %q:\n%s", want, dump)
		}
	}
	if len(verdicts) != 2 || !strings.HasPrefix(verdicts[0], "L1 CPU 0: halted with interrupts on and vector 0xf0 pending above PPR") ||
		!strings.HasPrefix(verdicts[1], "L1 CPU 1: running at 0xffffffff8b004ffe (IF=0)") {
		t.Errorf("verdicts:\n%s", strings.Join(verdicts, "\n"))
	}
}

// fakeMonitor serves QMP on a Unix socket, answering human-monitor-command
// with hmp's reply to its command line, and returns a client of it.
func fakeMonitor(t *testing.T, hmp func(cmdline string) string) *qmp.Client {
	t.Helper()
	sock := qmptest.Serve(t, func(req qmptest.Request) string {
		if req.Execute == "human-monitor-command" {
			return qmptest.Return(hmp(req.HMP()))
		}
		return qmptest.Return(map[string]any{})
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := qmp.Dial(ctx, sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
