package boottest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStopDuringBoot sends SIGTERM to `gotoro run` as soon as it has
// started QEMU, so that the power button is pressed while the guest's
// kernel boots, before it routes the button's interrupt (the edge is then
// lost; only the device's event selector keeps it). The program, which
// leaves SIGTERM's default action, must still die of it (143) instead of
// running on until gotoro kills it at -stop-timeout. Three runs: the
// press lands in the boot's first milliseconds, which a loaded host
// stretches.
func TestStopDuringBoot(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	img := filepath.Join(t.TempDir(), "sigterm.img")
	if out, err := exec.Command(cli, "build", "-o", img, "./testdata/sigterm").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for i := 0; i < 3; i++ {
		out := new(syncBuffer)
		cmd := exec.Command(cli, "run", "-accel", "tcg", "-timeout", "2m", "-stop-timeout", "10s", img, "default")
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		if !waitQEMUChild(cmd.Process.Pid, done, time.Minute) {
			cmd.Process.Kill()
			t.Fatalf("run %d: gotoro started no QEMU:\n%s", i+1, out)
		}
		start := time.Now()
		cmd.Process.Signal(syscall.SIGTERM)
		var err error
		select {
		case err = <-done:
		case <-time.After(time.Minute):
			cmd.Process.Kill()
			t.Fatalf("run %d: gotoro run did not end after SIGTERM:\n%s", i+1, out)
		}
		if status := exitStatus(t, err); status != 143 || !strings.Contains(out.String(), "killed by signal 15") {
			t.Errorf("run %d: SIGTERM during the boot: status %d after %v, want 143 and the program killed by it:\n%s", i+1, status, time.Since(start).Round(time.Millisecond), out)
		}
	}
}

// waitQEMUChild polls until the process pid has a QEMU child, or until
// done delivers or d passes (false).
func waitQEMUChild(pid int, done chan error, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			done <- err
			return false
		default:
		}
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
		for _, f := range tasks {
			b, _ := os.ReadFile(f)
			for _, c := range strings.Fields(string(b)) {
				if comm, _ := os.ReadFile("/proc/" + c + "/comm"); strings.HasPrefix(string(comm), "qemu-system") {
					return true
				}
			}
		}
		time.Sleep(time.Millisecond)
	}
	return false
}
