package boottest

import (
	"os"
	"testing"

	"github.com/gotoro/gotoro/host/build"
)

// TestVecio runs testdata/vecio (preadv, pwritev, preadv2, pwritev2) in
// the guest and holds its checks against the ones Linux passes on tmpfs
// (/dev/shm, as the guest's /tmp is tmpfs-like), a file of the image
// tree, pipes, sockets and /dev/null and /dev/zero; what RWF_NOWAIT,
// RWF_NOSIGNAL and RWF_NOAPPEND do.
func TestVecio(t *testing.T) {
	shm, err := os.MkdirTemp("/dev/shm", "vecio")
	if err != nil {
		t.Skipf("no tmpfs for the native run: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(shm) })
	checks := nativeChecks(t, "vecio", "vecio ok", shm, "testdata/vecio/main.go")
	files := []build.Mount{{HostDir: "testdata/vecio", GuestDir: "/pkg"}}
	out, res := boot(t, "vecio", bootOpts{cpus: 1, files: files, args: []string{"/tmp", "/pkg/main.go"}})
	wantExit(t, out, res, 0)
	wantNativeChecks(t, out, "vecio ok", checks)
}
