package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gotoro/gotoro/host/build"
	"github.com/gotoro/gotoro/host/qemu"
)

// parseTest parses the arguments of gotoro test. ok is false when the
// caller must exit with code (usage printed, or -h).
func (c *cli) parseTest(args []string) (o *testOptions, code int, ok bool) {
	fs, o := testFlagSet()
	usage := fs.Usage
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	err := parseTestArgs(fs, o, args)
	fs.Usage = usage
	fs.SetOutput(c.stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.Usage()
			return nil, 0, false
		}
		return nil, c.usageError(fs, "%v", err), false
	}
	if len(o.pkgs) == 0 {
		return nil, c.usageError(fs, "no packages to test"), false
	}
	return o, 0, true
}

func (c *cli) test(args []string) int {
	o, code, ok := c.parseTest(args)
	if !ok {
		return code
	}
	want := qemu.Accel(o.gf.accel)
	setup, err := c.setupHost(want)
	if err != nil {
		return c.fail(err)
	}
	defer setup.Abandon()
	var log io.Writer
	if o.x {
		log = c.stderr
	}
	pkgs, err := build.List(c.ctx, "", o.gof.args(), o.pkgs, log)
	if err != nil {
		return c.fail(err)
	}
	t := &tester{cli: c, o: o, setup: setup, want: want}
	failed := false
	for _, p := range pkgs {
		if err := p.Err(); err != nil {
			fmt.Fprintln(c.stderr, err)
			fmt.Fprintf(c.stdout, "FAIL\t%s [setup failed]\n", p.ImportPath)
			failed = true
			continue
		}
		if !p.HasTests() {
			fmt.Fprintf(c.stdout, "?   \t%s\t[no test files]\n", p.ImportPath)
			continue
		}
		passed, err := t.testPackage(p)
		if err != nil {
			return c.fail(err)
		}
		failed = failed || !passed
	}
	if failed {
		fmt.Fprintln(c.stdout, "FAIL")
		return exitTestsFailed
	}
	return 0
}

// tester runs the test binaries of packages one after the other.
type tester struct {
	*cli
	o     *testOptions
	setup *pendingSetup
	want  qemu.Accel
	host  *hostSetup // once the setup is done
}

// testPackage builds and boots the test binary of p and prints the
// verdict. It returns an error only for failures that stop all testing
// (QEMU missing or failing to start, an interrupt).
func (t *tester) testPackage(p *build.Package) (passed bool, err error) {
	tmp, err := os.MkdirTemp("", "gotoro-test-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(tmp)
	name := path.Base(p.ImportPath) + ".test"
	image := filepath.Join(tmp, name+".img")
	built, err := build.Build(t.ctx, build.Options{
		Package:  p.ImportPath,
		Output:   image,
		Files:    t.o.gf.files,
		Test:     true,
		TestTree: true,
		GoFlags:  t.o.gof.args(),
		Verbose:  t.o.x,
		Log:      t.stderr,
	})
	if err != nil {
		if t.ctx.Err() != nil {
			return false, err
		}
		fmt.Fprintln(t.stderr, err)
		fmt.Fprintf(t.stdout, "FAIL\t%s [build failed]\n", p.ImportPath)
		return false, nil
	}
	if t.host == nil {
		if t.host, err = t.setup.Wait(); err != nil {
			return false, err
		}
		t.host.note(t.cli, t.want, t.o.x)
		t.o.forAccel(t.host.choice.Accel)
	}

	// The test may write in its tree, as go test lets it: the overlay
	// keeps the changes in guest memory. Its working directory is the
	// package directory as the binary names its files (a module-cache
	// package's view, host/build/modview.go), with PWD saying so as go
	// test's does, so that os.Getwd and runtime.Caller agree.
	cwd, env := p.Dir, t.o.gf.env
	if build.InModView(built.Dir) {
		cwd, env = built.Dir, withPWD(env, built.Dir)
	}
	g := qemu.Guest{Args: append([]string{name}, t.o.binaryArgs()...), Env: env, Cwd: cwd, Writable: true, KernelTrace: t.o.gf.ktrace, Params: t.o.gf.kopts}
	cfg, err := t.host.config(image, g, &t.o.gf, nil)
	if err != nil {
		return false, err
	}
	cfg.Timeout = t.o.bootTimeout()
	cfg.Verbose = t.o.x
	cfg.Stderr = t.stderr
	var out bytes.Buffer
	cfg.Stdout = &out
	if t.o.verbose {
		cfg.Stdout = t.stdout
	}
	res, err := qemu.Run(t.ctx, cfg)
	if err != nil && (t.ctx.Err() != nil || !errors.Is(err, qemu.ErrQEMUFailed)) {
		return false, err
	}
	secs := res.Elapsed.Seconds()
	if err == nil && res.Outcome == qemu.Exited && res.Status == 0 {
		fmt.Fprintf(t.stdout, "ok  \t%s\t%.3fs\n", p.ImportPath, secs)
		return true, nil
	}
	t.stdout.Write(out.Bytes())
	switch {
	case err != nil:
		fmt.Fprintf(t.stderr, "gotoro: %v\n", err)
	case res.Outcome == qemu.Faulted:
		fmt.Fprintln(t.stderr, "gotoro: guest fault (see the report above)")
	}
	fmt.Fprintf(t.stdout, "FAIL\t%s\t%.3fs\n", p.ImportPath, secs)
	return false, nil
}

// withPWD returns env with PWD=dir added, unless env sets PWD.
func withPWD(env []string, dir string) []string {
	for _, kv := range env {
		if strings.HasPrefix(kv, "PWD=") {
			return env
		}
	}
	return append(slices.Clip(env), "PWD="+dir)
}
