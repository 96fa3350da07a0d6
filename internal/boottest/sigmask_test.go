package boottest

import "testing"

// TestSigmask runs testdata/sigmask (the signal masks of ppoll, pselect6,
// epoll_pwait and epoll_pwait2) in the guest with one and two cores and
// holds its checks against the ones Linux passes: a signal the mask lets
// through ends the wait (EINTR, the handler runs), one it blocks waits
// pending until the thread's own mask is back, and the thread's mask is
// its own after every call.
func TestSigmask(t *testing.T) {
	checks := nativeChecks(t, "sigmask", "sigmask ok")
	forCores(t, []int{1, 2}, func(t *testing.T, cpus int) {
		out, res := boot(t, "sigmask", bootOpts{cpus: cpus})
		wantExit(t, out, res, 0)
		wantNativeChecks(t, out, "sigmask ok", checks)
	})
}
