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

// TestNewcomer: a new thread queued behind a thread that ran alone starts
// that thread's time slice (it waits at most one slice), whether the
// slice had run out long ago or not; behind a thread others already wait
// for, the slice in progress stays.
func TestNewcomer(t *testing.T) {
	const now = int64(50_000_000)
	for _, tc := range []struct {
		name     string
		waiting  int
		inbox    bool // a thread another core woke is on its way
		sliceEnd int64
		want     int64
	}{
		{"alone, slice long over", 0, false, now - 40_000_000, now + timeSlice},
		{"alone, slice running", 0, false, now + 3_000_000, now + timeSlice},
		{"others wait, slice over", 1, false, now - 1, now - 1},
		{"others wait, slice running", 2, false, now + 3_000_000, now + 3_000_000},
		{"a woken thread in the inbox, slice over", 0, true, now - 1, now - 1},
	} {
		var s coreSched
		for i := 0; i < tc.waiting; i++ {
			s.runq.push(int32(i))
		}
		if tc.inbox {
			s.inbox = 1
		}
		s.sliceEnd = tc.sliceEnd
		s.newcomer(now)
		if s.sliceEnd != tc.want {
			t.Errorf("%s: sliceEnd %d, want %d", tc.name, s.sliceEnd, tc.want)
		}
	}
}
