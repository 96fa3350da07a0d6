package boottest

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
)

// buildCLI builds cmd/gotoro once per test run.
func buildCLI(t *testing.T) string {
	t.Helper()
	cliOnce.Do(func() {
		cliPath = filepath.Join(imageDir, "gotoro")
		if out, err := exec.Command("go", "build", "-o", cliPath, "../../cmd/gotoro").CombinedOutput(); err != nil {
			cliErr = errors.New(err.Error() + "\n" + string(out))
		}
	})
	if cliErr != nil {
		t.Fatalf("building the CLI: %v", cliErr)
	}
	return cliPath
}

// TestCLIRun drives `gotoro run` end to end: exit status, guest arguments
// and environment, timeout and fault statuses.
func TestCLIRun(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	tests := []struct {
		name   string
		args   []string
		status int
		want   []string
	}{
		{"exit status", []string{"./testdata/exitcode", "7"}, 7, []string{"exiting with 7"}},
		{"args and env", []string{"-e", "GREETING=hi there", "./testdata/args", "x y"}, 0, []string{`arg[1]="x y"`, `GREETING="hi there"`}},
		{"timeout", []string{"-timeout", "3s", "./testdata/hang"}, 124, []string{"hanging", "did not exit within 3s"}},
		{"fault", []string{"./testdata/fault"}, 126, []string{"gotoro: fatal fault", "main.crash", "guest fault"}},
		{"not main", []string{"../../kernel"}, 125, []string{"not a main package"}},
		{"missing package", []string{"./testdata/nonexistent"}, 125, []string{"nonexistent"}},
		{"bad flag", []string{"-bogus", "./testdata/exitcode"}, 125, []string{"flag provided but not defined: -bogus"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(cli, append([]string{"run", "-accel", "tcg"}, tc.args...)...)
			out, err := cmd.CombinedOutput()
			status := exitStatus(t, err)
			if status != tc.status {
				t.Errorf("status %d, want %d\n%s", status, tc.status, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// exitStatus returns the exit status of a command that ended with err (the
// result of Run or Wait), failing t if it did not run at all.
func exitStatus(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}
