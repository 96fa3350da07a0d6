package boottest

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestBenchPause: gotoro bench boot -pause waits before each timed run:
// 10 floor runs and 10 gotoro runs after 400 ms each take at least 8 s,
// where back to back they take about 1, and the report says so.
func TestBenchPause(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	start := time.Now()
	out, err := exec.Command(cli, "bench", "boot", "-accel", "tcg", "-n", "10", "-trace=false", "-peer=false", "-pause", "400ms", "../../examples/hello").CombinedOutput()
	took := time.Since(start)
	if status := exitStatus(t, err); status != 0 {
		t.Fatalf("status %d:\n%s", status, out)
	}
	if !strings.Contains(string(out), "each run after a pause of 400ms") {
		t.Errorf("the report does not name the pause:\n%s", out)
	}
	if took < 8*time.Second {
		t.Errorf("took %v, less than the 20 pauses of 400 ms", took)
	}
}
