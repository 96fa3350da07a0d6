package boottest

import (
	"os"
	"testing"

	"github.com/gotoro/gotoro/host/build"
)

// TestFallocate runs testdata/falloc (fallocate) in the guest and holds
// its checks against the ones Linux passes on tmpfs (/dev/shm, as the
// guest's /tmp is tmpfs-like): allocation, KEEP_SIZE, punched holes and
// their freed pages, the modes tmpfs refuses, memfd seals, bad ranges,
// other kinds of descriptor, ENOSPC; st_blocks as the pages held;
// madvise(MADV_REMOVE) and its refusals.
func TestFallocate(t *testing.T) {
	shm, err := os.MkdirTemp("/dev/shm", "falloc")
	if err != nil {
		t.Skipf("no tmpfs for the native run: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(shm) })
	checks := nativeChecks(t, "falloc", "falloc ok", shm, "testdata/falloc/main.go")
	files := []build.Mount{{HostDir: "testdata/falloc", GuestDir: "/pkg"}}
	out, res := boot(t, "falloc", bootOpts{cpus: 1, files: files, args: []string{"/tmp", "/pkg/main.go"}})
	wantExit(t, out, res, 0)
	wantNativeChecks(t, out, "falloc ok", checks)
}
