package boottest

import (
	"os/exec"
	"strings"
	"testing"
)

// TestZeroPage checks that the guest, like Linux, backs memory the
// program reads but never writes with the shared zero page: the same
// program natively and in the guest, on one and two cores (each of which
// must print every check Linux passes).
func TestZeroPage(t *testing.T) {
	native, err := exec.Command("go", "run", "./testdata/zeropage", "native").CombinedOutput()
	if err != nil || !strings.Contains(string(native), "zeropage ok") {
		t.Fatalf("natively: %v\n%s", err, native)
	}
	forCores(t, []int{1, 2}, func(t *testing.T, cpus int) {
		out, res := boot(t, "zeropage", bootOpts{cpus: cpus, mem: 1 << 30})
		wantExit(t, out, res, 0)
		if !strings.Contains(out, "zeropage ok") {
			t.Errorf("unexpected output:\n%s", out)
		}
		for _, line := range strings.Split(string(native), "\n") {
			if strings.HasPrefix(line, "ok ") && !strings.Contains(out, line+"\n") {
				t.Errorf("the guest skipped %q", line)
			}
		}
	})
}
