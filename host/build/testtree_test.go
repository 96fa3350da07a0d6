package build

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gotoro/gotoro/internal/imagefs"
)

func TestTestTree(t *testing.T) {
	testRoot(t)
	mod := t.TempDir()
	for _, f := range []string{"go.mod", "testdata/a", "pkg/x.go", ".git/HEAD", "nested/go.mod", "nested/n.go"} {
		p := filepath.Join(mod, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x"), 0o644)
	}
	pkg := &Package{ImportPath: "example.com/m/pkg", Dir: filepath.Join(mod, "pkg"), Module: &Module{Path: "example.com/m", Dir: mod}}
	ms, err := testTree(context.Background(), pkg, "/views/example.com/m@v1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 2 || ms[0].HostDir != mod || ms[0].GuestDir != mod || ms[1].GuestDir != "/views/example.com/m@v1.0.0" || ms[1].Link != mod {
		t.Fatalf("mounts %+v: want the module at its path and the view linked to it", ms)
	}
	img, err := imagefs.PackMulti(ms[:2])
	if err != nil {
		t.Fatal(err)
	}
	fs, err := imagefs.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{
		"/testdata/a": true, "/pkg/x.go": true, "/go.mod": true, "/.git": false, "/nested": false,
	} {
		if _, ok := fs.Lookup(mod + p); ok != want {
			t.Errorf("%s packed: %v, want %v", p, ok, want)
		}
	}
	if _, errno := fs.Walk(0, "/views/example.com/m@v1.0.0/pkg/x.go", true); errno != 0 {
		t.Errorf("through the view: errno %d", errno)
	}

	// A standard-library package: its directory and the testdata
	// directories above it.
	goroot := filepath.Join(t.TempDir(), "goroot")
	for _, f := range []string{"src/testdata/e.txt", "src/compress/testdata/z", "src/compress/flate/f.go", "src/compress/other/o.go"} {
		p := filepath.Join(goroot, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, nil, 0o644)
	}
	got := withTestdata(filepath.Join(goroot, "src/compress/flate"), filepath.Join(goroot, "src"))
	var dirs []string
	for _, m := range got {
		dirs = append(dirs, m.GuestDir)
	}
	want := []string{filepath.Join(goroot, "src/compress/flate"), filepath.Join(goroot, "src/compress/testdata"), filepath.Join(goroot, "src/testdata")}
	if !slices.Equal(dirs, want) {
		t.Errorf("withTestdata: %v, want %v", dirs, want)
	}
}

func TestTreeSize(t *testing.T) {
	d := t.TempDir()
	os.WriteFile(filepath.Join(d, "a"), make([]byte, 100), 0o644)
	os.MkdirAll(filepath.Join(d, ".git"), 0o755)
	os.WriteFile(filepath.Join(d, ".git", "big"), make([]byte, 1000), 0o644)
	if n, err := treeSize(d, moduleSkip(d), 1<<20); err != nil || n != 100 {
		t.Errorf("treeSize = %d, %v; want 100 (.git skipped)", n, err)
	}
	if n, _ := treeSize(d, func(string, bool) bool { return false }, 500); n <= 500 {
		t.Errorf("treeSize past the limit = %d, want > 500", n)
	}
}
