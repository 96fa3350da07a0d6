package boottest

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/gotoro/gotoro/host/build"
	"github.com/gotoro/gotoro/internal/bootabi"
)

// TestFIFO checks mknod and mkfifo in the guest and the same program
// natively on Linux, the oracle: every check Linux passes, the guest
// passes too, with the same readiness and inotify events, in /tmp and in
// the writable packed tree; the read-only packed tree refuses (EROFS).
func TestFIFO(t *testing.T) {
	native, err := exec.Command("go", "run", "./testdata/fifo", "native", t.TempDir()).CombinedOutput()
	if err != nil || !strings.Contains(string(native), "fifo ok") {
		t.Fatalf("natively: %v\n%s", err, native)
	}
	wantNative := func(t *testing.T, out, prefix, as string) {
		t.Helper()
		for _, line := range strings.Split(string(native), "\n") {
			if strings.HasPrefix(line, "ok "+prefix) {
				line = "ok " + as + strings.TrimPrefix(line, "ok "+prefix)
				if !strings.Contains(out, line+"\n") {
					t.Errorf("the guest skipped %q", line)
				}
			}
		}
	}
	forCores(t, []int{1, 2}, func(t *testing.T, cpus int) {
		out, res := boot(t, "fifo", bootOpts{cpus: cpus})
		wantExit(t, out, res, 0)
		if !strings.Contains(out, "fifo ok") || !strings.Contains(out, "ok read-only tree: mknod EROFS\n") {
			t.Errorf("unexpected output:\n%s", out)
		}
		wantNative(t, out, "tmp: ", "tmp: ")
	})
	t.Run("tree", func(t *testing.T) {
		files := []build.Mount{{HostDir: writableTree(t), GuestDir: "/work/tree"}}
		rw := []bootabi.Param{{Key: bootabi.KeyRW, Value: "1"}}
		out, res := boot(t, "fifo", bootOpts{files: files, args: []string{"/work/tree"}, params: rw})
		wantExit(t, out, res, 0)
		wantNative(t, out, "tmp: ", "tree: ")
	})
}
