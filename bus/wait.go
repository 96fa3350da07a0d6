package bus

import (
	"time"

	"github.com/gotoro/gotoro"
)

// Timeouts of PollWait: a thread on its endpoint's core is woken by the
// sender's gotoro.Wake and sleeps long; one elsewhere cannot be reached by
// Wake and re-checks often.
const (
	sleepPinned   = 50 * time.Millisecond
	sleepUnpinned = 200 * time.Microsecond
)

// waiter waits for a condition: first by polling with PAUSE, then through
// gotoro's polling hint.
type waiter struct {
	spin int // polls before halting
	core int // the core of the waiting endpoint
}

// wait returns when ready() is true.
func (w *waiter) wait(ready func() bool) {
	if !w.spinFor(ready) {
		w.halt(ready)
	}
}

// spinFor polls ready up to w.spin times and reports whether it became
// true.
func (w *waiter) spinFor(ready func() bool) bool {
	for i := 0; i < w.spin; i++ {
		if ready() {
			return true
		}
		pause()
	}
	return ready()
}

// halt waits for ready() through the polling hint, so that the core can
// halt; the side that makes ready() true calls gotoro.Wake(w.core) after.
func (w *waiter) halt(ready func() bool) {
	for {
		t := gotoro.PollPrepare()
		if ready() {
			t.Cancel()
			return
		}
		d := sleepPinned
		if gotoro.CoreID() != w.core {
			d = sleepUnpinned
		}
		gotoro.PollWait(t, d)
		if ready() {
			return
		}
	}
}
