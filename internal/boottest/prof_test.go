package boottest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// runProf runs `gotoro prof -accel tcg ARGS` and returns its standard
// output (the report), standard error and exit status.
func runProf(t *testing.T, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	cli := buildCLI(t)
	cmd := exec.Command(cli, append([]string{"prof", "-accel", "tcg"}, args...)...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	status = exitStatus(t, cmd.Run())
	return out.String(), errb.String(), status
}

// topOfSection returns the hottest function of a report section whose
// title line starts with title (e.g. "vCPU 0:").
func topOfSection(report, title string) string {
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

// readProfile parses a pprof file and checks it is valid.
func readProfile(t *testing.T, path string) *profile.Profile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
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
func pprofTop(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("go", "tool", "pprof", "-top", path).CombinedOutput()
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

// TestProfHotFunction profiles a guest that spends its time in one known
// function: it must top both the report and go tool pprof -top.
func TestProfHotFunction(t *testing.T) {
	needQEMU(t)
	pf := filepath.Join(t.TempDir(), "hot.pprof")
	report, stderr, status := runProf(t, "-duration", "3s", "-hz", "50", "-o", pf, "./testdata/hotloop", "60")
	if status != 0 {
		t.Fatalf("status %d\nstdout:\n%s\nstderr:\n%s", status, report, stderr)
	}
	if got := topOfSection(report, "vCPU 0:"); got != "main.hotSpin" {
		t.Errorf("report tops with %q, want main.hotSpin:\n%s", got, report)
	}
	p := readProfile(t, pf)
	if len(p.Sample) < 20 {
		t.Errorf("%d samples in 3s at 50 Hz, want at least 20", len(p.Sample))
	}
	if got := pprofTop(t, pf); got != "main.hotSpin" {
		t.Errorf("go tool pprof -top tops with %q, want main.hotSpin", got)
	}
	// The stack is walked beyond the leaf.
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

// TestProfPerVCPU profiles a guest with a different hot function on each
// of two cores: each must top its own vCPU's section.
//
// It needs SMP in the kernel: until the kernel starts the second vCPU the
// guest sees one core, says so, and the test skips itself. It assumes
// gotoro core i runs on vCPU i.
func TestProfPerVCPU(t *testing.T) {
	needQEMU(t)
	pf := filepath.Join(t.TempDir(), "cores.pprof")
	report, stderr, status := runProf(t, "-cpus", "2", "-duration", "4s", "-hz", "40", "-o", pf, "./testdata/hotcores", "60")
	if strings.Contains(stderr, "hotcores: only") {
		t.Skip("the guest sees fewer than 2 cores (SMP not in the kernel yet): " + strings.TrimSpace(stderr))
	}
	if status != 0 {
		t.Fatalf("status %d\nstdout:\n%s\nstderr:\n%s", status, report, stderr)
	}
	for cpu, want := range []string{"main.spinCore0", "main.spinCore1"} {
		title := "vCPU " + string(rune('0'+cpu)) + ":"
		if got := topOfSection(report, title); got != want {
			t.Errorf("%s tops with %q, want %s:\n%s", title, got, want, report)
		}
	}
	p := readProfile(t, pf)
	for _, s := range p.Sample {
		if s.Location[0].Line[0].Function.Name == "main.spinCore1" && s.Label["vcpu"][0] != "1" {
			t.Errorf("spinCore1 sampled on vCPU %s", s.Label["vcpu"][0])
		}
	}
}

// TestProfBadInput checks usage errors and a guest that exits before the
// sampling duration: clear messages, and a valid profile of what was
// sampled.
func TestProfBadInput(t *testing.T) {
	needQEMU(t)
	tests := []struct {
		name   string
		args   []string
		status int
		want   []string
	}{
		{"no image", nil, 125, []string{"missing PKG or IMAGE"}},
		{"zero hz", []string{"-hz", "0", "./testdata/hotloop"}, 125, []string{"-hz 0: the sampling rate must be at least 1"}},
		{"missing image", []string{"nothere.img"}, 125, []string{"nothere.img: no such image file"}},
		{"attach without image", []string{"-attach", "/nonexistent.sock", "./testdata/hotloop"}, 125, []string{"-attach needs the running guest's IMAGE"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, status := runProf(t, tc.args...)
			if status != tc.status {
				t.Errorf("status %d, want %d\n%s%s", status, tc.status, stdout, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
	t.Run("guest exits early", func(t *testing.T) {
		pf := filepath.Join(t.TempDir(), "early.pprof")
		report, stderr, status := runProf(t, "-duration", "5m", "-hz", "50", "-o", pf, "./testdata/hotloop", "2")
		if status != 0 {
			t.Fatalf("status %d\n%s%s", status, report, stderr)
		}
		if !strings.Contains(stderr, "before -duration 5m") || !strings.Contains(report, "ended: guest exited") {
			t.Errorf("no note about the early exit:\nstdout:\n%s\nstderr:\n%s", report, stderr)
		}
		p := readProfile(t, pf)
		if len(p.Sample) == 0 {
			t.Errorf("the profile of an early exit has no samples")
		}
	})
}
