package boottest

import (
	"strings"
	"testing"

	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/internal/bootcase"
)

// TestVirtioBlkEdges checks unaligned I/O, reads at the end, fstat and a
// read-only disk.
func TestVirtioBlkEdges(t *testing.T) {
	img := bootcase.Disk(t, 1<<20)
	out, res := boot(t, "blk", bootOpts{args: []string{"edges"}, devices: bootcase.DiskDevices(t, img, false), cpus: 2})
	wantExit(t, out, res, 0)
	for _, want := range []string{"size 1048576", "tail read 100 EOF", "read at end: EOF", "mode true stat size 0", "edges ok"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	out, res = boot(t, "blk", bootOpts{args: []string{"edges"}, devices: bootcase.DiskDevices(t, img, true)})
	wantExit(t, out, res, 1)
	if !strings.Contains(out, "FAIL: open /dev/vda: read-only file system") {
		t.Errorf("a read-only disk opened for writing:\n%s", out)
	}
}

// TestVirtioConsole runs a program with the virtio console as its console.
func TestVirtioConsole(t *testing.T) {
	out, res := boot(t, "args", bootOpts{args: []string{"x"}, console: qemu.ConsoleVirtio})
	wantExit(t, out, res, 0)
	if !strings.Contains(out, `arg[1]="x"`) {
		t.Fatalf("console output missing:\n%s", out)
	}
}
