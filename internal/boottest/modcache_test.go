package boottest

import (
	"archive/zip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// depModule is a third-party module served from a file proxy, so that go
// puts it in the module cache. Its test checks the file tree go test
// gives a test: the package directory as working directory, the module's
// other files at their paths, and the test's own source file
// (runtime.Caller) readable.
var depModule = map[string]string{
	"go.mod":            "module example.com/gotorodep\n\ngo 1.22\n",
	"testdata/data.txt": "module data\n",
	"other/other.go":    "package other\n\nconst Name = \"other\"\n",
	"pkg/inner/inner.go": `package inner

import "example.com/gotorodep/other"

func Name() string { return other.Name }
`,
	"pkg/inner/inner_test.go": `package inner

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

func TestTree(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil || !strings.HasSuffix(wd, "/example.com/gotorodep@v1.0.0/pkg/inner") {
		t.Errorf("working directory %q, %v", wd, err)
	}
	if b, err := os.ReadFile("../../testdata/data.txt"); err != nil || string(b) != "module data\n" {
		t.Errorf("../../testdata/data.txt: %q, %v", b, err)
	}
	if _, err := os.Stat("../../other/other.go"); err != nil {
		t.Errorf("another package's file: %v", err)
	}
	_, file, _, _ := runtime.Caller(0)
	if b, err := os.ReadFile(file); err != nil || !strings.Contains(string(b), "func TestTree") {
		t.Errorf("own source %s: %v", file, err)
	}
	// The working directory is where the binary says its source is, as
	// go test has it (logrus compares the two).
	if dir := file[:strings.LastIndexByte(file, '/')]; dir != wd {
		t.Errorf("working directory %q, but the source is in %q", wd, dir)
	}
	if Name() != "other" {
		t.Errorf("Name() = %q", Name())
	}
	t.Logf("tree ok in %s", wd)
}
`,
}

// userModule is what `go mod init` and `go get` make, with the go line
// of the Go that runs the test (newer than gotoro's own go line) and a
// package whose test reads ../testdata.
func userModule(goVersion string) map[string]string {
	return map[string]string{
		"go.mod":           "module example.com/user\n\ngo " + goVersion + "\n\nrequire example.com/gotorodep v1.0.0\n",
		"testdata/app.txt": "app data\n",
		"app/app.go":       "package app\n\nimport \"example.com/gotorodep/pkg/inner\"\n\nfunc Name() string { return inner.Name() }\n",
		"app/app_test.go": `package app

import (
	"os"
	"testing"
)

func TestApp(t *testing.T) {
	if b, err := os.ReadFile("../testdata/app.txt"); err != nil || string(b) != "app data\n" {
		t.Errorf("../testdata/app.txt: %q, %v", b, err)
	}
	if Name() != "other" {
		t.Errorf("Name() = %q", Name())
	}
}
`,
	}
}

// TestGotoroTestModuleCache runs gotoro test, like go test, on a package
// of a module in the module cache (where -overlay cannot add the kernel
// file) and on one of the user's module, from a module whose go line is
// newer than gotoro's.
func TestGotoroTestModuleCache(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	dir := t.TempDir()
	proxy := filepath.Join(dir, "proxy")
	writeProxyModule(t, proxy, "example.com/gotorodep", "v1.0.0", depModule)
	goVersion := strings.TrimPrefix(runtime.Version(), "go")
	if i := strings.IndexAny(goVersion, " -"); i >= 0 {
		goVersion = goVersion[:i]
	}
	user := filepath.Join(dir, "user")
	writeFiles(t, user, userModule(goVersion))

	realCache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	modCache := filepath.Join(dir, "modcache")
	env := append(os.Environ(),
		"GOMODCACHE="+modCache,
		// The kernel's own dependencies come from the real module cache.
		"GOPROXY=file://"+proxy+",file://"+filepath.Join(strings.TrimSpace(string(realCache)), "cache", "download"),
		"GOSUMDB=off", "GOFLAGS=-mod=mod", "GOWORK=off",
		"GOTORO_MODVIEW="+filepath.Join(dir, "views"),
	)
	t.Cleanup(func() {
		c := exec.Command("go", "clean", "-modcache")
		c.Env = env
		c.Run()
	})
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = user, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("go", "mod", "tidy")
	for _, pkg := range []string{"example.com/gotorodep/pkg/inner", "./app"} {
		// Linux is the oracle: the same test passes natively.
		run("go", "test", "-count=1", pkg)
		out := run(cli, "test", "-accel", "tcg", "-v", pkg)
		if !strings.HasPrefix(lastLine(out), "ok") || strings.Contains(out, "FAIL") {
			t.Errorf("gotoro test %s:\n%s", pkg, out)
		}
		// The module-cache package runs in its directory as the binary
		// names it: the view of the module (a link to the module cache's
		// copy), as go test runs it where its files are.
		if pkg != "./app" && !strings.Contains(out, "tree ok in "+filepath.Join(dir, "views", "example.com/gotorodep@v1.0.0/pkg/inner")) {
			t.Errorf("gotoro test %s: the test did not run in the module's directory (its view):\n%s", pkg, out)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(user, "go.mod")); strings.Contains(string(b), "github.com/gotoro/gotoro") {
		t.Errorf("gotoro test changed the user's go.mod:\n%s", b)
	}
}

// writeFiles writes files (path relative to dir → content) below dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// writeProxyModule lays out module path@version in a file proxy (GOPROXY
// file:// protocol: list, .info, .mod and .zip).
func writeProxyModule(t *testing.T, proxy, path, version string, files map[string]string) {
	t.Helper()
	d := filepath.Join(proxy, path, "@v")
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(d, "list"), []byte(version+"\n"), 0o644)
	os.WriteFile(filepath.Join(d, version+".info"), []byte(`{"Version":"`+version+`","Time":"2026-12-01T00:00:00Z"}`), 0o644)
	os.WriteFile(filepath.Join(d, version+".mod"), []byte(files["go.mod"]), 0o644)
	f, err := os.Create(filepath.Join(d, version+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, content := range files {
		w, err := zw.Create(path + "@" + version + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(content))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}
