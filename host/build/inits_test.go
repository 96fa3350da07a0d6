package build

import (
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// inittasks returns the packages with an initialization task in the ELF
// executable at path (the linker's "P..inittask" symbols: the packages
// whose init work the runtime runs before main.main), sorted.
func inittasks(t *testing.T, path string) []string {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var pkgs []string
	for _, s := range syms {
		if p, ok := strings.CutSuffix(s.Name, "..inittask"); ok {
			pkgs = append(pkgs, p)
		}
	}
	slices.Sort(pkgs)
	return pkgs
}

// TestKernelAddsNoInits checks that linking the kernel adds no package
// initialization to a program: the image runs the initializations of the
// packages the same program built for Linux runs, and no other. Each
// package the kernel's imports brought (fmt, os, reflect through
// encoding/binary, unicode through strings, …) cost every program its
// init work at start-up: about 580 translated blocks under TCG for a
// program that imports nothing (docs/boot.md, "Package initializations").
func TestKernelAddsNoInits(t *testing.T) {
	root := testRoot(t)
	for _, pkg := range []string{"./host/build/testdata/noimports", "./examples/hello"} {
		t.Run(filepath.Base(pkg), func(t *testing.T) {
			dir := t.TempDir()
			img, native := filepath.Join(dir, "x.img"), filepath.Join(dir, "x.native")
			if _, err := Build(context.Background(), Options{Package: pkg, Dir: root, Output: img}); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("go", "build", "-o", native, pkg)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=", "GOWORK=off")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go build %s: %v\n%s", pkg, err, out)
			}
			got, want := inittasks(t, img), inittasks(t, native)
			var extra []string
			for _, p := range got {
				if !slices.Contains(want, p) {
					extra = append(extra, p)
				}
			}
			if len(extra) > 0 {
				t.Errorf("the image runs the initializations of %v, which the program built for Linux does not (it runs %v): something the kernel imports brought them; keep the kernel's packages free of imports with init work (internal/byteorder for encoding/binary, no fmt, os, strings)", extra, want)
			}
			if !slices.Contains(got, "runtime") {
				t.Errorf("no runtime..inittask among the image's symbols %v: the test no longer sees initialization tasks", got)
			}
		})
	}
}
