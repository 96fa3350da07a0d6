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

// nativeChecks runs testdata/prog natively with args (Linux is the
// oracle) and returns the checks it passed ("ok NAME" lines); it fails t
// unless the program ends with done.
func nativeChecks(t *testing.T, prog, done string, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"run", "./testdata/" + prog}, args...)...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), done) {
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

// wantNativeChecks fails unless the guest's output out has every native
// check and ends with done.
func wantNativeChecks(t *testing.T, out, done string, checks []string) {
	t.Helper()
	for _, c := range checks {
		if !strings.Contains(out, c+"\n") {
			t.Errorf("the guest skipped %q", c)
		}
	}
	if !strings.Contains(out, done) {
		t.Fatalf("no %q:\n%s", done, out)
	}
}

// mmapNative runs testdata/mmap natively and returns its checks.
func mmapNative(t *testing.T) []string {
	t.Helper()
	return nativeChecks(t, "mmap", "mmap ok", t.TempDir(), "testdata/mmap/main.go")
}

// wantChecks fails unless out has "mmap ok" and every native check.
func wantChecks(t *testing.T, out string, checks []string) {
	t.Helper()
	wantNativeChecks(t, out, "mmap ok", checks)
}

// TestMmapFiles maps files of /tmp and of the packed tree in the guest,
// with the checks Linux passes.
func TestMmapFiles(t *testing.T) {
	checks := mmapNative(t)
	files := []build.Mount{{HostDir: "testdata/mmap", GuestDir: "/pkg"}}
	forCores(t, []int{1, 2}, func(t *testing.T, cpus int) {
		out, res := boot(t, "mmap", bootOpts{cpus: cpus, files: files, args: []string{"/tmp", "/pkg/main.go"}})
		wantExit(t, out, res, 0)
		wantChecks(t, out, checks)
	})
}

// TestMmapVirtioFS maps files of a virtio-fs share: stores through shared
// mappings reach the host file after munmap, msync and exit.
func TestMmapVirtioFS(t *testing.T) {
	needQEMU(t)
	needVirtiofsd(t)
	checks := mmapNative(t)
	dir := t.TempDir()
	src, err := os.ReadFile("testdata/mmap/main.go")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ro.txt"), src, 0o444); err != nil {
		t.Fatal(err)
	}
	img := buildImage(t, "mmap", nil)
	devs, sh := fsDevice(t, dir, false)
	out, res, err := qemu.Boot(context.Background(), qemu.Config{
		Image: img, Memory: 512 * qemu.MiB, CPUs: 2, Accel: qemu.AccelTCG, Timeout: 5 * time.Minute, Devices: devs,
	}, qemu.Guest{Args: []string{"mmap", "/share", "/share/ro.txt"}, Shares: []qemu.Share{sh}})
	if err != nil {
		t.Fatalf("booting: %v\nconsole:\n%s", err, out)
	}
	wantExit(t, string(out), res, 0)
	wantChecks(t, string(out), checks)
	// What the program left on the share, as the host sees it.
	for name, want := range map[string]int{"private": 4096 + 10, "trunc": 3 * 4096, "errs": 4096} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || st.Size() != int64(want) {
			t.Errorf("host file %s: %v, %v; want %d bytes", name, st, err, want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "trunc")); err != nil || b[2*4096+2] != 7 {
		t.Errorf("host file trunc: the store through the mapping is missing (%v)", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "atexit")); err != nil || b[10] != 0x5A {
		t.Errorf("host file atexit: the store left in a mapping at exit is missing (%v)", err)
	}
}
