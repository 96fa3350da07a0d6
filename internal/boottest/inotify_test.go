package boottest

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/gotoro/gotoro/host/build"
	"github.com/gotoro/gotoro/internal/bootabi"
)

// TestInotify checks inotify in the guest and the same program natively
// on Linux, the oracle: every check Linux passes, the guest passes too,
// with the same events, in /tmp and in the writable packed tree.
func TestInotify(t *testing.T) {
	native, err := exec.Command("go", "run", "./testdata/inotify", "native", t.TempDir()).CombinedOutput()
	if err != nil || !strings.Contains(string(native), "inotify ok") {
		t.Fatalf("natively: %v\n%s", err, native)
	}
	forCores(t, []int{1, 2}, func(t *testing.T, cpus int) {
		out, res := boot(t, "inotify", bootOpts{cpus: cpus})
		wantExit(t, out, res, 0)
		if !strings.Contains(out, "inotify ok") {
			t.Errorf("unexpected output:\n%s", out)
		}
		for _, line := range strings.Split(string(native), "\n") {
			if strings.HasPrefix(line, "ok ") && !strings.Contains(out, line+"\n") {
				t.Errorf("the guest skipped %q", line)
			}
		}
	})
	t.Run("tree", func(t *testing.T) {
		files := []build.Mount{{HostDir: writableTree(t), GuestDir: "/work/tree"}}
		rw := []bootabi.Param{{Key: bootabi.KeyRW, Value: "1"}}
		out, res := boot(t, "inotify", bootOpts{files: files, args: []string{"/work/tree"}, params: rw})
		wantExit(t, out, res, 0)
		for _, line := range strings.Split(string(native), "\n") {
			if strings.HasPrefix(line, "ok tmp: ") {
				line = "ok tree: " + strings.TrimPrefix(line, "ok tmp: ")
				if !strings.Contains(out, line+"\n") {
					t.Errorf("the guest skipped %q", line)
				}
			}
		}
	})
}
