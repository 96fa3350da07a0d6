package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNextSilenceAction: the watchdog looks after the first bound, drops
// L0's translations at once when the samples show the stale-translation
// loop and only at the final bound otherwise, counts a recovery when the
// runner talks after a flush, and gives up when it does not.
func TestNextSilenceAction(t *testing.T) {
	const check, limit = 90 * time.Second, 5 * time.Minute
	sampled := silenceEpisode{sampled: true}
	looping := silenceEpisode{sampled: true, loop: true}
	flushed := silenceEpisode{sampled: true, loop: true, flushed: true, flushAt: 95 * time.Second}
	for _, c := range []struct {
		name     string
		quiet    time.Duration
		ep       silenceEpisode
		canFlush bool
		want     silenceAction
	}{
		{"talking", 10 * time.Second, silenceEpisode{}, true, actWait},
		{"quiet but below the first bound", 89 * time.Second, silenceEpisode{}, true, actWait},
		{"first look", 91 * time.Second, silenceEpisode{}, true, actSample},
		{"first look at the final bound", 6 * time.Minute, silenceEpisode{}, true, actSample},
		{"loop: flush at once", 95 * time.Second, looping, true, actFlush},
		{"loop, recovery off: wait for the bound", 95 * time.Second, looping, false, actWait},
		{"loop, recovery off, bound: report", limit, looping, false, actReport},
		{"no loop: wait", 4 * time.Minute, sampled, true, actWait},
		{"no loop, bound: flush anyway", limit, sampled, true, actFlush},
		{"no loop, bound, recovery off: report", limit, sampled, false, actReport},
		{"flushed: wait for the runner", 95*time.Second + flushWait - time.Second, flushed, true, actWait},
		{"flushed: runner silent past flushWait", 95*time.Second + flushWait, flushed, true, actReport},
		{"flushed: runner talks", 2 * time.Second, flushed, true, actRecovered},
		{"sampled, talks again without a flush", 2 * time.Second, sampled, true, actWait},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := nextSilenceAction(c.quiet, check, limit, c.ep, c.canFlush); got != c.want {
				t.Errorf("nextSilenceAction(%v, %+v, canFlush=%v) = %v, want %v", c.quiet, c.ep, c.canFlush, got, c.want)
			}
		})
	}
}

// A dump of L0's monitor with L1 in the stale-translation loop
// (2026-12-07, abridged to the lines read).
const loopDump = `CPU#0
RAX=ffffffff8c01b998 RBX=ff23eea33bc31980 RCX=0000000000000000 RDX=0000002a790f5628
RIP=ffffffff8b004ffe RFL=00000046 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=0
CPU#1
RIP=ffffffff8b200ba3 RFL=00000046 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=0
`

func TestParseVCPUs(t *testing.T) {
	got := parseVCPUs(loopDump + "CPU#2\nRIP=0000000000402a10 RFL=00000202 [-------] CPL=3 II=0 A20=1 SMM=0 HLT=0\nCPU#3\nRIP=ffffffff8b0e2f11 RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=1\nCPU#4\nRIP=zz RFL=0 CPL=0\n")
	want := []vcpuSample{
		{0, 0xffffffff8b004ffe, 0, false, false},
		{1, 0xffffffff8b200ba3, 0, false, false},
		{2, 0x402a10, 3, true, false},
		{3, 0xffffffff8b0e2f11, 0, true, true},
	}
	if len(got) != len(want) {
		t.Fatalf("parseVCPUs: %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("vCPU %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestStaleLoop: a vCPU in the INT3 path, running with interrupts off,
// is the signature; halted vCPUs, interrupts on, user code, a nested
// guest's addresses or no INT3 path known are not.
func TestStaleLoop(t *testing.T) {
	// The INT3 path of the run that loopDump is from: asm_exc_int3 at
	// 0xffffffff8b200ba0 and a handler around 0xffffffff8b004ffe.
	int3 := []kernelText{{0xffffffff8b200ba0, 0xffffffff8b200be0}, {0xffffffff8b004f80, 0xffffffff8b005040}}
	loop := parseVCPUs(loopDump)
	spin := vcpuSample{2, 0xffffffff8b018710, 0, false, false} // on a lock
	for _, c := range []struct {
		name    string
		samples [][]vcpuSample
		int3    []kernelText
		want    bool
		cpu     int
	}{
		{"loop", [][]vcpuSample{loop, loop, loop}, int3, true, 0},
		{"loop in one sample", [][]vcpuSample{{spin}, append([]vcpuSample{spin}, loop[1])}, int3, true, 2},
		{"INT3 path unknown", [][]vcpuSample{loop}, nil, false, 0},
		{"no samples", nil, int3, false, -1},
		{"only spinning", [][]vcpuSample{{spin}}, int3, false, 2},
		{"in the handler, halted", [][]vcpuSample{{{1, 0xffffffff8b200ba3, 0, false, true}}}, int3, false, 1},
		{"in the handler, interrupts on", [][]vcpuSample{{{1, 0xffffffff8b200ba3, 0, true, false}}}, int3, false, 1},
		{"user code at that address", [][]vcpuSample{{{1, 0xffffffff8b200ba3, 3, false, false}}}, int3, false, -1},
		{"only nested guests", [][]vcpuSample{{{0, 0x1b872a, 0, false, false}}}, int3, false, -1},
	} {
		if got := staleLoop(c.samples, c.int3); got != c.want {
			t.Errorf("%s: staleLoop = %v, want %v", c.name, got, c.want)
		}
		if got := kernelCPU(c.samples); got != c.cpu {
			t.Errorf("%s: kernelCPU = %d, want %d", c.name, got, c.cpu)
		}
	}
}

func TestParseKernelSyms(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // the parse printed again, "" for an error
	}{
		{"ffffffff91c00000 ffffffff92a01ef2", "ffffffff91c00000 ffffffff92a01ef2"},
		{"ffffffff91c00000 ffffffff92a01ef2 ffffffff92800ba0 ffffffff92800be0", "ffffffff91c00000 ffffffff92a01ef2 ffffffff92800ba0 ffffffff92800be0"},
		{"ffffffff92a01ef2 ffffffff91c00000", ""},
		{"ffffffff91c00000", ""},
		{"ffffffff91c00000 ffffffff92a01ef2 ffffffff92800ba0", ""},
		{"0 ffffffffffffffff", ""}, // absurdly large
		{"xyz 1", ""},
	} {
		ks, err := parseKernelSyms(c.in)
		got := ""
		if err == nil {
			got = ks.String()
		}
		if got != c.want {
			t.Errorf("parseKernelSyms(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestReadKernelSyms(t *testing.T) {
	p := filepath.Join(t.TempDir(), "kallsyms")
	os.WriteFile(p, []byte(`ffffffff91c00000 T _stext
ffffffff92800000 T __entry_text_start
ffffffff92800ba0 T asm_exc_int3
ffffffff92800c00 T asm_exc_overflow
ffffffff92802000 T __entry_text_end
ffffffff91c01000 T do_one_initcall
ffffffff91c02000 t do_int3
ffffffff91c02100 d some_data
ffffffff91c02180 T do_int3_user
ffffffff92a01ef2 T _etext
ffffffffc0100000 t svm_vcpu_run	[kvm_amd]
`), 0o644)
	ks, err := readKernelSyms(p)
	want := "ffffffff91c00000 ffffffff92a01ef2 ffffffff92800000 ffffffff92802000 ffffffff91c02000 ffffffff91c02180 ffffffff91c02180 ffffffff92800000"
	if err != nil || ks.String() != want {
		t.Errorf("readKernelSyms = %q, %v; want %q", ks, err, want)
	}
	// kptr_restrict hides addresses as zeros.
	os.WriteFile(p, []byte("0000000000000000 T _stext\n0000000000000000 T _etext\n"), 0o644)
	if _, err := readKernelSyms(p); err == nil {
		t.Error("zero addresses accepted")
	}
}

// TestConsoleKernelText: the host learns L1's kernel text from the runner.
func TestConsoleKernelText(t *testing.T) {
	c := newConsole(time.Now())
	c.saw("\x1b[0m"+markText+"ffffffff91c00000 ffffffff92a01ef2", time.Now())
	if _, _, _, ks := c.state(time.Now()); ks.text.size() != 0xe01ef2 {
		t.Errorf("kernel text %+v, want 0xe01ef2 bytes", ks.text)
	}
}

// TestStallLog: a failure overlapping a stall of L1 is L0's artefact; one
// before or after it, or without a stall, is not.
func TestStallLog(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var s stallLog
	s.add(t0.Add(100*time.Second), t0.Add(200*time.Second))
	s.add(t0.Add(300*time.Second), t0.Add(330*time.Second))
	for _, c := range []struct {
		from, to time.Duration
		want     string
	}{
		{0, 50 * time.Second, ""},
		{50 * time.Second, 150 * time.Second, "L1 itself did not run for 1m40s during it (L0's stale translation or a starved host, docs/kvm.md)"},
		{150 * time.Second, 310 * time.Second, "L1 itself did not run for 1m40s during it (L0's stale translation or a starved host, docs/kvm.md)"},
		{310 * time.Second, 400 * time.Second, "L1 itself did not run for 30s during it (L0's stale translation or a starved host, docs/kvm.md)"},
		{331 * time.Second, 400 * time.Second, ""},
	} {
		if got := artefact("some failure", "", &s, t0.Add(c.from), t0.Add(c.to)); got != c.want {
			t.Errorf("artefact over %v-%v = %q, want %q", c.from, c.to, got, c.want)
		}
	}
	if got := artefact("kernel panic: interrupt 240 delivered with interrupts disabled", "", &stallLog{}, t0, t0); got == "" {
		t.Error("the double-delivery report is no artefact")
	}
	// A stalled guest's report with its vCPU at L1's own code.
	loop := summarizeStallTrace(npfLoopTrace(600, 0xffffffffc042cdcc), testKallsyms, time.Second)
	var box verdictBox
	report := recordL1State(func() string { return loop }, &box)()
	got := artefact("guest faults printed nothing for 4m0s; killed it\n"+report, box.take(), &stallLog{}, t0, t0)
	if !strings.Contains(got, "saved state was overwritten by L1's (qemu-system-x86-343's vCPU is at guest rip 0xffffffffc042cdcc, which is L1's __svm_vcpu_run+0xcc [kvm_amd]; every nested page fault at guest-physical 0x10580eff8)") {
		t.Errorf("artefact of the L1-state loop = %q", got)
	}
	// The same loop at a gotoro address is the guest's: no retry.
	if box.take() != "" {
		t.Error("the verdict was not taken")
	}
	loop = summarizeStallTrace(npfLoopTrace(600, 0x1b3082), testKallsyms, time.Second)
	report = recordL1State(func() string { return loop }, &box)()
	if got := artefact("guest faults printed nothing for 4m0s; killed it\n"+report, box.take(), &stallLog{}, t0, t0); got != "" {
		t.Errorf("a loop at a guest address is an artefact: %q", got)
	}
	// The mark's text in the guest's own output, with no such verdict in
	// the host's report, is no artefact.
	if got := artefact("  [faults] "+l1StateMark+"spoofed: by the guest", "", &stallLog{}, t0, t0); got != "" {
		t.Errorf("a guest printing the mark is retried: %q", got)
	}
	if recordL1State(nil, &box) != nil {
		t.Error("no StallInfo became one")
	}
}
