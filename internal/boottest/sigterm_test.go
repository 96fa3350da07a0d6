package boottest

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStopOnSignal sends SIGTERM to `gotoro run` and checks that the
// program in the guest gets it (through the ACPI power button): a program
// that catches it exits on its own, one that does not dies of it (143),
// and one that ignores it is killed after -stop-timeout.
func TestStopOnSignal(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	for _, tc := range []struct {
		mode   string
		status int
		want   []string
	}{
		{"catch", 0, []string{"got terminated"}},
		{"default", 143, []string{"killed by signal 15"}},
		{"stuck", 130, []string{"ignoring it", "did not stop after SIGTERM within 2s"}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			out := new(syncBuffer)
			cmd := exec.Command(cli, "run", "-accel", "tcg", "-timeout", "5m", "-stop-timeout", "2s", "./testdata/sigterm", tc.mode)
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			deadline := time.Now().Add(3 * time.Minute)
			for !strings.Contains(out.String(), "ready") {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("no ready line:\n%s", out)
				}
				time.Sleep(100 * time.Millisecond)
			}
			cmd.Process.Signal(syscall.SIGTERM)
			var err error
			select {
			case err = <-done:
			case <-time.After(2 * time.Minute):
				cmd.Process.Kill()
				t.Fatalf("gotoro run did not end after SIGTERM:\n%s", out)
			}
			status := exitStatus(t, err)
			if status != tc.status {
				t.Errorf("status %d, want %d\n%s", status, tc.status, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}
