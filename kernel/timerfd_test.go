package kernel

import "testing"

// TestTimerAdvance checks the expiration count of timers looked at late:
// a one-shot counts once and disarms, an interval timer counts the
// intervals it skipped (Linux's overruns) and moves past now, an
// interval of 1 ns over a second counts 1e9 at once, a next expiry near
// the end of time saturates instead of wrapping, and only the first
// expiry after a read is an edge for epoll (fired).
func TestTimerAdvance(t *testing.T) {
	const max = 1<<63 - 1
	tests := []struct {
		name                   string
		s                      timerState
		now                    int64
		ticks, fired           uint64
		next                   int64
		armed                  bool
		nowAgain               int64 // a second look, unread
		ticksAgain, firedAgain uint64
	}{
		{name: "not yet", s: timerState{armed: true, next: 100}, now: 99, next: 100, armed: true, nowAgain: 99},
		{name: "one-shot", s: timerState{armed: true, next: 100}, now: 100, ticks: 1, fired: 1, next: 100, nowAgain: 500, ticksAgain: 1, firedAgain: 1},
		{name: "interval, on time", s: timerState{armed: true, next: 100, interval: 10}, now: 100, ticks: 1, fired: 1, next: 110, armed: true,
			nowAgain: 135, ticksAgain: 4, firedAgain: 1},
		{name: "interval, overruns", s: timerState{armed: true, next: 100, interval: 10}, now: 159, ticks: 6, fired: 1, next: 160, armed: true,
			nowAgain: 160, ticksAgain: 7, firedAgain: 1},
		{name: "1ns for a second", s: timerState{armed: true, next: 1, interval: 1}, now: 1e9, ticks: 1e9, fired: 1, next: 1e9 + 1, armed: true,
			nowAgain: 1e9, ticksAgain: 1e9, firedAgain: 1},
		{name: "saturates", s: timerState{armed: true, next: max - 5, interval: max / 2}, now: max - 1, ticks: 1, fired: 1, next: max, armed: true,
			nowAgain: max - 1, ticksAgain: 1, firedAgain: 1},
		{name: "disarmed", s: timerState{next: 100}, now: 1000, next: 100, nowAgain: 2000},
	}
	for _, tc := range tests {
		s := tc.s
		s.advance(tc.now)
		if s.ticks != tc.ticks || s.fired != tc.fired || s.next != tc.next || s.armed != tc.armed {
			t.Errorf("%s: ticks %d fired %d next %d armed %v, want %d %d %d %v", tc.name, s.ticks, s.fired, s.next, s.armed, tc.ticks, tc.fired, tc.next, tc.armed)
		}
		s.advance(tc.nowAgain)
		if s.ticks != tc.ticksAgain || s.fired != tc.firedAgain {
			t.Errorf("%s, looked at again: ticks %d fired %d, want %d %d", tc.name, s.ticks, s.fired, tc.ticksAgain, tc.firedAgain)
		}
	}
	// A read clears expired: the next expiry is an edge again.
	s := timerState{armed: true, next: 100, interval: 10}
	s.advance(100)
	s.ticks, s.expired = 0, false
	s.advance(110)
	if s.ticks != 1 || s.fired != 2 {
		t.Errorf("after a read: ticks %d fired %d, want 1 2", s.ticks, s.fired)
	}
}
