package qemu

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrNotImage is wrapped by CheckImage's error for a file that is not a
// bootable gotoro image.
var ErrNotImage = errors.New("not a gotoro image")

// CheckImage reports whether path is a bootable image: an x86-64 ELF file
// with a Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY), which is what QEMU's
// -kernel needs to boot it in PVH mode. Errors about the file's content wrap
// ErrNotImage.
func CheckImage(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s: %w (not a regular file)", path, ErrNotImage)
	}
	e, err := elf.NewFile(f)
	if err != nil {
		var magic [4]byte
		if n, _ := f.ReadAt(magic[:], 0); n == 4 && string(magic[:]) == elf.ELFMAG {
			return fmt.Errorf("%s: %w (a damaged ELF file: %v; rebuild it with gotoro build)", path, ErrNotImage, err)
		}
		return fmt.Errorf("%s: %w (not an ELF file)", path, ErrNotImage)
	}
	if e.Class != elf.ELFCLASS64 || e.Machine != elf.EM_X86_64 {
		return fmt.Errorf("%s: %w (not an x86-64 ELF file)", path, ErrNotImage)
	}
	for _, p := range e.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		notes, err := io.ReadAll(io.LimitReader(p.Open(), 1<<16))
		if err != nil {
			continue
		}
		if hasPVHNote(notes, e.ByteOrder) {
			return nil
		}
	}
	return fmt.Errorf("%s: %w (no PVH entry note; make images with `gotoro build`)", path, ErrNotImage)
}

// hasPVHNote reports whether the note segment b holds a "Xen" note of type
// XEN_ELFNOTE_PHYS32_ENTRY.
func hasPVHNote(b []byte, bo binary.ByteOrder) bool {
	align4 := func(n uint32) uint32 { return (n + 3) &^ 3 }
	for len(b) >= 12 {
		namesz, descsz, typ := bo.Uint32(b), bo.Uint32(b[4:]), bo.Uint32(b[8:])
		b = b[12:]
		if uint64(align4(namesz))+uint64(align4(descsz)) > uint64(len(b)) {
			return false
		}
		name := b[:namesz]
		if typ == xenElfnotePhys32Entry && bytes.Equal(name, []byte("Xen\x00")) && descsz >= 4 {
			return true
		}
		b = b[align4(namesz)+align4(descsz):]
	}
	return false
}
