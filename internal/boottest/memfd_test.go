package boottest

import (
	"strings"
	"testing"
)

// TestMemfd runs testdata/memfd (memfd_create through
// golang.org/x/sys/unix) in the guest with one and two cores and holds
// its checks against the ones Linux passes: I/O, sparse truncation,
// shared mappings, SIGBUS past an end truncated under a mapping, seals,
// truncate(2) by the /proc/self/fd/N name.
func TestMemfd(t *testing.T) {
	checks := nativeChecks(t, "memfd", "memfd ok", t.TempDir())
	forCores(t, []int{1, 2}, func(t *testing.T, cpus int) {
		out, res := boot(t, "memfd", bootOpts{cpus: cpus, args: []string{"/tmp"}})
		wantExit(t, out, res, 0)
		wantNativeChecks(t, out, "memfd ok", checks)
	})
}

// TestMemfdFill fills a memfd in a guest of 256 MiB until the memory is
// gone: the write fails with ENOSPC or ENOMEM (no crash, no kill), and
// truncating the memfd gives the memory back to the program.
func TestMemfdFill(t *testing.T) {
	out, res := boot(t, "memfd", bootOpts{mem: 256 << 20, args: []string{"/tmp", "-fill"}})
	wantExit(t, out, res, 0)
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "memfd fill:") {
			t.Log(l)
		}
	}
	for _, want := range []string{"ok filling a memfd ends in ENOSPC or ENOMEM", "ok the memory comes back after truncation", "memfd ok"} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("no %q:\n%s", want, out)
		}
	}
}
