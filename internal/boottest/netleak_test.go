package boottest

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNetServiceGoroutines: a test binary that uses package net, run by
// gotoro test as it is by default, has none of the network service's
// goroutines for a leak checker to find; with -net user it has them (the
// check can tell).
func TestNetServiceGoroutines(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"default", []string{"-e", "WANT_NETSVC=0"}},
		{"-net user", []string{"-net", "user", "-e", "WANT_NETSVC=1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"test", "-accel", "tcg", "-v"}, c.args...)
			out, err := exec.Command(cli, append(args, "./testdata/netleak")...).CombinedOutput()
			if status := exitStatus(t, err); status != 0 || !strings.Contains(string(out), "--- PASS: TestGoroutines") {
				t.Errorf("status %d\n%s", status, out)
			}
		})
	}
}
