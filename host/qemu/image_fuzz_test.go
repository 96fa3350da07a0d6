package qemu

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// A header that claims the most program headers of a large size, over a
// large sparse file, is refused without reading (or allocating) what it
// claims.
func TestCheckImageHugeProgramHeaders(t *testing.T) {
	img := sseProbeImage()
	le := binary.LittleEndian
	le.PutUint16(img[54:], 1024)   // e_phentsize
	le.PutUint16(img[56:], 0xfffe) // e_phnum: 64 MiB of program headers
	p := filepath.Join(t.TempDir(), "huge.img")
	if err := os.WriteFile(p, img, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, 1<<30); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := CheckImage(p)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrNotImage) {
		t.Errorf("CheckImage = %v, want ErrNotImage", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("CheckImage allocated %d bytes for a header that claims 64 MiB of program headers", n)
	}
}

// Any file gets nil or an error wrapping ErrNotImage, never a panic; nil
// only for a file with a PVH entry note, and a file debug/elf reads as an
// x86-64 ELF file with one in a note segment gets nil.
func FuzzCheckImage(f *testing.F) {
	good := sseProbeImage()
	f.Add(good)
	f.Add(good[:100])
	f.Add([]byte("\x7fELF"))
	f.Add([]byte{})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "img")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		err := CheckImage(p)
		if err != nil && !errors.Is(err, ErrNotImage) {
			t.Fatalf("CheckImage = %v, want nil or ErrNotImage", err)
		}
		if err == nil && !bytes.Contains(b, []byte("Xen\x00")) {
			t.Fatalf("CheckImage accepted a file without a Xen note")
		}
		if err != nil && debugELFHasPVHNote(b) {
			t.Fatalf("CheckImage = %v for a file debug/elf reads as a PVH image", err)
		}
	})
}

// debugELFHasPVHNote is the fuzz test's oracle: debug/elf reads b as an
// x86-64 ELF file of the current version (in the identification and in
// e_version: CheckImage refuses others as damaged) with 56-byte program
// headers and a note segment (of at most the size CheckImage reads, and
// within the file) that holds a PVH entry note.
func debugELFHasPVHNote(b []byte) bool {
	if len(b) < elf64HeaderSize {
		return false
	}
	// QEMU loads only little-endian files for x86-64.
	if elf.Data(b[elf.EI_DATA]) != elf.ELFDATA2LSB {
		return false
	}
	bo := binary.LittleEndian
	if bo.Uint16(b[54:]) != elf64ProgSize || bo.Uint32(b[20:]) != uint32(elf.EV_CURRENT) {
		return false
	}
	ef, err := elf.NewFile(bytes.NewReader(b))
	if err != nil || ef.Class != elf.ELFCLASS64 || ef.Machine != elf.EM_X86_64 {
		return false
	}
	for _, p := range ef.Progs {
		// A segment past the file's end QEMU cannot read (debug/elf
		// reads what there is).
		if p.Type != elf.PT_NOTE || p.Filesz > maxNoteSegment || p.Off > uint64(len(b)) || p.Filesz > uint64(len(b))-p.Off {
			continue
		}
		notes, err := io.ReadAll(p.Open())
		if err == nil && hasPVHNote(notes, ef.ByteOrder) {
			return true
		}
	}
	return false
}
