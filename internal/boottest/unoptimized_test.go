package boottest

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnoptimizedImage: an image built for a debugger, without
// optimizations or inlining (-gcflags='all=-N -l': larger frames, every
// call a call), links and boots. The kernel's once-only boot functions are
// //go:nosplit (docs/kernel.md), and the linker refuses a nosplit chain
// whose frames exceed its budget: the unoptimized build is where that
// budget is tightest.
func TestUnoptimizedImage(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	img := filepath.Join(t.TempDir(), "exitcode.img")
	if out, err := exec.Command(cli, "build", "-gcflags=all=-N -l", "-o", img, "./testdata/exitcode").CombinedOutput(); err != nil {
		t.Fatalf("gotoro build -gcflags='all=-N -l': %v\n%s", err, out)
	}
	out, err := exec.Command(cli, "run", "-accel", "tcg", img, "7").CombinedOutput()
	if status := exitStatus(t, err); status != 7 {
		t.Fatalf("status %d, want 7\n%s", status, out)
	}
	if !strings.Contains(string(out), "exiting with 7") {
		t.Errorf("the unoptimized image did not print its line:\n%s", out)
	}
}
