package boottest

import (
	"strings"
	"testing"
)

// TestHardLinkStress races link, unlink, rename and RENAME_EXCHANGE of
// a few names in /tmp on four CPUs (testdata/hardlinks), with files held
// open across their removal and written through: every call answers as
// a race on Linux may, no link count goes out of range, each file's
// count ends equal to its names, and removing everything frees every
// node. Linux's answers to the single calls are TestPaths' oracle; its
// node counts (ext4's, tmpfs's) move with the host, so this one runs in
// the guest only.
func TestHardLinkStress(t *testing.T) {
	out, res := boot(t, "hardlinks", bootOpts{cpus: 4})
	wantExit(t, out, res, 0)
	if !strings.Contains(out, "hardlinks ok") || strings.Contains(out, "FAIL") {
		t.Errorf("unexpected output:\n%s", out)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "hardlinks: ") {
			t.Log(l)
		}
	}
}
