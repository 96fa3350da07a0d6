package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotoro/gotoro/host/qemu"
)

// gotoroT runs the CLI in dir and returns its exit status and output.
func gotoroT(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = gotoro(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestDispatch(t *testing.T) {
	for _, c := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{nil, exitError, "", "Usage:"},
		{[]string{"frob"}, exitError, "", `unknown command "frob"`},
		{[]string{"help"}, 0, "gotoro run [flags] PKG|IMAGE", ""},
		{[]string{"help", "run"}, 0, "-timeout duration", ""},
		{[]string{"help", "test"}, 0, "-test.NAME=VALUE", ""},
		{[]string{"help", "build"}, 0, "-files DIR[:GUESTDIR]", ""},
		{[]string{"help", "frob"}, exitError, "", "unknown command"},
		{[]string{"run", "-h"}, 0, "", "usage: gotoro run"},
		{[]string{"run", "-nope", "x"}, exitError, "", "flag provided but not defined: -nope"},
		{[]string{"run"}, exitError, "", "missing PKG or IMAGE"},
		{[]string{"run", "-mem", "lots", "x"}, exitError, "", `invalid size "lots"`},
		{[]string{"run", "-accel", "hvf", "x"}, exitError, "", `invalid accelerator "hvf"`},
		{[]string{"run", "-e", "NOVALUE", "x"}, exitError, "", "want KEY=VALUE"},
		{[]string{"run", "-files", "d:rel", "x"}, exitError, "", "must be absolute"},
		{[]string{"build"}, exitError, "", "want exactly one package"},
		{[]string{"build", "a", "b"}, exitError, "", "want exactly one package"},
		{[]string{"test"}, exitError, "", "no packages to test"},
		{[]string{"test", "-nope", "x"}, exitError, "", "flag provided but not defined: -nope"},
		{[]string{"help", "bench"}, 0, "gotoro bench boot", ""},
		{[]string{"bench", "boot", "-max-snapshot-ratio", "3"}, exitError, "", "add -snapshot"},
		{[]string{"bench", "boot", "-snapshot", "-max-snapshot-cpu-ratio", "-1"}, exitError, "", "want a positive bound"},
		{[]string{"bench", "boot", "-pause", "-1s"}, exitError, "", "-pause -1s: want a positive duration"},
		{[]string{"bench", "boot", "-max-kernel-insns", "-1"}, exitError, "", "-max-kernel-insns -1: want a positive bound"},
		{[]string{"run", "-cpus", "0", "x"}, exitError, "", "want a number of cores from 1 to 16"},
		{[]string{"run", "-cpus", "17", "x"}, exitError, "", "want a number of cores from 1 to 16"},
		{[]string{"run", "-timeout", "-5s", "x"}, exitError, "", "-5s is negative"},
		{[]string{"run", "-stop-timeout", "-1s", "x"}, exitError, "", "-1s is negative"},
		{[]string{"run", "-mem", "2M", "x"}, exitError, "", "2M is too small: a guest needs at least 24M"},
		{[]string{"run", "-mem", "30001K", "x"}, exitError, "", "30001K is not a multiple of 8K (QEMU's unit of guest RAM): give 30000K or 30008K"},
		{[]string{"run", "-fs", "/tmp:/share:xx", "x"}, exitError, "", `unknown option "xx"`},
		{[]string{"run", "-catch-reset", "x"}, exitError, "", "-catch-reset needs -monitor PATH"},
		{[]string{"test", "-cpus", "0", "x"}, exitError, "", "want a number of cores"},
	} {
		code, stdout, stderr := gotoroT(t, c.args...)
		if code != c.code || !strings.Contains(stdout, c.stdout) || !strings.Contains(stderr, c.stderr) {
			t.Errorf("gotoro %q = %d\nstdout: %s\nstderr: %s\nwant %d, stdout with %q, stderr with %q", c.args, code, stdout, stderr, c.code, c.stdout, c.stderr)
		}
	}
}

// TestBadFlagIsShort: a bad flag prints its error and one line pointing at
// gotoro help, not the whole usage.
func TestBadFlagIsShort(t *testing.T) {
	for _, args := range [][]string{{"run", "-bogus", "x"}, {"run", "-cpus", "0", "x"}, {"build", "-bogus"}, {"test", "-bogus", "x"}, {"prof", "-bogus", "x"}} {
		code, _, stderr := gotoroT(t, args...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if code != exitError || len(lines) != 2 || !strings.HasPrefix(lines[1], "Run 'gotoro help ") {
			t.Errorf("gotoro %q = %d, stderr:\n%s\nwant the error and one line pointing at gotoro help", args, code, stderr)
		}
	}
}

func TestUsageNamesExitCodes(t *testing.T) {
	for _, n := range []string{"124", "125", "126", "130", "137"} {
		if !strings.Contains(exitUsage, "\t"+n+"  ") {
			t.Errorf("usage does not explain exit status %s", n)
		}
	}
	if exitTimeout != 124 || exitError != 125 || exitFault != 126 {
		t.Errorf("exit codes changed: update the usage text")
	}
}

func TestParseRun(t *testing.T) {
	c := &cli{ctx: context.Background(), stdout: new(bytes.Buffer), stderr: new(bytes.Buffer)}
	o, _, ok := c.parseRun([]string{"-mem", "1G", "-cpus", "2", "-accel", "tcg", "-timeout", "30s",
		"-e", "A=1", "-e", "B=x=y", "-files", "www:/srv", "-cwd", "/srv", "./cmd/app", "-v", "arg two"})
	if !ok {
		t.Fatalf("parse failed: %s", c.stderr)
	}
	if o.gf.mem != qemu.GiB || o.gf.cpus != 2 || o.gf.accel != "tcg" || o.timeout.String() != "30s" || o.cwd != "/srv" {
		t.Errorf("flags: %+v", o)
	}
	if strings.Join(o.gf.env, " ") != "A=1 B=x=y" || len(o.gf.files) != 1 || o.gf.files[0].GuestDir != "/srv" {
		t.Errorf("repeatable flags: env %q files %v", o.gf.env, o.gf.files)
	}
	if o.target != "./cmd/app" || strings.Join(o.args, "|") != "-v|arg two" {
		t.Errorf("target %q args %q: flags after the target belong to the guest", o.target, o.args)
	}
	if o.verbose {
		t.Errorf("-v after the target was taken as gotoro's")
	}

	o, _, _ = c.parseRun([]string{"x"})
	if o.gf.mem != qemu.DefaultMemory || o.gf.cpus != 1 || o.gf.accel != "auto" || o.timeout != 0 || o.cwd != "/" {
		t.Errorf("defaults: %+v", o)
	}
}

func TestIsImageFile(t *testing.T) {
	dir := t.TempDir()
	elfFile := filepath.Join(dir, "app.img")
	os.WriteFile(elfFile, []byte("\x7fELF\x02\x01\x01"), 0o644)
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("\x7fEL"), 0o644)
	text := filepath.Join(dir, "main.go")
	os.WriteFile(text, []byte("package main\n"), 0o644)
	for path, want := range map[string]bool{
		elfFile:                       true,
		short:                         false,
		text:                          false,
		dir:                           false,
		filepath.Join(dir, "missing"): false,
		"./examples/hello":            false,
		"github.com/x/y":              false,
	} {
		if got := isImageFile(path); got != want {
			t.Errorf("isImageFile(%s) = %v, want %v", path, got, want)
		}
	}
}

func TestNotAPackage(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("hello"), 0o644)
	gofile := filepath.Join(dir, "main.go")
	os.WriteFile(gofile, []byte("package main"), 0o644)
	for arg, want := range map[string]string{
		filepath.Join(dir, "gone.img"): "no such image file",
		text:                           "not a gotoro image",
		gofile:                         "",
		dir:                            "",
		"./cmd/app":                    "",
	} {
		err := notAPackage(arg)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("notAPackage(%s) = %v, want %q", arg, err, want)
		}
	}
}

func TestRunRejectsForeignELF(t *testing.T) {
	if _, err := qemu.Find(""); err != nil {
		t.Skip(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr := gotoroT(t, "run", "-accel", "tcg", self)
	if code != exitError || !strings.Contains(stderr, "not a gotoro image") {
		t.Errorf("run of a plain ELF: %d, %s", code, stderr)
	}
	code, _, stderr = gotoroT(t, "run", "-files", "/tmp", self)
	if code != exitError || !strings.Contains(stderr, "-files needs a package") {
		t.Errorf("-files with an image: %d, %s", code, stderr)
	}
}

func TestGuestStdin(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if r := guestStdin(null); r != nil {
		t.Error("/dev/null is passed to the guest")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if got := guestStdin(r); got != r {
		t.Error("a pipe is not passed to the guest")
	}
	if guestStdin(nil) != nil {
		t.Error("nil")
	}
}
