package apic

import "testing"

func TestRateAgrees(t *testing.T) {
	const tsc = 2_600_000_000
	for _, c := range []struct {
		name          string
		ticks, dt, hz uint64
		measured      uint64 // 0: not checked
		ok            bool
	}{
		{"1 GHz over 3 ms, host says 1 GHz", 3_000_000, 7_800_000, 1_000_000_000, 1_000_000_000, true},
		{"10 % fast (a pause before the start's TSC read)", 3_300_000, 7_800_000, 1_000_000_000, 1_100_000_000, true},
		{"20 % fast: refused", 3_600_000, 7_800_000, 1_000_000_000, 1_200_000_000, false},
		{"10 % slow", 2_700_000, 7_800_000, 1_000_000_000, 900_000_000, true},
		{"a 25 MHz bus said as 1 GHz: refused", 75_000, 7_800_000, 1_000_000_000, 25_000_000, false},
		{"1 GHz said as 25 MHz: refused", 3_000_000, 7_800_000, 25_000_000, 1_000_000_000, false},
		{"1 GHz over 120 µs", 120_000, 312_000, 1_000_000_000, 1_000_000_000, true},
		{"1 GHz over 50 µs: too short, refused", 50_000, 130_000, 1_000_000_000, 1_000_000_000, false},
		{"count did not move: refused", 0, 7_800_000, 1_000_000_000, 0, false},
		{"count ran out over 10 s: refused", 0xFFFFFFFF, 26_000_000_000, 1_000_000_000, 429_496_729, false},
		{"no time passed: refused", 100, 0, 1_000_000_000, 0, false},
		{"TSC went back: refused", 100, ^uint64(0) - 5, 1_000_000_000, 0, false},
	} {
		m, ok := rateAgrees(c.ticks, c.dt, c.hz, tsc)
		if ok != c.ok {
			t.Errorf("%s: rateAgrees = %d, %v; want ok %v", c.name, m, ok, c.ok)
		}
		if d := max(m, c.measured) - min(m, c.measured); c.measured != 0 && d > c.measured/100 {
			t.Errorf("%s: measured %d Hz, want %d within 1 %%", c.name, m, c.measured)
		}
	}
}
