package build

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotoro/gotoro/internal/bootabi"
)

func testRoot(t *testing.T) string {
	t.Helper()
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command:", err)
	}
	return root
}

// checkImage checks that path is an ELF image with the PVH note and
// returns its program headers.
func checkImage(t *testing.T, path string) []*elf.Prog {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o755 {
		t.Errorf("%s: mode %v, want 0755", path, st.Mode())
	}
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != elf.EM_X86_64 || f.Type != elf.ET_EXEC {
		t.Errorf("%s: %v %v", path, f.Machine, f.Type)
	}
	var pvh bool
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		b := make([]byte, p.Filesz)
		p.ReadAt(b, 0)
		if len(b) >= 20 && binary.LittleEndian.Uint32(b[8:]) == 18 && string(b[12:16]) == "Xen\x00" {
			pvh = true
			if entry := binary.LittleEndian.Uint32(b[16:]); entry < bootabi.ImageBase || entry >= bootabi.TextAddr {
				t.Errorf("PVH entry %#x is not in the header page", entry)
			}
		}
	}
	if !pvh {
		t.Errorf("%s: no PT_NOTE with the Xen PVH entry (type 18)", path)
	}
	if s := f.Section(".text"); s == nil || s.Addr < bootabi.TextAddr {
		t.Errorf("%s: text not linked at %#x", path, bootabi.TextAddr)
	}
	if sym, err := f.Symbols(); err == nil {
		found := false
		for _, s := range sym {
			// entry64 is an assembly function: its ELF symbol is the ABI0 one.
			if s.Name == KernelPackage+".entry64.abi0" && s.Value == f.Entry {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: ELF entry %#x is not %s.entry64", path, f.Entry, KernelPackage)
		}
	}
	return f.Progs
}

func TestBuildHello(t *testing.T) {
	root := testRoot(t)
	out := filepath.Join(t.TempDir(), "hello.img")
	pkg, err := Build(context.Background(), Options{Package: "./examples/hello", Dir: root, Output: out})
	if err != nil {
		t.Fatal(err)
	}
	if pkg.ImportPath != ModulePath+"/examples/hello" || pkg.Name != "main" {
		t.Errorf("package %+v", pkg)
	}
	checkImage(t, out)
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if _, err := os.Stat(filepath.Join(root, "examples/hello", kernelFileName)); err == nil {
		t.Errorf("the kernel file was written into the package directory")
	}
}

func TestBuildWithFiles(t *testing.T) {
	root := testRoot(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	os.Mkdir(data, 0o755)
	os.WriteFile(filepath.Join(data, "a.txt"), []byte("hello"), 0o644)
	out := filepath.Join(dir, "hello.img")
	_, err := Build(context.Background(), Options{
		Package: "./examples/hello", Dir: root, Output: out,
		Files: []Mount{{HostDir: data, GuestDir: "/data"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var loads int
	for _, p := range checkImage(t, out) {
		if p.Type == elf.PT_LOAD {
			loads++
		}
	}
	img, _ := os.ReadFile(out)
	if loads < 2 || !bytes.Contains(img, []byte("GOTOROFS")) {
		t.Errorf("no file tree in the image (%d PT_LOAD)", loads)
	}
}

func TestBuildTestBinary(t *testing.T) {
	root := testRoot(t)
	out := filepath.Join(t.TempDir(), "bootabi.test.img")
	pkg, err := Build(context.Background(), Options{Package: "./internal/bootabi", Dir: root, Output: out, Test: true})
	if err != nil {
		t.Fatal(err)
	}
	if pkg.Name != "bootabi" || !pkg.HasTests() {
		t.Errorf("package %+v", pkg)
	}
	checkImage(t, out)
}

// TestBuildOtherModule builds a main package of a module that does not
// require gotoro: the generated go.work must bring the kernel in.
func TestBuildOtherModule(t *testing.T) {
	testRoot(t)
	mod := t.TempDir()
	os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module example.com/app\n\ngo 1.22\n"), 0o644)
	os.MkdirAll(filepath.Join(mod, "cmd/app"), 0o755)
	os.WriteFile(filepath.Join(mod, "cmd/app/main.go"), []byte("package main\n\nfunc main() { println(\"app\") }\n"), 0o644)
	out := filepath.Join(t.TempDir(), "app.img")
	var log bytes.Buffer
	_, err := Build(context.Background(), Options{Package: "./cmd/app", Dir: mod, Output: out, Verbose: true, Log: &log})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	checkImage(t, out)
	if !strings.Contains(log.String(), "GOWORK=/") || !strings.Contains(log.String(), "-overlay") {
		t.Errorf("verbose log does not show the workspace build:\n%s", log.String())
	}
	gomod, _ := os.ReadFile(filepath.Join(mod, "go.mod"))
	if strings.Contains(string(gomod), "gotoro") {
		t.Errorf("the user's go.mod was changed:\n%s", gomod)
	}
	if _, err := os.Stat(filepath.Join(mod, "go.work")); err == nil {
		t.Errorf("a go.work was left in the user's module")
	}
}

func TestBuildErrors(t *testing.T) {
	root := testRoot(t)
	out := filepath.Join(t.TempDir(), "x.img")
	broken := t.TempDir()
	os.WriteFile(filepath.Join(broken, "go.mod"), []byte("module example.com/broken\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(broken, "main.go"), []byte("package main\n\nfunc main() { undefined() }\n"), 0o644)
	for _, c := range []struct {
		dir, pkg, want string
	}{
		{root, "./host/qemu", "./host/qemu is not a main package (package qemu)"},
		{root, "./no/such/dir", "./no/such/dir"},
		{root, "./examples/hello/main.go", "not lists of .go files"},
		{root, "./internal/...", "matches"},
		{broken, ".", "undefined: undefined"},
	} {
		_, err := Build(context.Background(), Options{Package: c.pkg, Dir: c.dir, Output: out})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Build(%s): got %v, want an error containing %q", c.pkg, err, c.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a failed build wrote %s", out)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "img")
	os.WriteFile(p, []byte("old"), 0o644)
	if err := writeFileAtomic(p, []byte("new"), 0o755); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Errorf("content %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left over: %v", entries)
	}
	if err := writeFileAtomic(filepath.Join(dir, "missing", "img"), []byte("x"), 0o755); err == nil {
		t.Errorf("write into a missing directory: want an error")
	}
}
