package bootcase

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

// runProf runs `gotoro prof -accel ACCEL ARGS` and returns its standard
// output (the report), standard error and exit status.
func (e *Env) runProf(t TB, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), e.limit(3*time.Minute))
	defer cancel()
	cmd := exec.CommandContext(ctx, e.CLI(t), append([]string{"prof", "-accel", string(e.Accel)}, args...)...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		status = ee.ExitCode()
	case err != nil:
		t.Fatalf("gotoro prof: %v", err)
	}
	return out.String(), errb.String(), status
}

// TopOfSection returns the hottest function of a report section whose
// title line starts with title (e.g. "vCPU 0:").
func TopOfSection(report, title string) string {
	sc := bufio.NewScanner(strings.NewReader(report))
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), title) {
			continue
		}
		sc.Scan() // column header
		if !sc.Scan() {
			return ""
		}
		f := strings.Fields(sc.Text())
		if len(f) < 3 {
			return ""
		}
		return f[2]
	}
	return ""
}

// ReadProfile parses a pprof file and checks it is valid.
func ReadProfile(t TB, path string) *profile.Profile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	if err := p.CheckValid(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return p
}

// pprofTop returns the first function of `go tool pprof -top FILE`.
func pprofTop(t TB, goTool, path string) string {
	t.Helper()
	out, err := exec.Command(goTool, "tool", "pprof", "-top", path).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool pprof -top: %v\n%s", err, out)
	}
	lines := strings.Split(string(out), "\n")
	for i, l := range lines {
		if strings.Contains(l, "flat%") && i+1 < len(lines) {
			f := strings.Fields(lines[i+1])
			return f[len(f)-1]
		}
	}
	t.Fatalf("no table in go tool pprof -top output:\n%s", out)
	return ""
}

// profHotFunction profiles a guest from its launch (gotoro prof IMAGE) that
// spends its time in one known function: it must top the report (and go
// tool pprof -top, where there is a go command), and the stacks must reach
// its caller.
func profHotFunction(t TB, e *Env) {
	pf := filepath.Join(t.TempDir(), "hot.pprof")
	report, stderr, status := e.runProf(t, "-duration", "3s", "-hz", "50", "-o", pf, e.Image(t, progHotloop), "60")
	if status != 0 {
		t.Fatalf("status %d\nstdout:\n%s\nstderr:\n%s", status, report, stderr)
	}
	checkHotProfile(t, e, report, pf, 20)
}

// checkHotProfile checks the report and profile of the hotloop guest.
func checkHotProfile(t TB, e *Env, report, pf string, minSamples int) {
	t.Helper()
	if got := TopOfSection(report, "vCPU 0:"); got != "main.hotSpin" {
		t.Errorf("report tops with %q, want main.hotSpin:\n%s", got, report)
	}
	p := ReadProfile(t, pf)
	if len(p.Sample) < minSamples {
		t.Errorf("%d samples, want at least %d:\n%s", len(p.Sample), minSamples, report)
	}
	if e.GoTool != "" {
		if got := pprofTop(t, e.GoTool, pf); got != "main.hotSpin" {
			t.Errorf("go tool pprof -top tops with %q, want main.hotSpin", got)
		}
	}
	callers := 0
	for _, s := range p.Sample {
		if len(s.Location) > 1 && s.Location[0].Line[0].Function.Name == "main.hotSpin" &&
			s.Location[1].Line[0].Function.Name == "main.main" {
			callers++
		}
	}
	if callers == 0 {
		t.Errorf("no sample has main.main as hotSpin's caller")
	}
}

// startMonitored starts `gotoro run -monitor SOCK IMAGE ARGS` and returns
// once the guest printed ready; stop kills it and waits.
func (e *Env) startMonitored(t TB, prog string, cpus int, ready string, args ...string) (sock string, stop func() string) {
	t.Helper()
	img := e.Image(t, prog)
	dir, err := os.MkdirTemp("", "gotoro-prof-")
	if err != nil {
		t.Fatalf("%v", err)
	}
	sock = filepath.Join(dir, "qmp.sock")
	ctx, cancel := context.WithCancel(t.Context())
	cmd := exec.CommandContext(ctx, e.CLI(t), append([]string{"run", "-accel", string(e.Accel), "-net", "none",
		"-cpus", strconv.Itoa(cpus), "-monitor", sock, img}, args...)...)
	seen := make(chan struct{})
	out := &seenWriter{want: ready, seen: seen}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		cancel()
		os.RemoveAll(dir)
		t.Fatalf("%v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stop = func() string {
		cancel()
		<-done
		os.RemoveAll(dir)
		return out.String()
	}
	select {
	case <-seen:
	case <-done:
		t.Fatalf("the guest ended before printing %q:\n%s", ready, stop())
	case <-time.After(e.limit(2 * time.Minute)):
		t.Fatalf("the guest did not print %q:\n%s", ready, stop())
	}
	return sock, stop
}

// profAttach profiles a running guest (gotoro run -monitor, then gotoro
// prof -attach) that spends its time in one known function. Attaching is
// how a slow machine is profiled: from the launch, each tick's pause of
// the nested lane's guest (~250 ms per QMP stop) would keep it in its
// boot.
func profAttach(t TB, e *Env) {
	sock, stop := e.startMonitored(t, progHotloop, 1, "hotloop: start", "600")
	defer stop()
	pf := filepath.Join(t.TempDir(), "hot.pprof")
	report, stderr, status := e.runProf(t, "-attach", sock, "-duration", "4s", "-hz", "10", "-o", pf, e.Image(t, progHotloop))
	if status != 0 {
		t.Fatalf("status %d\nstdout:\n%s\nstderr:\n%s", status, report, stderr)
	}
	checkHotProfile(t, e, report, pf, 5)
}

// profPerVCPU profiles a running guest with a different hot function on
// each of two cores: each must top its own vCPU's section.
func profPerVCPU(t TB, e *Env) {
	sock, stop := e.startMonitored(t, progHotcores, 2, "hotcores: start", "600")
	defer stop()
	pf := filepath.Join(t.TempDir(), "cores.pprof")
	report, stderr, status := e.runProf(t, "-attach", sock, "-duration", "4s", "-hz", "10", "-o", pf, e.Image(t, progHotcores))
	if status != 0 {
		t.Fatalf("status %d\nstdout:\n%s\nstderr:\n%s", status, report, stderr)
	}
	for cpu, want := range []string{"main.spinCore0", "main.spinCore1"} {
		title := "vCPU " + string(rune('0'+cpu)) + ":"
		if got := TopOfSection(report, title); got != want {
			t.Errorf("%s tops with %q, want %s:\n%s", title, got, want, report)
		}
	}
	p := ReadProfile(t, pf)
	for _, s := range p.Sample {
		if s.Location[0].Line[0].Function.Name == "main.spinCore1" && s.Label["vcpu"][0] != "1" {
			t.Errorf("spinCore1 sampled on vCPU %s", s.Label["vcpu"][0])
		}
	}
}
