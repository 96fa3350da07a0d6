package boottest

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestClock checks the guest clock against the RTC (rate and wall time),
// the host's launch time, across cores and between the vDSO and the
// system call (testdata/clock). Under TCG the clock source is the TSC; the
// KVM lane runs the same program with kvmclock.
func TestClock(t *testing.T) {
	t.Parallel()
	launch := strconv.FormatInt(time.Now().UnixNano(), 10)
	out, res := boot(t, "clock", bootOpts{args: []string{launch}, cpus: 2})
	wantExit(t, out, res, 0)
	if !strings.Contains(out, "clock ok") {
		t.Fatalf("clock checks failed:\n%s", out)
	}
}
