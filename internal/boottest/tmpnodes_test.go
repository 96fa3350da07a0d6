package boottest

import (
	"strings"
	"testing"

	"github.com/gotoro/gotoro/host/build"
	"github.com/gotoro/gotoro/internal/bootabi"
)

// TestTmpNodes fills the node table that /tmp and the writable tree share
// (testdata/tmpnodes): creating fails with ENOSPC, the console says once
// why, every file keeps its data, and removed nodes are reused. Linux has
// no such table to compare with (its tmpfs sizes nr_inodes from RAM).
func TestTmpNodes(t *testing.T) {
	tree := writableTree(t)
	cases := []struct {
		name string
		o    bootOpts
	}{
		{"tmp", bootOpts{cpus: 1}},
		{"tree/cpus=2", bootOpts{cpus: 2, files: []build.Mount{{HostDir: tree, GuestDir: "/work/tree"}},
			args: []string{"/work/tree"}, params: []bootabi.Param{{Key: bootabi.KeyRW, Value: "1"}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out, res := boot(t, "tmpnodes", c.o)
			wantExit(t, out, res, 0)
			if !strings.Contains(out, "tmpnodes ok") {
				t.Errorf("unexpected output:\n%s", out)
			}
			const msg = "gotoro: /tmp and the writable tree are out of nodes (4096 files, directories and links in all); creating more fails with ENOSPC until some are removed\n"
			if n := strings.Count(out, msg); n != 1 {
				t.Errorf("the console gave the out-of-nodes message %d times, want once:\n%s", n, out)
			}
		})
	}
}
