package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gotoro/gotoro/internal/bootcase"
)

// Shutdown exits of real resets, as the lane's trace instance printed them
// (laneB1) or as docs/kvm.md gives their numbers (written in the same
// form): both of L0's signatures, and one wake IPI that came elsewhere.
const (
	// 2026-12-07 (fourteenth session, coordinator's notes laneB1.log),
	// fresh-memory with ed37c33 reverted: signature 2.
	traceFreshmemB1 = "   qemu-system-x86-178     [000] .....   160.387090: kvm_exit: vcpu 1 reason shutdown rip 0x22d414 info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x80000b0e error_code 0x00000010"
	// Thirteenth session, ci-check13d, fresh-memory: signature 2.
	traceFreshmem13d = "   qemu-system-x86-301     [002] .....   201.551200: kvm_exit: vcpu 1 reason shutdown rip 0x22d394 info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x80000b0e error_code 0x00000010"
	// Thirteenth session, ci-check13c, sockets/cpus=4 (stiHlt at
	// 0x26a340: the RIP is the CLI after its HLT, where a halted vCPU
	// waits): signature 1.
	traceSockets13c = "   qemu-system-x86-912     [001] .....   933.100100: kvm_exit: vcpu 1 reason shutdown rip 0x26a34b info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x800000f0 error_code 0x00000000"
	// Thirteenth session, ci-check13d, sockets/cpus=2: signature 1.
	traceSockets13d = "   qemu-system-x86-455     [003] .....   402.000300: kvm_exit: vcpu 0 reason shutdown rip 0x26adab info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x800000f0 error_code 0x00000000"
	// Fifteenth session, ci-check15a (main 2e5b797), virtio-fs: the
	// local APIC timer being delivered at the idle HLT (0x237d6a, text
	// 0x101000-0x262451), every table intact: signature 1.
	traceVirtiofs15a = "   qemu-system-x86-362     [000] .....   227.180906: kvm_exit: vcpu 1 reason shutdown rip 0x237d6b info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x80000020 error_code 0x00000000"
	// Tenth session, ci-check10b, fileio/cpus=2: the wake IPI delivered
	// at runtime.sigtramp's first instruction, not at the idle halt.
	traceFileio10b = "   qemu-system-x86-655     [000] .....   512.300400: kvm_exit: vcpu 1 reason shutdown rip 0x182700 info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x800000f0 error_code 0x00000000"
)

// reportFor is the reset report of one traced shutdown exit with every
// check passed, the exit's vCPU re-initialized and its page walked
// clean; text and idle halt are the image's.
func reportFor(t *testing.T, line string, textEnd, idleHLT uint64) bootcase.ResetReport {
	t.Helper()
	host := shutdownReport("# tracer: nop\n#\n" + line + "\n")
	if len(host.Exits) != 1 {
		t.Fatalf("shutdownReport(%q) = %+v, want one exit", line, host)
	}
	x := host.Exits[0]
	return bootcase.ResetReport{
		Host:          host,
		TextStart:     0x101000,
		TextEnd:       textEnd,
		IdleHLT:       idleHLT,
		Reinitialized: []int{x.VCPU},
		Fetch:         map[uint64]string{x.RIP: ""},
	}
}

// The .text ends of the lane's freshmem and sockets images of today
// (0x101000 + their section sizes); the older resets' images were laid
// out alike (their RIPs are in the same functions).
const (
	freshmemTextEnd = 0x22ddd1
	socketsTextEnd  = 0x374931
)

func TestParseShutdownExit(t *testing.T) {
	x, ok := parseShutdownExit(traceFreshmemB1)
	want := bootcase.ShutdownExit{VCPU: 1, RIP: 0x22d414, IntrInfo: 0x80000b0e, ErrorCode: 0x10}
	if !ok || x != want {
		t.Errorf("parseShutdownExit = %+v %v, want %+v", x, ok, want)
	}
	for _, l := range []string{
		"# tracer: nop",
		strings.Replace(traceFreshmemB1, "reason shutdown", "reason npf", 1),
		strings.Replace(traceFreshmemB1, " intr_info 0x80000b0e", "", 1),
		"   qemu-system-x86-178     [000] .....   160.387090: kvm_entry: vcpu 1, rip 0x22d414",
	} {
		if x, ok := parseShutdownExit(l); ok {
			t.Errorf("parseShutdownExit(%q) = %+v, want none", l, x)
		}
	}
	// Every exit is traced: the report keeps the shutdown's vCPU's last
	// exits before it, and no other vCPU's.
	var trace strings.Builder
	for i := 0; i < 9; i++ {
		fmt.Fprintf(&trace, "   qemu-system-x86-178     [000] .....   160.%06d: kvm_exit: vcpu 1 reason npf rip 0x22d414 info1 0x0000000100000006 info2 0x000000000%d000000 intr_info 0x00000000 error_code 0x00000000\n", 100+i, i)
		fmt.Fprintf(&trace, "   qemu-system-x86-177     [001] .....   160.%06d: kvm_exit: vcpu 0 reason hlt rip 0x21978b info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000\n", 100+i)
	}
	trace.WriteString(traceFreshmemB1 + "\n")
	h := shutdownReport(trace.String())
	if len(h.Exits) != 1 || h.Exits[0] != want {
		t.Errorf("exits %+v, want the one shutdown", h.Exits)
	}
	if n := strings.Count(h.Text, "reason npf"); n != exitsBefore || strings.Contains(h.Text, "reason hlt") ||
		!strings.Contains(h.Text, "vCPU 1's last exits before it:") || !strings.Contains(h.Text, "info2 0x0000000008000000") ||
		!strings.HasSuffix(h.Text, "intr_info 0x80000b0e error_code 0x00000010\n") {
		t.Errorf("report text:\n%s", h.Text)
	}
	h = shutdownReport("# tracer: nop\n#\n")
	if !h.Traced || len(h.Exits) != 0 || !strings.Contains(h.Text, "no shutdown exit") {
		t.Errorf("empty trace: %+v", h)
	}
}

func TestClassifyReset(t *testing.T) {
	fresh := func() bootcase.ResetReport { return reportFor(t, traceFreshmemB1, freshmemTextEnd, 0x219780+10) }
	sockets := func() bootcase.ResetReport { return reportFor(t, traceSockets13c, socketsTextEnd, 0x26a34a) }
	tests := []struct {
		name   string
		report func() bootcase.ResetReport
		sig    int
		why    string // a part of the verdict's reason
	}{
		{"signature 2, fresh-memory today", fresh, 2, "fetch #PF err 0x10 at 0x22d414 in text, its page present and executable; tables intact"},
		{"signature 2, fresh-memory 13d", func() bootcase.ResetReport {
			return reportFor(t, traceFreshmem13d, freshmemTextEnd, 0x219780+10)
		}, 2, "at 0x22d394 in text"},
		{"signature 1, sockets/cpus=4 13c", sockets, 1, "wake IPI 0xf0 being delivered at the idle HLT, rip 0x26a34b"},
		{"signature 1, sockets/cpus=2 13d", func() bootcase.ResetReport {
			return reportFor(t, traceSockets13d, socketsTextEnd, 0x26adaa)
		}, 1, "rip 0x26adab"},
		{"signature 1 by the timer, virtio-fs 15a", func() bootcase.ResetReport {
			return reportFor(t, traceVirtiofs15a, 0x262451, 0x237d6a)
		}, 1, "timer interrupt 0x20 being delivered at the idle HLT, rip 0x237d6b"},
		{"the timer away from the idle halt", func() bootcase.ResetReport {
			return reportFor(t, traceVirtiofs15a, 0x262451, 0x230000)
		}, 0, "timer interrupt 0x20 being delivered at rip 0x237d6b, not at the idle HLT"},
		{"signature 1 in the HLT's shadow", func() bootcase.ResetReport {
			r := sockets()
			r.IdleHLT = 0x26a34b
			return r
		}, 1, "idle HLT"},
		{"wake IPI away from the idle halt, fileio 10b", func() bootcase.ResetReport {
			return reportFor(t, traceFileio10b, socketsTextEnd, 0x26a34a)
		}, 0, "not at the idle HLT 0x26a34a"},
		{"idle halt unknown", func() bootcase.ResetReport {
			r := sockets()
			r.IdleHLT = 0
			return r
		}, 0, "not at the idle HLT"},
		{"a damaged IDT", func() bootcase.ResetReport {
			r := fresh()
			r.Problems = []string{"IDT at 0x408ce0: 3 gates differ"}
			return r
		}, 0, "IDT at 0x408ce0: 3 gates differ"},
		{"a GDT and a stack", func() bootcase.ResetReport {
			r := sockets()
			r.Problems = []string{"core 1: GDT[2]=0x0 (want 0xcf92000000ffff)", "core 1: IST1 used 16384 of 16384 bytes"}
			return r
		}, 0, "GDT[2]=0x0 (want 0xcf92000000ffff), and 1 more"},
		{"another vector: #GP", func() bootcase.ResetReport {
			r := fresh()
			r.Host.Exits[0].IntrInfo, r.Host.Exits[0].ErrorCode = 0x80000b0d, 0
			return r
		}, 0, "intr_info 0x80000b0d"},
		{"another #PF: a protection fault on a present page", func() bootcase.ResetReport {
			r := fresh()
			r.Host.Exits[0].ErrorCode = 0x11
			return r
		}, 0, "error_code 0x11"},
		{"another interrupt at the idle halt", func() bootcase.ResetReport {
			r := sockets()
			r.Host.Exits[0].IntrInfo = 0x800000f1
			return r
		}, 0, "intr_info 0x800000f1"},
		{"rip outside text", func() bootcase.ResetReport {
			r := fresh()
			r.Host.Exits[0].RIP = 0x7affadd65000
			r.Fetch = map[uint64]string{0x7affadd65000: ""}
			return r
		}, 0, "outside the image's text"},
		{"the rip's page not present", func() bootcase.ResetReport {
			r := fresh()
			r.Fetch[0x22d414] = "not present (PT entry 45 at 0xf2a168 is 0x0)"
			return r
		}, 0, "not present"},
		{"the rip's page not walked", func() bootcase.ResetReport {
			r := fresh()
			r.Fetch = map[uint64]string{}
			return r
		}, 0, "not walked"},
		{"no trace record", func() bootcase.ResetReport {
			r := fresh()
			r.Host.Exits = nil
			return r
		}, 0, "KVM traced no shutdown exit"},
		{"no trace at all", func() bootcase.ResetReport {
			r := fresh()
			r.Host = bootcase.HostReset{}
			return r
		}, 0, "no trace"},
		{"two shutdown exits", func() bootcase.ResetReport {
			r := fresh()
			r.Host.Exits = append(r.Host.Exits, r.Host.Exits[0])
			return r
		}, 0, "2 shutdown exits"},
		{"another vCPU re-initialized", func() bootcase.ResetReport {
			r := fresh()
			r.Reinitialized = []int{0}
			return r
		}, 0, "vCPU 1 shut down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := classifyReset(tt.report())
			if v.sig != tt.sig || !strings.Contains(v.String(), tt.why) {
				t.Errorf("classifyReset = %d %q, want %d and %q", v.sig, v, tt.sig, tt.why)
			}
		})
	}
}

func TestResetBox(t *testing.T) {
	var b resetBox
	if _, ok := b.take(); ok {
		t.Fatal("an empty box gave a verdict")
	}
	r := reportFor(t, traceFreshmemB1, freshmemTextEnd, 0x21978a)
	b.set(r)
	if v, ok := b.take(); !ok || v.sig != 2 {
		t.Errorf("take = %v %v, want signature 2", v, ok)
	}
	if _, ok := b.take(); ok {
		t.Error("take did not empty the box")
	}
	b.set(r)
	b.set(r) // two resets in one run of a case
	if v, ok := b.take(); !ok || v.sig != 0 || !strings.Contains(v.why, "a second reset in the same run") {
		t.Errorf("two resets: %v %v, want a real failure", v, ok)
	}
}

func TestResetRetry(t *testing.T) {
	sig := resetVerdict{sig: 2, why: "fetch #PF"}
	for _, c := range []struct {
		name   string
		v      resetVerdict
		t      try
		resets int
		again  bool
		want   string
	}{
		{"signature, first run", sig, try{run: 1}, 0, true, "L0's reset signature 2 (fetch #PF)"},
		{"not a signature", resetVerdict{why: "intr_info 0x80000b0d"}, try{run: 1}, 0, false, "not L0's signature (intr_info 0x80000b0d)"},
		{"the case reset before", sig, try{run: 2, reruns: 1}, 1, false, "a second reset fails it"},
		{"last run of the case", sig, try{run: artefactRuns}, 0, false, fmt.Sprintf("run %d of at most %d", artefactRuns, artefactRuns)},
		{"no rerun left in the lane run", sig, try{run: 1, reruns: runReruns}, 0, false, "no rerun is left"},
	} {
		again, what := resetRetry(c.v, c.t, c.resets)
		if again != c.again || !strings.Contains(what, c.want) {
			t.Errorf("%s: resetRetry = %v %q, want %v and %q", c.name, again, what, c.again, c.want)
		}
	}
}
