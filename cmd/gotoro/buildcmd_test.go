package main

import (
	"debug/elf"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// These tests need the go command but not QEMU. They run in this
// package's directory, inside the gotoro module.

func TestBuildCommand(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip(err)
	}
	out := filepath.Join(t.TempDir(), "hello.img")
	code, _, stderr := gotoroT(t, "build", "-o", out, "../../examples/hello")
	if code != 0 {
		t.Fatalf("gotoro build: %d\n%s", code, stderr)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()

	for _, c := range []struct {
		pkg, want string
	}{
		{"../../host/qemu", "../../host/qemu is not a main package (package qemu)"},
		{"../../no/such/pkg", "no/such/pkg"},
	} {
		code, _, stderr := gotoroT(t, "build", "-o", out, c.pkg)
		if code != exitError || !strings.Contains(stderr, c.want) {
			t.Errorf("gotoro build %s: %d, %q; want %d and %q", c.pkg, code, stderr, exitError, c.want)
		}
	}
}
