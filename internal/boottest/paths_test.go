package boottest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/build"
	"github.com/gotoro/gotoro/host/qemu"
)

// pathsNative runs testdata/paths natively (Linux is the oracle) with
// share, if not empty, as its other file system, and returns its checks.
func pathsNative(t *testing.T, share string) []string {
	t.Helper()
	args := []string{"run", "./testdata/paths", t.TempDir(), "testdata/paths/main.go"}
	if share != "" {
		args = append(args, share)
	}
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "paths ok") {
		t.Fatalf("natively: %v\n%s", err, out)
	}
	var checks []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "ok ") {
			checks = append(checks, l)
		}
	}
	return checks
}

// wantPaths fails unless the guest printed "paths ok" and every native
// check.
func wantPaths(t *testing.T, out string, checks []string) {
	t.Helper()
	for _, c := range checks {
		if !strings.Contains(out, c+"\n") {
			t.Errorf("the guest skipped %q", c)
		}
	}
	if !strings.Contains(out, "paths ok") {
		t.Fatalf("no \"paths ok\":\n%s", out)
	}
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
func TestPathsVirtioFS(t *testing.T) {
	needQEMU(t)
	needVirtiofsd(t)
	dir := t.TempDir()
	src, err := os.ReadFile("testdata/paths/main.go")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ro.txt"), src, 0o444); err != nil {
		t.Fatal(err)
	}
	checks := pathsNative(t, dir)
	files := []build.Mount{{HostDir: "testdata/paths", GuestDir: "/pkg"}}
	img := buildImage(t, "paths", files)
	devs, sh := fsDevice(t, dir, false)
	out, res, err := qemu.Boot(context.Background(), qemu.Config{
		Image: img, Memory: 512 * qemu.MiB, CPUs: 1, Accel: qemu.AccelTCG, Timeout: 3 * time.Minute, Devices: devs,
	}, qemu.Guest{Args: []string{"paths", "/tmp", "/pkg/main.go", "/share"}, Shares: []qemu.Share{sh}})
	if err != nil {
		t.Fatalf("booting: %v\nconsole:\n%s", err, out)
	}
	wantExit(t, string(out), res, 0)
	wantPaths(t, string(out), checks)
}
