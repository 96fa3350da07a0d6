package boottest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCLICatchResetSays runs `gotoro run -monitor S -catch-reset` on a
// program that resets the machine (a triple fault): gotoro must say on
// its standard error that the guest reset and the machine is kept for the
// monitor, not wait in silence, and end on an interrupt.
func TestCLICatchResetSays(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	dir, err := os.MkdirTemp("", "gotoro-cr-") // Unix socket paths are short
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "qmp.sock")
	cmd := exec.Command(cli, "run", "-accel", "tcg", "-monitor", sock, "-catch-reset", "-stop-timeout", "1s", "-timeout", "3m", "./testdata/tripfault")
	cmd.WaitDelay = 10 * time.Second
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const want = "gotoro: the guest reset the machine; QEMU keeps it stopped for reading through the monitor "
	said := make(chan string, 1)
	go func() {
		var all strings.Builder
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			all.WriteString(sc.Text() + "\n")
			if strings.HasPrefix(sc.Text(), want+sock) {
				said <- ""
				break
			}
		}
		said <- all.String()
		for sc.Scan() {
		}
	}()
	select {
	case got := <-said:
		if got != "" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("gotoro ended without saying the guest reset; its standard error:\n%s", got)
		}
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("no word of the reset in 2 minutes")
	}
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("gotoro did not end 30 s after an interrupt")
	}
}
