package boottest

import (
	"os/exec"
	"strings"
	"testing"
)

// TestFileLocks checks flock, fcntl record locks and statfs in the guest,
// and the same program natively on Linux, the oracle: every check the
// guest makes, Linux passes too (the guest adds checks of its own file
// systems).
func TestFileLocks(t *testing.T) {
	native, err := exec.Command("go", "run", "./testdata/locks", "native", t.TempDir()).CombinedOutput()
	if err != nil || !strings.Contains(string(native), "locks ok") {
		t.Fatalf("natively: %v\n%s", err, native)
	}
	forCores(t, []int{1, 2}, func(t *testing.T, cpus int) {
		out, res := boot(t, "locks", bootOpts{cpus: cpus})
		wantExit(t, out, res, 0)
		if !strings.Contains(out, "locks ok") {
			t.Errorf("unexpected output:\n%s", out)
		}
		for _, line := range strings.Split(string(native), "\n") {
			if strings.HasPrefix(line, "ok ") && !strings.Contains(out, line+"\n") {
				t.Errorf("the guest skipped %q", line)
			}
		}
	})
}
