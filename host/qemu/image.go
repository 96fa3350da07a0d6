package qemu

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"
)

// ErrNotImage is wrapped by CheckImage's error for a file that is not a
// bootable gotoro image.
var ErrNotImage = errors.New("not a gotoro image")

// CheckImage reports whether path is a bootable image: an x86-64 ELF file
// with a Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY), which is what QEMU's
// -kernel needs to boot it in PVH mode. Errors about the file's content wrap
// ErrNotImage.
func CheckImage(path string) error {
	// O_NONBLOCK: a named pipe without a writer (a careless path) is
	// refused below instead of blocking the open for ever; a regular
	// file reads as without it.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
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
	// Only the ELF header, the program headers and the note segments are
	// read: they are what QEMU boots from (debug/elf would parse the
	// section headers too, twice the time of a whole check).
	var h [elf64HeaderSize]byte
	n, _ := f.ReadAt(h[:], 0)
	if n < len(elf.ELFMAG) || string(h[:len(elf.ELFMAG)]) != elf.ELFMAG {
		return fmt.Errorf("%s: %w (not an ELF file)", path, ErrNotImage)
	}
	damaged := func(why string) error {
		return fmt.Errorf("%s: %w (a damaged ELF file: %s; rebuild it with gotoro build)", path, ErrNotImage, why)
	}
	if n < len(h) {
		return damaged("its header is cut short")
	}
	if elf.Class(h[elf.EI_CLASS]) != elf.ELFCLASS64 {
		return fmt.Errorf("%s: %w (not an x86-64 ELF file)", path, ErrNotImage)
	}
	// x86-64 is little-endian, and QEMU's ELF loader refuses a file of the
	// other byte order ("Error while loading elf kernel").
	switch elf.Data(h[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
	case elf.ELFDATA2MSB:
		return fmt.Errorf("%s: %w (not an x86-64 ELF file: big-endian)", path, ErrNotImage)
	default:
		return damaged(fmt.Sprintf("unknown byte order %d", h[elf.EI_DATA]))
	}
	bo := binary.LittleEndian
	if h[elf.EI_VERSION] != byte(elf.EV_CURRENT) || bo.Uint32(h[20:]) != uint32(elf.EV_CURRENT) {
		return damaged("unknown ELF version")
	}
	if elf.Machine(bo.Uint16(h[18:])) != elf.EM_X86_64 {
		return fmt.Errorf("%s: %w (not an x86-64 ELF file)", path, ErrNotImage)
	}
	phoff, phentsize, phnum := bo.Uint64(h[32:]), uint64(bo.Uint16(h[54:])), uint64(bo.Uint16(h[56:]))
	// QEMU reads e_phnum program headers of 56 bytes each, whatever
	// e_phentsize says, so a file with another size is one it cannot boot;
	// the exact size also bounds what is read below (at most 65535×56
	// bytes, whatever a file's header claims).
	if phnum > 0 && phentsize != elf64ProgSize {
		return damaged(fmt.Sprintf("program header size %d, not %d", phentsize, elf64ProgSize))
	}
	size := uint64(st.Size())
	if phoff > size || phnum*phentsize > size-phoff {
		return damaged("its program headers end past the end of the file")
	}
	phdrs := make([]byte, phnum*phentsize)
	if _, err := f.ReadAt(phdrs, int64(phoff)); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	for i := uint64(0); i < phnum; i++ {
		p := phdrs[i*phentsize:]
		if elf.ProgType(bo.Uint32(p)) != elf.PT_NOTE {
			continue
		}
		off, filesz := bo.Uint64(p[8:]), min(bo.Uint64(p[32:]), maxNoteSegment)
		if off > size || filesz > size-off {
			continue
		}
		notes := make([]byte, filesz)
		if _, err := f.ReadAt(notes, int64(off)); err != nil {
			continue
		}
		if hasPVHNote(notes, bo) {
			return nil
		}
	}
	return fmt.Errorf("%s: %w (no PVH entry note; make images with `gotoro build`)", path, ErrNotImage)
}

// The sizes of an ELF64 file's header and of one program header, and how
// much of a note segment CheckImage reads.
const (
	elf64HeaderSize = 64
	elf64ProgSize   = 56
	maxNoteSegment  = 1 << 16
)

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
