package boottest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotoro/gotoro/host/build"
	"github.com/gotoro/gotoro/internal/bootabi"
)

// writableTree makes the tree testdata/overlay works on.
func writableTree(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	files := map[string]string{"a.txt": "alpha", "b.txt": "beta", "sub/c.txt": "gamma", "sub/deep/d.txt": "delta", "full/x": "x", "full/y": "y"}
	for name, data := range files {
		p := filepath.Join(d, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("a.txt", filepath.Join(d, "link")); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestWritableTree checks the overlay that makes the packed tree writable
// (rw=1, as gotoro test boots): the program runs natively on a copy of the
// tree first, the oracle, then in the guest, which must pass every check
// Linux passes and leave the host's tree as it was. Without rw=1 the
// packed tree refuses writes with EROFS.
func TestWritableTree(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "overlay")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/overlay").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	nt := writableTree(t)
	cmd := exec.Command(bin, nt)
	cmd.Dir = filepath.Join(nt, "sub")
	native, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(native), "overlay ok") {
		t.Fatalf("natively: %v\n%s", err, native)
	}
	tree := writableTree(t)
	files := []build.Mount{{HostDir: tree, GuestDir: "/work/tree"}}
	rw := []bootabi.Param{{Key: bootabi.KeyRW, Value: "1"}}
	forCores(t, []int{1, 2}, func(t *testing.T, cpus int) {
		out, res := boot(t, "overlay", bootOpts{cpus: cpus, files: files, cwd: "/work/tree/sub", args: []string{"/work/tree"}, params: rw})
		wantExit(t, out, res, 0)
		if !strings.Contains(out, "overlay ok") {
			t.Errorf("unexpected output:\n%s", out)
		}
		for _, line := range strings.Split(string(native), "\n") {
			if strings.HasPrefix(line, "ok ") && !strings.Contains(out, line+"\n") {
				t.Errorf("the guest skipped %q", line)
			}
		}
	})
	t.Run("read-only", func(t *testing.T) {
		out, res := boot(t, "overlay", bootOpts{files: files, cwd: "/work/tree/sub", args: []string{"ro", "/work/tree"}})
		wantExit(t, out, res, 0)
		if !strings.Contains(out, "overlay ro ok") {
			t.Errorf("unexpected output:\n%s", out)
		}
	})
	// The host's tree is as it was.
	if b, err := os.ReadFile(filepath.Join(tree, "a.txt")); err != nil || string(b) != "alpha" {
		t.Errorf("the host's a.txt: %q %v", b, err)
	}
	ents, _ := os.ReadDir(tree)
	if len(ents) != 5 {
		t.Errorf("the host's tree changed: %d entries", len(ents))
	}
}
