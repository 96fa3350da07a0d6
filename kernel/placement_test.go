package kernel

import "testing"

// TestPickCore: with one core, core 0 if the mask allows it; with more,
// the least-loaded core the mask allows (the lowest on a tie); -1 if the
// mask names no running core.
func TestPickCore(t *testing.T) {
	savedN, savedHigh := ncpu, threadHigh
	defer func() { ncpu, threadHigh = savedN, savedHigh }()
	threadHigh = 0 // no threads: every core equally loaded
	for _, tc := range []struct {
		ncpu int
		mask uint64
		want int
	}{
		{1, 1, 0},
		{1, ^uint64(0), 0},
		{1, 2, -1},
		{2, 3, 0},
		{2, 2, 1},
		{2, 4, -1},
	} {
		ncpu = tc.ncpu
		if got := pickCore(tc.mask); got != tc.want {
			t.Errorf("ncpu %d: pickCore(%#x) = %d, want %d", tc.ncpu, tc.mask, got, tc.want)
		}
	}
}
