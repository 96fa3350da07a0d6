package boottest

import (
	"os/exec"
	"strings"
	"testing"
)

// TestMsgPeek checks MSG_PEEK and MSG_DONTWAIT on AF_UNIX, TCP and UDP
// sockets in the guest and the same program natively on Linux, the
// oracle: every check Linux passes, the guest passes too.
func TestMsgPeek(t *testing.T) {
	native, err := exec.Command("go", "run", "./testdata/peek", "native").CombinedOutput()
	if err != nil || !strings.Contains(string(native), "peek ok") {
		t.Fatalf("natively: %v\n%s", err, native)
	}
	forCores(t, []int{1, 2}, func(t *testing.T, cpus int) {
		out, res := boot(t, "peek", bootOpts{cpus: cpus})
		wantExit(t, out, res, 0)
		if !strings.Contains(out, "peek ok") {
			t.Errorf("unexpected output:\n%s", out)
		}
		for _, line := range strings.Split(string(native), "\n") {
			if strings.HasPrefix(line, "ok ") && !strings.Contains(out, line+"\n") {
				t.Errorf("the guest skipped %q", line)
			}
		}
	})
}
