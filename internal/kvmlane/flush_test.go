package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/host/qmp"
)

// TestDropTranslationsQEMU runs the flush against this machine's QEMU: a
// paused PC (paging off, so virtual addresses are physical) gets its
// gdbstub started through the monitor, a range of its RAM is read and
// written back through the stub, and the machine runs again afterwards.
// A byte written through the stub beforehand shows the writes land.
func TestDropTranslationsQEMU(t *testing.T) {
	if testing.Short() {
		t.Skip("boots QEMU")
	}
	qemuPath, err := qemu.Find("")
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	mon := filepath.Join(dir, "qmp.sock")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, qemuPath, "-M", "pc", "-accel", "tcg", "-m", "64M", "-nodefaults", "-no-user-config",
		"-display", "none", "-S", "-qmp", "unix:"+mon+",server=on,wait=off")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	c, err := qmp.Dial(ctx, mon)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	// Put a pattern in RAM through the stub, then flush over it.
	started := false
	if err := startGDBStub(c, gdbSocket(dir)); err != nil {
		t.Fatal(err)
	}
	started = true
	g, err := dialGDB(ctx, gdbSocket(dir), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	pattern := bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 1000)
	if _, err := g.stopReason(); err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(pattern); off += gdbChunk {
		if err := g.writeMem(0x100000+uint64(off), pattern[off:min(off+gdbChunk, len(pattern))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.detach(); err != nil {
		t.Fatal(err)
	}
	g.Close()

	text := kernelText{0x100000 - 100, 0x100000 + uint64(len(pattern)) + 5000}
	fs, err := dropL1Translations(ctx, c, dir, &started, 0, text)
	if err != nil {
		t.Fatal(err)
	}
	if fs.bytes != text.size() || fs.skipped != 0 {
		t.Errorf("flush rewrote %d bytes, skipped %d chunks; want %d, 0", fs.bytes, fs.skipped, text.size())
	}
	s, err := c.Status()
	if err != nil {
		t.Fatal(err)
	}
	if s.Status != "running" {
		t.Errorf("after the flush the machine is %q, want running", s.Status)
	}
	// The pattern is still there (written back unchanged).
	g, err = dialGDB(ctx, gdbSocket(dir), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	g.stopReason()
	var got []byte
	for off := 0; off < len(pattern); off += gdbChunk {
		b, err := g.readMem(0x100000+uint64(off), min(gdbChunk, len(pattern)-off))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b...)
	}
	if !bytes.Equal(got, pattern) {
		t.Errorf("memory changed by the flush: % x…", got[:16])
	}
	g.detach()
	t.Logf("rewrote %d bytes in %v", fs.bytes, fs.took)
}
