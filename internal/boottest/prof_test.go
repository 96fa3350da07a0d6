package boottest

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotoro/gotoro/internal/bootcase"
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
		p := bootcase.ReadProfile(t, pf)
		if len(p.Sample) == 0 {
			t.Errorf("the profile of an early exit has no samples")
		}
	})
}
