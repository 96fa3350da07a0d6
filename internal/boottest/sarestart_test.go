package boottest

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/gotoro/gotoro/internal/bootabi"
)

// TestSignalRestart boots a program whose threads block in a raw read of
// a pipe and of a Unix socket, and in a raw write of a full pipe, while
// signals hit them — one with a handler
// (installed with SA_RESTART, as the Go runtime installs all its
// handlers) and one ignored: the reads must go on and return the data
// written after the signals, and the write go in whole once the pipe is
// drained, as on Linux, not fail with EINTR; also with biglock=all.
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
	// biglock=all runs read, write and the other calls that normally
	// leave the big lock under it, through their own dispatch: a cut call
	// must be restarted as itself there too.
	t.Run("biglock=all", func(t *testing.T) {
		out, res := boot(t, "sarestart", bootOpts{cpus: 2, params: []bootabi.Param{{Key: "biglock", Value: "all"}}})
		wantExit(t, out, res, 0)
		if !strings.Contains(out, "sarestart ok") {
			t.Errorf("unexpected output:\n%s", out)
		}
	})
}
