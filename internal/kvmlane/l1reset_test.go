package main

import (
	"slices"
	"strings"
	"testing"
)

func TestPanicReport(t *testing.T) {
	tests := []struct {
		name    string
		console string
		max     int
		want    []string
	}{
		{"no report", "LANE-L1-UP\nPASS hello\n", 10, nil},
		{"from the NMI line on", "LANE-L1-UP\nheartbeat\nKernel panic - not syncing: NMI: Not continuing\nCall Trace:\n ? default_idle+0x5/0x10\n", 10,
			[]string{"Kernel panic - not syncing: NMI: Not continuing", "Call Trace:", " ? default_idle+0x5/0x10", ""}},
		{"Uhhuh line first", "x\nUhhuh. NMI received for unknown reason 3d on CPU 2.\nKernel panic\n", 10,
			[]string{"Uhhuh. NMI received for unknown reason 3d on CPU 2.", "Kernel panic", ""}},
		{"cut at max", "NMI a\nb\nc\nd\n", 2, []string{"NMI a", "b"}},
	}
	for _, tc := range tests {
		got := panicReport(tc.console, tc.max)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: panicReport = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestL1CmdlineNMIPanic: the silent-L1 report relies on L1 panicking on
// the lane's NMI.
func TestL1CmdlineNMIPanic(t *testing.T) {
	if c := l1Cmdline(); !strings.Contains(c, "unknown_nmi_panic") {
		t.Errorf("l1Cmdline() = %q: without unknown_nmi_panic a silent L1 prints no report after the lane's NMI", c)
	}
	if c := l1Cmdline(); !strings.Contains(c, "transparent_hugepage=never") {
		t.Errorf("l1Cmdline() = %q: khugepaged's TLB-flush cross-calls lock L1 up when L0 loses their IPI (the CI of 677338a)", c)
	}
	if c := l1Cmdline(); !strings.Contains(c, "nohz=off") {
		t.Errorf("l1Cmdline() = %q: without nohz=off an idle L1 CPU that misses a wake-up under L0's TCG leaves its work unrun (wake/cpus=4 hung)", c)
	}
}
