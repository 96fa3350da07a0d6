package main

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestLockupCPU(t *testing.T) {
	for _, tc := range []struct {
		line string
		cpu  int
		ok   bool
	}{
		{"watchdog: BUG: soft lockup - CPU#1 stuck for 23s! [khugepaged:47]", 1, true},
		{"[  164.9] watchdog: BUG: soft lockup - CPU#12 stuck for 22s! [qemu-system-x86:473]", 12, true},
		{"RIP: 0010:smp_call_function_many_cond+0xf1/0x330", 0, false},
		{"soft lockup - CPU#x stuck", 0, false},
	} {
		cpu, ok := lockupCPU(tc.line)
		if cpu != tc.cpu || ok != tc.ok {
			t.Errorf("lockupCPU(%q) = %d, %v; want %d, %v", tc.line, cpu, ok, tc.cpu, tc.ok)
		}
	}
}

// TestKickCPUs: on this machine every CPU takes a pinned thread, and the
// report names each CPU but the skipped one; a CPU that does not exist
// is reported as not pinned, not as run.
func TestKickCPUs(t *testing.T) {
	n := runtime.NumCPU()
	got := kickCPUs(n, 0, 10*time.Second)
	if n > 1 && strings.Contains(got, "CPU0 ") {
		t.Errorf("kickCPUs skipped CPU0 but reports it: %s", got)
	}
	for cpu := 1; cpu < n; cpu++ {
		if !strings.Contains(got, fmt.Sprintf("CPU%d ran in ", cpu)) {
			t.Errorf("CPU%d did not run its thread: %s", cpu, got)
		}
	}
	// CPU n is not online: setaffinity fails with EINVAL.
	got = kickCPUs(n+1, 0, 10*time.Second)
	if !strings.Contains(got, fmt.Sprintf("CPU%d not pinned", n)) {
		t.Errorf("an offline CPU was reported run: %s", got)
	}
}
