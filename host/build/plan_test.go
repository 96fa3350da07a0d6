package build

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlanWorkspace(t *testing.T) {
	root := testRoot(t)
	ctx := context.Background()
	t.Setenv("GOWORK", "")

	for _, pkg := range []*Package{
		{ImportPath: "strings", Standard: true},
		{ImportPath: ModulePath + "/examples/hello", Module: &Module{Path: ModulePath, Dir: root}},
	} {
		ws, err := planWorkspace(ctx, pkg, t.TempDir(), root, "/tmp/unused/go.work", nil)
		if err != nil || ws.dir != root || ws.gowork != "off" || ws.work != "" {
			t.Errorf("%s: %+v, %v; want GOWORK=off in %s", pkg.ImportPath, ws, err, root)
		}
	}

	// The go line is at least the gotoro module's own.
	rootGo, err := moduleGoVersion(filepath.Join(root, "go.mod"))
	if err != nil || rootGo == "" {
		t.Fatalf("gotoro's go line: %q, %v", rootGo, err)
	}
	atLeastRoot := func(v string) string { return maxGoVersion([]string{v, rootGo}) }

	// A module of its own.
	mod := t.TempDir()
	os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module example.com/app\n\ngo 1.22\n"), 0o644)
	pkg := &Package{ImportPath: "example.com/app", Module: &Module{Path: "example.com/app", Dir: mod, GoVersion: "1.22"}}
	ws, err := planWorkspace(ctx, pkg, mod, root, "/tmp/x/go.work", nil)
	if err != nil {
		t.Fatal(err)
	}
	if ws.dir != mod || ws.gowork != "/tmp/x/go.work" || ws.work != workFileContent(atLeastRoot("1.26"), []string{mod, root}) {
		t.Errorf("module: %+v", ws)
	}
	if env := strings.Join(ws.env(), " "); env != "GOOS=linux GOARCH=amd64 CGO_ENABLED=0 GOWORK=/tmp/x/go.work" {
		t.Errorf("env: %s", env)
	}

	// The user's own workspace: its modules are kept.
	wsDir := t.TempDir()
	for _, m := range []string{"a", "b"} {
		os.MkdirAll(filepath.Join(wsDir, m), 0o755)
		os.WriteFile(filepath.Join(wsDir, m, "go.mod"), []byte("module example.com/"+m+"\n\ngo 1.22\n"), 0o644)
	}
	os.WriteFile(filepath.Join(wsDir, "go.work"), []byte("go 1.26.1\n\nuse (\n\t./a\n\t./b\n)\n"), 0o644)
	pkg = &Package{ImportPath: "example.com/b", Module: &Module{Path: "example.com/b", Dir: filepath.Join(wsDir, "b"), GoVersion: "1.22"}}
	ws, err = planWorkspace(ctx, pkg, filepath.Join(wsDir, "b"), root, "/tmp/x/go.work", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := workFileContent(atLeastRoot("1.26.1"), []string{filepath.Join(wsDir, "a"), filepath.Join(wsDir, "b"), root}); ws.work != want {
		t.Errorf("workspace:\n%s\nwant\n%s", ws.work, want)
	}

	// A module made by go mod init with a newer Go than gotoro's go line:
	// the go.work may not name an older Go than the module.
	newer := t.TempDir()
	os.WriteFile(filepath.Join(newer, "go.mod"), []byte("module example.com/new\n\ngo 1.99.1\n"), 0o644)
	pkg = &Package{ImportPath: "example.com/new", Module: &Module{Path: "example.com/new", Dir: newer, GoVersion: "1.99.1", Main: true}}
	if ws, err = planWorkspace(ctx, pkg, newer, root, "/tmp/x/go.work", nil); err != nil || !strings.Contains(ws.work, "\ngo 1.99.1\n") {
		t.Errorf("newer module: %v\n%s", err, ws.work)
	}

	// A package of a module in the module cache, tested from the user's
	// module: built from a view of the module selected by a replace line.
	cache := t.TempDir()
	views := t.TempDir()
	t.Setenv("GOMODCACHE", cache)
	t.Setenv(viewRootEnv, views)
	depDir := filepath.Join(cache, "example.com", "dep@v1.2.3")
	os.MkdirAll(filepath.Join(depDir, "pkg"), 0o755)
	pkg = &Package{ImportPath: "example.com/dep/pkg", Dir: filepath.Join(depDir, "pkg"),
		Module: &Module{Path: "example.com/dep", Version: "v1.2.3", Dir: depDir, GoVersion: "1.21"}}
	for i := 0; i < 2; i++ { // the second time the view exists
		ws, err = planWorkspace(ctx, pkg, mod, root, "/tmp/x/go.work", nil)
		if err != nil {
			t.Fatal(err)
		}
		view := filepath.Join(views, "example.com", "dep@v1.2.3")
		if ws.view != view {
			t.Errorf("view %q, want %q", ws.view, view)
		}
		if target, err := os.Readlink(view); err != nil || target != depDir {
			t.Errorf("view link: %q, %v; want %s", target, err, depDir)
		}
		if want := "\nreplace example.com/dep v1.2.3 => " + view + "\n"; !strings.Contains(ws.work, want) {
			t.Errorf("go.work lacks %q:\n%s", want, ws.work)
		}
	}
	// Views inside the module cache would be refused by the go command.
	t.Setenv(viewRootEnv, filepath.Join(cache, "views"))
	if _, err := planWorkspace(ctx, pkg, mod, root, "/tmp/x/go.work", nil); err == nil || !strings.Contains(err.Error(), "inside GOMODCACHE") {
		t.Errorf("views in the module cache: %v", err)
	}

	// No module at all.
	if _, err := planWorkspace(ctx, &Package{ImportPath: "x"}, t.TempDir(), root, "/tmp/x/go.work", nil); err == nil || !strings.Contains(err.Error(), "not in a Go module") {
		t.Errorf("no module: %v", err)
	}
}
