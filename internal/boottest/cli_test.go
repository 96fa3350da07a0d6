package boottest

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/qemu"
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
		// Static, as README builds it (no dynamic loader at each start).
		cmd := exec.Command("go", "build", "-o", cliPath, "../../cmd/gotoro")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
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
	floor := qemu.FormatSize(qemu.MinGuestMemory)
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
		{"bad flag", []string{"-bogus", "./testdata/exitcode"}, 125, []string{"flag provided but not defined: -bogus", "Run 'gotoro help run' for usage."}},
		// The floor -mem accepts must be enough for hello, on one core
		// and on four (the least memory gotoro promises to boot in).
		{"smallest guest", []string{"-mem", floor, "../../examples/hello"}, 0, []string{"Hello from gotoro!"}},
		{"smallest guest, 4 cores", []string{"-mem", floor, "-cpus", "4", "../../examples/hello"}, 0, []string{"Hello from gotoro!"}},
		{"too small", []string{"-mem", "16M", "./testdata/exitcode"}, 125, []string{"16M is too small: a guest needs at least " + floor}},
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

// TestCLIQEMUFails checks that QEMU's own failures end gotoro run with 125
// and QEMU's reason, never with a guest exit status (QEMU exits 1 when it
// fails, which is what a guest exit 0 looked like through isa-debug-exit).
func TestCLIQEMUFails(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	run := func(args ...string) (int, string) {
		cmd := exec.Command(cli, append([]string{"run", "-accel", "tcg"}, args...)...)
		out, err := cmd.CombinedOutput()
		return exitStatus(t, err), string(out)
	}
	// Guest memory QEMU cannot allocate.
	if status, out := run("-mem", "65536G", "./testdata/exitcode", "0"); status != 125 ||
		!strings.Contains(out, "QEMU exited with status 1") || !strings.Contains(out, "cannot set up guest memory") {
		t.Errorf("-mem 65536G: status %d, want 125 with QEMU's reason:\n%s", status, out)
	}
	// A disk another guest holds: QEMU cannot take its write lock.
	disk := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(disk, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	holder := exec.Command(cli, "run", "-accel", "tcg", "-disk", disk, "./testdata/hang")
	pr, pw := io.Pipe()
	holder.Stdout, holder.Stderr = pw, pw
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		holder.Process.Signal(syscall.SIGKILL)
		holder.Wait()
	}()
	started := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "hanging") {
				started <- true
				break
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case <-started:
	case <-time.After(3 * time.Minute):
		t.Fatal("the guest holding the disk did not start")
	}
	if status, out := run("-disk", disk, "./testdata/exitcode", "0"); status != 125 ||
		!strings.Contains(out, "QEMU exited with status 1") || !strings.Contains(out, "lock") {
		t.Errorf("a disk another guest holds: status %d, want 125 with QEMU's reason:\n%s", status, out)
	}
	// The same guest with a free disk exits 0.
	if status, out := run("./testdata/exitcode", "0"); status != 0 || !strings.Contains(out, "exiting with 0") {
		t.Errorf("exit 0: status %d\n%s", status, out)
	}
}
