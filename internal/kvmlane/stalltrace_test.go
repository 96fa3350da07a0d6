package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// loopTrace is n rounds of a vCPU thread in KVM's emulate-and-inject loop
// (the lines as Linux 6.1's tracepoints print them), at guest rip rips[i%len].
func loopTrace(n int, rips ...uint64) string {
	var b strings.Builder
	b.WriteString("# tracer: nop\n#\n")
	for i := 0; i < n; i++ {
		rip := rips[i%len(rips)]
		ts := fmt.Sprintf("%d.%06d", 100+i/10000, i%10000)
		fmt.Fprintf(&b, " qemu-system-x86-473     [001] d..1. %s: kvm_exit: vcpu 0 reason EXIT_NPF rip 0x%x info1 0x0000000000000006 info2 0x00000000fee00300 intr_info 0x00000000 error_code 0x00000000\n", ts, rip)
		fmt.Fprintf(&b, " qemu-system-x86-473     [001] ..... %s: kvm_page_fault: vcpu 0 rip 0x%x address 0x00000000fee00300 error_code 0x6\n", ts, rip)
		fmt.Fprintf(&b, " qemu-system-x86-473     [001] ..... %s: kvm_mmu_pagetable_walk: addr %x pferr 10 F\n", ts, rip)
		fmt.Fprintf(&b, " qemu-system-x86-473     [001] ..... %s: kvm_mmu_paging_element: pte f29067 level 4\n", ts)
		fmt.Fprintf(&b, " qemu-system-x86-473     [001] ..... %s: kvm_mmu_walker_error: pferr 10 F\n", ts)
		fmt.Fprintf(&b, " qemu-system-x86-473     [001] ..... %s: kvm_emulate_insn: 0:%x: (prot64) failed\n", ts, rip)
		fmt.Fprintf(&b, " qemu-system-x86-473     [001] ..... %s: kvm_inj_exception: #PF (0x10)\n", ts)
	}
	// Another vCPU that runs: a few exits at different places, the first
	// two under the name tracefs gives a command it did not record.
	for i := 0; i < 5; i++ {
		task := "qemu-system-x86-474"
		if i < 2 {
			task = "<...>-474"
		}
		fmt.Fprintf(&b, " %s     [003] d..1. 100.%06d: kvm_exit: vcpu 1 reason EXIT_MSR rip 0x%x info1 0x1 info2 0x0 intr_info 0x00000000 error_code 0x00000000\n", task, i, 0x1a0000+i)
	}
	return b.String()
}

// npfLoopTrace is n rounds of the loop seen on 2026-12-07 in
// faults/cpus=4 (Linux 6.1's tracepoints): every exit a nested page fault
// at guest rip, on the page-table entry under L1's CR3, while a page
// fault is being delivered; KVM's emulator cannot fetch at rip and
// injects a page fault again.
func npfLoopTrace(n int, rip uint64) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		ts := fmt.Sprintf("%d.%06d", 600+i/10000, i%10000)
		fmt.Fprintf(&b, " qemu-system-x86-343     [000] d..1. %s: kvm_exit: vcpu 0 reason npf rip 0x%x info1 0x000000020000000e info2 0x000000010580eff8 intr_info 0x80000b0e error_code 0x00000010\n", ts, rip)
		fmt.Fprintf(&b, " qemu-system-x86-343     [000] ..... %s: kvm_page_fault: vcpu 0 rip 0x%x address 0x000000010580eff8 error_code 0x20000000e\n", ts, rip)
		fmt.Fprintf(&b, " qemu-system-x86-343     [000] ..... %s: kvm_mmu_pagetable_walk: addr %x pferr 10 F\n", ts, rip)
		fmt.Fprintf(&b, " qemu-system-x86-343     [000] ..... %s: kvm_mmu_walker_error: pferr 10 F\n", ts)
		fmt.Fprintf(&b, " qemu-system-x86-343     [000] ..... %s: kvm_emulate_insn: 0:%x: (prot64)\n", ts, rip)
		fmt.Fprintf(&b, " qemu-system-x86-343     [000] ..... %s: kvm_inj_exception: #PF (0x10)\n", ts)
	}
	return b.String()
}

// testKallsyms is a piece of L1's /proc/kallsyms.
const testKallsyms = `ffffffffab000000 T _stext
ffffffffab217a00 t native_safe_halt
ffffffffc042c000 t svm_vcpu_free	[kvm_amd]
ffffffffc042cd00 T __svm_vcpu_run	[kvm_amd]
ffffffffc042cd00 d some_data	[kvm_amd]
ffffffffc042ce40 t svm_handle_exit	[kvm_amd]
`

func TestL1StateLoop(t *testing.T) {
	tests := []struct {
		rip  uint64
		want string
	}{
		{0xffffffffc042cdcc, "guest state overwritten by L1's: qemu-system-x86-343's vCPU is at guest rip 0xffffffffc042cdcc, which is L1's __svm_vcpu_run+0xcc [kvm_amd]; every nested page fault at guest-physical 0x10580eff8"},
		{0x1b3082, ""},           // a gotoro kernel address
		{0x7ffffffff000, ""},     // a gotoro program's
		{0xffffffffc0600000, ""}, // upper half, but no L1 symbol within 1 MiB
		{0xffff800000001000, ""}, // upper half, below every symbol
	}
	for _, tc := range tests {
		s := summarizeStallTrace(npfLoopTrace(loopMin, tc.rip), testKallsyms, time.Second)
		if !strings.Contains(s, emulationLoopMark) {
			t.Fatalf("rip %#x: no emulation loop in\n%s", tc.rip, s)
		}
		_, line, found := strings.Cut(s, l1StateMark)
		line, _, _ = strings.Cut(line, " (docs/kvm.md)")
		line, _, _ = strings.Cut(line, ": L0's nested SVM")
		if tc.want == "" && found {
			t.Errorf("rip %#x named as L1's: %s", tc.rip, line)
		}
		if tc.want != "" && l1StateMark+line != tc.want {
			t.Errorf("rip %#x: %q\nwant %q", tc.rip, l1StateMark+line, tc.want)
		}
	}
	if sym, ok := l1Symbol(testKallsyms, 0xffffffffab217a0b); !ok || sym != "native_safe_halt+0xb" {
		t.Errorf("l1Symbol = %q, %v; want native_safe_halt+0xb", sym, ok)
	}
}

func TestParseTraceLine(t *testing.T) {
	tests := []struct {
		line          string
		task, ev, msg string
		ok            bool
	}{
		{" qemu-system-x86-473     [001] d..1.   165.1: kvm_exit: vcpu 0 reason EXIT_NPF rip 0x1b3082", "qemu-system-x86-473", "kvm_exit", "vcpu 0 reason EXIT_NPF rip 0x1b3082", true},
		{"   <...>-12 [000] .....  1.5: kvm_inj_exception: #PF (0x10)", "<...>-12", "kvm_inj_exception", "#PF (0x10)", true},
		{"# tracer: nop", "", "", "", false},
		{"", "", "", "", false},
		{"garbage", "", "", "", false},
	}
	for _, tc := range tests {
		ev, ok := parseTraceLine(tc.line)
		if ok != tc.ok || ev.task != tc.task || ev.event != tc.ev || ev.msg != tc.msg {
			t.Errorf("parseTraceLine(%q) = %+v, %v; want %q %q %q, %v", tc.line, ev, ok, tc.task, tc.ev, tc.msg, tc.ok)
		}
	}
	if v, ok := traceField("vcpu 0 reason EXIT_NPF rip 0x1b3082 info1 0x6", "rip"); !ok || v != 0x1b3082 {
		t.Errorf("traceField rip = %#x, %v", v, ok)
	}
	if _, ok := traceField("vcpu 0 reason EXIT_NPF", "rip"); ok {
		t.Error("traceField found a rip that is not there")
	}
}

func TestSummarizeStallTrace(t *testing.T) {
	tests := []struct {
		name  string
		trace string
		loop  bool
	}{
		{"one rip, 12000 rounds", loopTrace(12000, 0x1b3082), true},
		{"at the bound", loopTrace(loopMin, 0x1b3082), true},
		{"below the bound", loopTrace(loopMin-1, 0x1b3082), false},
		{"two rips: the guest moves", loopTrace(12000, 0x1b3082, 0x1b3090), false},
		{"empty", "# tracer: nop\n", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := summarizeStallTrace(tc.trace, testKallsyms, time.Second)
			has := strings.Contains(s, emulationLoopMark)
			if has != tc.loop {
				t.Fatalf("emulation loop named: %v, want %v; summary:\n%s", has, tc.loop, s)
			}
			if tc.loop && !strings.Contains(s, "every exit at guest rip 0x1b3082, walk addr 1b3082 pferr 10 F, walker error pferr 10 F") {
				t.Errorf("loop line lacks the rip, the walk or its error:\n%s", s)
			}
			if tc.trace != "# tracer: nop\n" && !strings.Contains(s, "qemu-system-x86-474: kvm_exit=5") {
				t.Errorf("summary lacks the other vCPU's exits:\n%s", s)
			}
		})
	}
}
