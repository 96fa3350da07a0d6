package boottest

import (
	"strings"
	"testing"

	"github.com/gotoro/gotoro/host/qemu"
)

// TestOutOfMemory checks that a guest that runs out of RAM stops with
// status 137 (as a Linux process the OOM killer ends) and says which flag
// to raise.
func TestOutOfMemory(t *testing.T) {
	out, res := boot(t, "oom", bootOpts{mem: 256 * qemu.MiB})
	wantExit(t, out, res, 137)
	for _, want := range []string{"allocated MiB 128", "gotoro: out of memory", "run it again with a larger -mem, e.g. -mem 512M"} {
		if !strings.Contains(out, want) {
			t.Errorf("console lacks %q:\n%s", want, lastLines(out, 5))
		}
	}
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
