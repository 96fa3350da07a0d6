package qemu

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestCheckImage(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "probe.elf")
	if err := os.WriteFile(good, sseProbeImage(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckImage(good); err != nil {
		t.Errorf("probe: %v", err)
	}
	text := filepath.Join(dir, "text")
	os.WriteFile(text, []byte("hello\n"), 0o644)
	self, err := os.Executable() // an ELF file without the PVH note
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{text, self, dir} {
		if err := CheckImage(p); !errors.Is(err, ErrNotImage) {
			t.Errorf("CheckImage(%s) = %v, want ErrNotImage", p, err)
		}
	}
	// Garbage after a valid ELF header: damaged, not "not an ELF file".
	img := sseProbeImage()
	for i := 16; i < len(img); i++ {
		img[i] = 0xa5
	}
	damaged := filepath.Join(dir, "damaged.img")
	os.WriteFile(damaged, img, 0o644)
	if err := CheckImage(damaged); !errors.Is(err, ErrNotImage) || !strings.Contains(err.Error(), "damaged ELF file") {
		t.Errorf("CheckImage(damaged) = %v, want a damaged-ELF error", err)
	}
	if err := CheckImage(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// CheckImage reads the ELF header and the program headers itself: each
// kind of damage gets its own error, none a panic or a wrong verdict.
func TestCheckImageHeaders(t *testing.T) {
	dir := t.TempDir()
	le := binary.LittleEndian
	for _, c := range []struct {
		name string
		edit func(b []byte) []byte
		want string // "" for a good image
	}{
		{"good", func(b []byte) []byte { return b }, ""},
		{"header cut short", func(b []byte) []byte { return b[:40] }, "header is cut short"},
		{"32-bit", func(b []byte) []byte { b[elf.EI_CLASS] = byte(elf.ELFCLASS32); return b }, "not an x86-64 ELF file"},
		{"byte order", func(b []byte) []byte { b[elf.EI_DATA] = 7; return b }, "unknown byte order"},
		// QEMU: "Error while loading elf kernel".
		{"big-endian", func(b []byte) []byte { b[elf.EI_DATA] = byte(elf.ELFDATA2MSB); return b }, "ELF file: big-endian"},
		{"version", func(b []byte) []byte { le.PutUint32(b[20:], 2); return b }, "unknown ELF version"},
		{"arm64", func(b []byte) []byte { le.PutUint16(b[18:], uint16(elf.EM_AARCH64)); return b }, "not an x86-64 ELF file"},
		{"program header size", func(b []byte) []byte { le.PutUint16(b[54:], 20); return b }, "program header size 20"},
		// QEMU reads 56-byte program headers whatever e_phentsize says.
		{"larger program header size", func(b []byte) []byte { le.PutUint16(b[54:], 64); return b }, "program header size 64"},
		{"program headers past the end", func(b []byte) []byte { le.PutUint16(b[56:], 0xfff0); return b }, "past the end of the file"},
		{"program header offset past the end", func(b []byte) []byte { le.PutUint64(b[32:], 1<<62); return b }, "past the end of the file"},
		{"note past the end", func(b []byte) []byte {
			phoff, phnum := le.Uint64(b[32:]), int(le.Uint16(b[56:]))
			for i := 0; i < phnum; i++ {
				p := b[phoff+uint64(i)*56:]
				if elf.ProgType(le.Uint32(p)) == elf.PT_NOTE {
					le.PutUint64(p[8:], uint64(len(b))-4)
				}
			}
			return b
		}, "no PVH entry note"},
	} {
		p := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-"))
		if err := os.WriteFile(p, c.edit(sseProbeImage()), 0o644); err != nil {
			t.Fatal(err)
		}
		err := CheckImage(p)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrNotImage) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: CheckImage = %v, want ErrNotImage saying %q", c.name, err, c.want)
		}
	}
}

// A named pipe without a writer is refused at once, not waited on.
func TestCheckImageFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo.img")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- CheckImage(p) }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotImage) || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("CheckImage(fifo) = %v, want ErrNotImage (not a regular file)", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("CheckImage of a named pipe without a writer did not return in 5 s")
	}
}
