package bench

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDynamicLoader builds one program twice, with and without cgo, and
// checks that only the cgo build names a dynamic loader.
func TestDynamicLoader(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two programs")
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no C compiler for the cgo build")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	// package net links the C resolver when cgo is on, as in gotoro.
	prog := "package main\n\nimport \"net\"\n\nfunc main() { _, _ = net.LookupHost(\"localhost\") }\n"
	if err := os.WriteFile(src, []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cgo     string
		dynamic bool
	}{{"0", false}, {"1", true}} {
		exe := filepath.Join(dir, "prog-cgo"+tc.cgo)
		cmd := exec.Command("go", "build", "-o", exe, src)
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+tc.cgo)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("CGO_ENABLED=%s go build: %v\n%s", tc.cgo, err, out)
		}
		interp, err := DynamicLoader(exe)
		if err != nil {
			t.Fatal(err)
		}
		if got := interp != ""; got != tc.dynamic {
			t.Errorf("CGO_ENABLED=%s: dynamic loader %q, want dynamic=%v", tc.cgo, interp, tc.dynamic)
		}
		if tc.dynamic && !strings.Contains(interp, "ld") {
			t.Errorf("CGO_ENABLED=%s: dynamic loader %q does not look like one", tc.cgo, interp)
		}
	}
	if _, err := DynamicLoader(src); err == nil {
		t.Error("a Go source file read as an executable without an error")
	}
}
