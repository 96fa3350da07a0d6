package boottest

import (
	"testing"

	"github.com/gotoro/gotoro/host/build"
	"github.com/gotoro/gotoro/internal/bootabi"
)

// pathsNative runs testdata/paths natively (Linux is the oracle) with
// share, if not empty, as its other file system, and returns its checks.
func pathsNative(t *testing.T, share string) []string {
	t.Helper()
	args := []string{t.TempDir(), "testdata/paths/main.go"}
	if share != "" {
		args = append(args, share)
	}
	return nativeChecks(t, "paths", "paths ok", args...)
}

// wantPaths fails unless the guest printed "paths ok" and every native
// check.
func wantPaths(t *testing.T, out string, checks []string) {
	t.Helper()
	wantNativeChecks(t, out, "paths ok", checks)
}

// TestPaths follows symlinks in /tmp into /proc, /dev and the packed
// tree, and reads paths at the edges of mapped memory and PATH_MAX, with
// the checks Linux passes.
func TestPaths(t *testing.T) {
	checks := pathsNative(t, "")
	files := []build.Mount{{HostDir: "testdata/paths", GuestDir: "/pkg"}}
	out, res := boot(t, "paths", bootOpts{files: files, args: []string{"/tmp", "/pkg/main.go"}})
	wantExit(t, out, res, 0)
	wantPaths(t, out, checks)
}

// TestPathsVirtioFS is TestPaths with a virtio-fs share as the other
// file system: links in /tmp into the share.
func TestPathsVirtioFS(t *testing.T) { oracleOnShare(t, "paths") }

// TestPathsWritableTree is TestPaths with the packed tree writable (the
// overlay) and the program's links made in it: the overlay's own walk
// follows them into /proc, /dev and /tmp, and a ".." after one of them
// goes to the link target's parent.
func TestPathsWritableTree(t *testing.T) {
	checks := pathsNative(t, "")
	files := []build.Mount{{HostDir: "testdata/paths", GuestDir: "/pkg"}}
	rw := []bootabi.Param{{Key: bootabi.KeyRW, Value: "1"}}
	out, res := boot(t, "paths", bootOpts{files: files, args: []string{"/pkg", "/pkg/main.go"}, params: rw})
	wantExit(t, out, res, 0)
	wantPaths(t, out, checks)
}
