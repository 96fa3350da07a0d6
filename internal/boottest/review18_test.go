package boottest

import (
	"os"
	"testing"
)

// TestReview18 runs testdata/review18 in the guest and holds its checks
// against the ones Linux passes on tmpfs (/dev/shm): MADV_REMOVE over
// mixed and partly mapped ranges and sealed memfds, st_blocks through
// reads of holes, KEEP_SIZE pages and truncates, the RWF_* flags of
// preadv2/pwritev2 on files, pipes, sockets and /dev/null, truncate(2) of
// /proc/self/fd/N names.
func TestReview18(t *testing.T) {
	shm, err := os.MkdirTemp("/dev/shm", "review18")
	if err != nil {
		t.Skipf("no tmpfs for the native run: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(shm) })
	checks := nativeChecks(t, "review18", "review18 ok", shm)
	out, res := boot(t, "review18", bootOpts{cpus: 1, args: []string{"/tmp"}})
	wantExit(t, out, res, 0)
	wantNativeChecks(t, out, "review18 ok", checks)
	if t.Failed() {
		t.Logf("the guest printed:\n%s", out)
	}
}
