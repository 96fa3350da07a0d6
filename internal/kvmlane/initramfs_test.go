package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// readCPIO parses a newc archive into name → content (directories map
// to nil).
func readCPIO(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for off := 0; ; {
		if len(b) < off+110 || string(b[off:off+6]) != "070701" {
			t.Fatalf("no newc header at %d", off)
		}
		field := func(i int) int {
			v, err := strconv.ParseUint(string(b[off+6+8*i:off+14+8*i]), 16, 32)
			if err != nil {
				t.Fatalf("header field %d at %d: %v", i, off, err)
			}
			return int(v)
		}
		mode, size, nameLen := field(1), field(6), field(11)
		name := string(b[off+110 : off+110+nameLen-1])
		off = (off + 110 + nameLen + 3) &^ 3
		if name == "TRAILER!!!" {
			return out
		}
		if mode&0o40000 != 0 {
			out[name] = nil
		} else {
			out[name] = b[off : off+size]
		}
		off = (off + size + 3) &^ 3
	}
}

func TestWriteCPIO(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "cfg")
	if err := os.WriteFile(src, []byte("first"), 0o644); err != nil {
		t.Fatal(err)
	}
	tr := newTree()
	if err := tr.addFile("/lane/config.json", src); err != nil {
		t.Fatal(err)
	}
	tr.addData("/etc/group", []byte("root:x:0:\n"), 0o644)
	// The file is read when the archive is written: a later write of it
	// is what the archive holds.
	if err := os.WriteFile(src, []byte("second"), 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tr.writeCPIO(&buf); err != nil {
		t.Fatal(err)
	}
	got := readCPIO(t, buf.Bytes())
	for name, want := range map[string]string{"lane/config.json": "second", "etc/group": "root:x:0:\n"} {
		if string(got[name]) != want {
			t.Errorf("%s = %q, want %q", name, got[name], want)
		}
	}
	for _, d := range []string{"lane", "etc"} {
		if c, ok := got[d]; !ok || c != nil {
			t.Errorf("directory %s missing", d)
		}
	}
}

// TestWriteCPIOMissingFile: a file added before it exists (on a fresh
// machine L1's config once was, so L1 booted without it and said only
// "open /lane/config.json: no such file or directory") fails the
// archive, naming the file.
func TestWriteCPIOMissingFile(t *testing.T) {
	dir := t.TempDir()
	tr := newTree()
	if err := tr.addFile("/lane/config.json", filepath.Join(dir, "config.json")); err == nil {
		t.Fatal("addFile of a missing file succeeded")
	}
	if err := tr.addFile("/bin/dir", dir); err == nil {
		t.Fatal("addFile of a directory succeeded")
	}
	var buf bytes.Buffer
	err := tr.writeCPIO(&buf)
	if err == nil {
		t.Fatal("writeCPIO succeeded with files missing")
	}
	for _, want := range []string{"/lane/config.json", "/bin/dir", "not a regular file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("writeCPIO wrote %d bytes before failing", buf.Len())
	}
}
