package blockdev

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestImageFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "img")
	if err := os.WriteFile(p, make([]byte, 4096), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := Open(p, true)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Size() != 4096 {
		t.Fatalf("size %d", d.Size())
	}
	for _, c := range []struct {
		off    int64
		n      int
		wantOK bool
	}{{0, 512, true}, {4000, 96, true}, {4000, 97, false}, {-1, 1, false}} {
		_, err := d.WriteAt(bytes.Repeat([]byte{7}, c.n), c.off)
		if (err == nil) != c.wantOK {
			t.Errorf("WriteAt(%d bytes at %d): %v", c.n, c.off, err)
		}
	}
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 96)
	if _, err := d.ReadAt(b, 4000); err != nil || b[95] != 7 {
		t.Fatalf("read back %v %v", b[95], err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing"), false); err == nil {
		t.Fatal("opening a missing device succeeded")
	}
}
