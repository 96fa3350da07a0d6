package boottest

import "testing"

// TestTimerfd runs testdata/timerfd (timerfd through golang.org/x/sys/unix)
// in the guest with one and two cores and holds its checks against the
// ones Linux passes: with two cores a reader blocked on one core is woken
// by a settime and a timer expiry for it on the other.
func TestTimerfd(t *testing.T) {
	checks := nativeChecks(t, "timerfd", "timerfd ok")
	forCores(t, []int{1, 2}, func(t *testing.T, cpus int) {
		out, res := boot(t, "timerfd", bootOpts{cpus: cpus})
		wantExit(t, out, res, 0)
		wantNativeChecks(t, out, "timerfd ok", checks)
	})
}
