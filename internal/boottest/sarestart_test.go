package boottest

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSignalRestart boots a program whose threads block in a raw read of
// a pipe and of a Unix socket while signals hit them — one with a handler
// (installed with SA_RESTART, as the Go runtime installs all its
// handlers) and one ignored: the reads must go on and return the data
// written after the signals, as on Linux, not fail with EINTR.
func TestSignalRestart(t *testing.T) {
	native, err := exec.Command("go", "run", "./testdata/sarestart").CombinedOutput()
	if err != nil || !strings.Contains(string(native), "sarestart ok") {
		t.Fatalf("natively: %v\n%s", err, native)
	}
	forCores(t, []int{1, 2}, func(t *testing.T, cpus int) {
		out, res := boot(t, "sarestart", bootOpts{cpus: cpus})
		wantExit(t, out, res, 0)
		if !strings.Contains(out, "sarestart ok") {
			t.Errorf("unexpected output:\n%s", out)
		}
	})
}
