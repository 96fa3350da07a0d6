package boottest

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotoro/gotoro/host/qemu"
)

// disk creates a zeroed raw disk image of size bytes in a test directory.
func disk(t *testing.T, size int64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

func diskDevice(t *testing.T, path string, ro bool) []qemu.Device {
	t.Helper()
	d, err := qemu.DiskDevice(0, path, ro)
	if err != nil {
		t.Fatal(err)
	}
	return []qemu.Device{d}
}

// TestVirtioBlkPersists writes a pattern with flush in one boot, reads it
// back in a second (read-only) boot, and compares both sha256 sums with
// the host's view of the file; with interrupts and with polling.
func TestVirtioBlkPersists(t *testing.T) {
	for _, poll := range []bool{false, true} {
		t.Run(fmt.Sprintf("poll=%v", poll), func(t *testing.T) {
			img := disk(t, 3<<20+512)
			out, res := boot(t, "blk", bootOpts{args: []string{"write", "42"}, devices: diskDevice(t, img, false), poll: poll})
			wantExit(t, out, res, 0)
			data, err := os.ReadFile(img)
			if err != nil {
				t.Fatal(err)
			}
			host := fmt.Sprintf("sha256 %x", sha256.Sum256(data))
			if !strings.Contains(out, host) {
				t.Fatalf("the host sees %s; guest wrote:\n%s", host, out)
			}
			out, res = boot(t, "blk", bootOpts{args: []string{"verify"}, devices: diskDevice(t, img, true), poll: poll})
			wantExit(t, out, res, 0)
			if !strings.Contains(out, host) {
				t.Fatalf("second boot read back something else than %s:\n%s", host, out)
			}
		})
	}
}

// TestVirtioBlkEdges checks unaligned I/O, reads at the end, fstat and a
// read-only disk.
func TestVirtioBlkEdges(t *testing.T) {
	img := disk(t, 1<<20)
	out, res := boot(t, "blk", bootOpts{args: []string{"edges"}, devices: diskDevice(t, img, false), cpus: 2})
	wantExit(t, out, res, 0)
	for _, want := range []string{"size 1048576", "tail read 100 EOF", "read at end: EOF", "mode true stat size 0", "edges ok"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	out, res = boot(t, "blk", bootOpts{args: []string{"edges"}, devices: diskDevice(t, img, true)})
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
