package bootcase

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// stopOnSignal sends SIGTERM to `gotoro run` once the program is ready
// and checks that the program gets it — through gotoro's stop monitor,
// QEMU's ACPI power button and the kernel — and exits on its own with
// status 0: the graceful stop under the case's accelerator.
func stopOnSignal(t TB, e *Env) {
	img := e.Image(t, progSigterm)
	ctx, cancel := context.WithTimeout(t.Context(), e.limit(3*time.Minute))
	defer cancel()
	cmd := exec.CommandContext(ctx, e.CLI(t), "run", "-accel", string(e.Accel), "-net", "none", "-stop-timeout", "1m", img, "catch")
	out := &watchWriter{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("gotoro run: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for !strings.Contains(out.String(), "ready") {
		select {
		case err := <-done:
			t.Fatalf("gotoro run ended before the program was ready: %v\n%s", err, out)
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM to gotoro run: %v", err)
	}
	err := <-done
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) || ctx.Err() != nil {
		t.Fatalf("gotoro run after SIGTERM: %v (%v)\n%s", err, ctx.Err(), out)
	}
	if err != nil {
		t.Errorf("gotoro run after SIGTERM: exit status %d, want 0\n%s", exit.ExitCode(), out)
	}
	Contains(t, out.String(), "asking the guest to stop (SIGTERM)", "got terminated")
}
