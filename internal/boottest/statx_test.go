package boottest

import (
	"testing"

	"github.com/gotoro/gotoro/host/build"
)

// statxFiles packs testdata/statx at /pkg: its RO_FILE is /pkg/main.go.
var statxFiles = []build.Mount{{HostDir: "testdata/statx", GuestDir: "/pkg"}}

// TestStatx checks statx(2) through golang.org/x/sys/unix in the guest
// with the checks Linux passes: every way of naming a file (paths,
// directory descriptors, AT_EMPTY_PATH on each kind of descriptor), links
// into /proc and /dev, the flags and masks, bad addresses, and the mount
// ids, devices and roots /proc/self/mountinfo lists.
func TestStatx(t *testing.T) {
	checks := nativeChecks(t, "statx", "statx ok", t.TempDir(), "testdata/statx/main.go")
	out, res := boot(t, "statx", bootOpts{files: statxFiles, args: []string{"/tmp", "/pkg/main.go"}})
	wantExit(t, out, res, 0)
	wantNativeChecks(t, out, "statx ok", checks)
}

// TestStatxVirtioFS is TestStatx with a virtio-fs share: its files by
// path, descriptor and link, and its mount's id and device.
func TestStatxVirtioFS(t *testing.T) { oracleOnShare(t, "statx") }
