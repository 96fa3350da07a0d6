package boottest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/build"
	"github.com/gotoro/gotoro/host/qemu"
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
func TestStatxVirtioFS(t *testing.T) {
	needQEMU(t)
	needVirtiofsd(t)
	dir := t.TempDir()
	src, err := os.ReadFile("testdata/statx/main.go")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ro.txt"), src, 0o444); err != nil {
		t.Fatal(err)
	}
	checks := nativeChecks(t, "statx", "statx ok", t.TempDir(), "testdata/statx/main.go", dir)
	img := buildImage(t, "statx", statxFiles)
	devs, sh := fsDevice(t, dir, false)
	out, res, err := qemu.Boot(context.Background(), qemu.Config{
		Image: img, Memory: 512 * qemu.MiB, CPUs: 1, Accel: qemu.AccelTCG, Timeout: 3 * time.Minute, Devices: devs,
	}, qemu.Guest{Args: []string{"statx", "/tmp", "/pkg/main.go", "/share"}, Shares: []qemu.Share{sh}})
	if err != nil {
		t.Fatalf("booting: %v\nconsole:\n%s", err, out)
	}
	wantExit(t, string(out), res, 0)
	wantNativeChecks(t, string(out), "statx ok", checks)
}
