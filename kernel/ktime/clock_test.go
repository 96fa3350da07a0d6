package ktime

import "testing"

// TestHzFrom checks that -ktrace's boot line names where the TSC rate
// came from as each case of initSource sets it.
func TestHzFrom(t *testing.T) {
	saved := clock
	defer func() { clock = saved }()
	for from, want := range map[uint8]string{hzFromHost: "host", hzFromKVMClock: "kvmclock", hzFromCPUID: "cpuid", hzFromPIT: "pit"} {
		setTSCHz(2_000_000_000, from)
		if got := HzFrom(); got != want {
			t.Errorf("HzFrom() after setTSCHz(_, %d) = %q, want %q", from, got, want)
		}
	}
}
