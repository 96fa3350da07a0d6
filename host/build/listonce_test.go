package build

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A package of the gotoro module is listed once when no workspace is in
// effect where the user runs gotoro, and again, for the build, when one
// may be (GOWORK names a go.work, or the go command's configuration file
// sets GOWORK).
func TestBuildListsOnce(t *testing.T) {
	root := testRoot(t)
	v, err := moduleGoVersion(filepath.Join(root, "go.mod"))
	if err != nil || v == "" {
		t.Fatalf("the gotoro module's go version: %q, %v", v, err)
	}
	dir := t.TempDir()
	work := filepath.Join(dir, "go.work")
	os.WriteFile(work, []byte("go "+v+"\n\nuse "+root+"\n"), 0o644)
	goenv := filepath.Join(dir, "env")
	os.WriteFile(goenv, []byte("GOWORK="+work+"\n"), 0o644)
	for _, c := range []struct {
		name, gowork, goenv string
		lists               int
	}{
		{"GOWORK=off", "off", "off", 1},
		{"GOWORK names a go.work", work, "off", 2},
		{"the go env file sets GOWORK", "", goenv, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("GOWORK", c.gowork)
			t.Setenv("GOENV", c.goenv)
			var log bytes.Buffer
			out := filepath.Join(t.TempDir(), "hello.img")
			if _, err := Build(context.Background(), Options{Package: "./examples/hello", Dir: root, Output: out, Verbose: true, Log: &log}); err != nil {
				t.Fatalf("%v\n%s", err, log.String())
			}
			checkImage(t, out)
			if n := strings.Count(log.String(), " go list "); n != c.lists {
				t.Errorf("%d go list commands, want %d:\n%s", n, c.lists, log.String())
			}
		})
	}
}

// listedInPlace looks for a go.work in the user's directory and above it.
func TestListedInPlace(t *testing.T) {
	t.Setenv("GOWORK", "")
	t.Setenv("GOENV", "off")
	root := t.TempDir()
	pkg := &Package{ImportPath: ModulePath + "/x", Module: &Module{Path: ModulePath, Dir: root}}
	off := workspace{dir: root, gowork: "off"}
	top := t.TempDir()
	user := filepath.Join(top, "a", "b")
	os.MkdirAll(user, 0o755)
	// t.TempDir's parents hold no go.work on a machine that runs the tests.
	if !listedInPlace(pkg, off, root, user) {
		t.Errorf("no go.work anywhere: not listed in place")
	}
	os.WriteFile(filepath.Join(top, "a", "go.work"), []byte("go 1.26\n"), 0o644)
	if listedInPlace(pkg, off, root, user) {
		t.Errorf("a go.work above the user's directory: listed in place")
	}
	other := &Package{ImportPath: "example.com/x", Module: &Module{Path: "example.com", Dir: root}}
	if listedInPlace(other, off, root, t.TempDir()) {
		t.Errorf("another module's package: listed in place")
	}
	moved := &Package{ImportPath: ModulePath + "/x", Module: &Module{Path: ModulePath, Dir: t.TempDir()}}
	if listedInPlace(moved, off, root, t.TempDir()) {
		t.Errorf("the gotoro module at another directory: listed in place")
	}
	if listedInPlace(pkg, workspace{dir: root, gowork: "/tmp/go.work"}, root, t.TempDir()) {
		t.Errorf("a build in a generated workspace: listed in place")
	}
}
