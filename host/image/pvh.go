// Package image turns a Go linux/amd64 executable linked at
// bootabi.TextAddr into a bootable gotoro image: it adds the Xen PVH ELF note,
// the 32-bit trampoline it points to, a boot GDT and the boot block, all in
// the zero padding after the ELF headers (which the first PT_LOAD segment
// loads), and optionally a packed file tree as an extra PT_LOAD segment.
package image

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/gotoro/gotoro/internal/bootabi"
	"github.com/gotoro/gotoro/internal/imagefs"
)

const (
	pageSize = 0x1000
	// xenElfnotePhys32Entry is XEN_ELFNOTE_PHYS32_ENTRY.
	xenElfnotePhys32Entry = 18
	phdrSize              = 56
)

// Patch returns a bootable image made from the ELF executable exe. files is
// a packed file tree (see package imagefs) loaded after the image; if nil,
// the image gets a tree holding only "/".
func Patch(exe []byte, files []byte) ([]byte, error) {
	if files == nil {
		empty, err := imagefs.PackMulti(nil)
		if err != nil {
			return nil, fmt.Errorf("packing the empty file tree: %w", err)
		}
		files = empty
	}
	// The kernel opens the tree without checking every entry
	// (imagefs.OpenTrusted): check them here, once.
	if _, err := imagefs.Open(files); err != nil {
		return nil, fmt.Errorf("the packed file tree is invalid: %w", err)
	}
	f, err := elf.NewFile(bytes.NewReader(exe))
	if err != nil {
		return nil, fmt.Errorf("reading ELF: %w", err)
	}
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 || f.Type != elf.ET_EXEC {
		return nil, errors.New("not a static x86-64 ELF executable")
	}
	if f.Entry >= 1<<32 {
		return nil, fmt.Errorf("entry point %#x is above 4 GiB", f.Entry)
	}
	hdr := exe[:64]
	phoff := binary.LittleEndian.Uint64(hdr[32:])
	shoff := binary.LittleEndian.Uint64(hdr[40:])
	phnum := uint64(binary.LittleEndian.Uint16(hdr[56:]))
	shnum := uint64(binary.LittleEndian.Uint16(hdr[60:]))
	shentsize := uint64(binary.LittleEndian.Uint16(hdr[58:]))

	// Free padding: after both header tables, up to the first section's data.
	padStart := max(phoff+phnum*phdrSize, 64)
	if shoff < pageSize {
		padStart = max(padStart, shoff+shnum*shentsize)
	}
	padEnd := uint64(len(exe))
	for _, s := range f.Sections {
		if s.Type != elf.SHT_NULL && s.Offset > 0 && s.Offset < padEnd && s.Type != elf.SHT_NOBITS {
			padEnd = s.Offset
		}
	}
	var first, last *elf.Prog
	var stackIdx, phdrIdx = -1, -1
	for i, p := range f.Progs {
		switch p.Type {
		case elf.PT_LOAD:
			if first == nil || p.Vaddr < first.Vaddr {
				first = p
			}
			if last == nil || p.Vaddr+p.Memsz > last.Vaddr+last.Memsz {
				last = p
			}
		case elf.PT_GNU_STACK:
			stackIdx = i
		case elf.PT_PHDR:
			phdrIdx = i
		}
	}
	if first == nil || first.Off != 0 || first.Vaddr != bootabi.ImageBase || first.Paddr != bootabi.ImageBase {
		return nil, fmt.Errorf("first PT_LOAD must map the ELF header at %#x (link with -T %#x)", bootabi.ImageBase, bootabi.TextAddr)
	}
	if err := checkNoOverlap(f.Progs); err != nil {
		return nil, err
	}
	roEnd, err := readOnlyEnd(f.Progs)
	if err != nil {
		return nil, err
	}
	if stackIdx < 0 {
		return nil, errors.New("no PT_GNU_STACK program header to turn into the PVH note")
	}
	if files != nil && phdrIdx < 0 {
		return nil, errors.New("no PT_PHDR program header to turn into the file-tree segment")
	}

	imageEnd := alignUp(last.Vaddr+last.Memsz, pageSize)
	pageTables := imageEnd
	reservedTo := pageTables + bootabi.BootPageTablePages*pageSize
	var filesAddr, filesOff uint64
	if files != nil {
		filesAddr = reservedTo
		reservedTo = alignUp(filesAddr+uint64(len(files)), pageSize)
	}
	if reservedTo >= 1<<32 {
		return nil, fmt.Errorf("image too large: it ends at %#x, above 4 GiB", reservedTo)
	}

	// Lay out the padding: note, GDT, GDTR, boot block, trampoline.
	pos := alignUp(padStart, 16)
	addr := func(off uint64) uint64 { return bootabi.ImageBase + off }
	noteOff := pos
	note := binary.LittleEndian.AppendUint32(nil, 4) // namesz
	note = binary.LittleEndian.AppendUint32(note, 4) // descsz
	note = binary.LittleEndian.AppendUint32(note, xenElfnotePhys32Entry)
	note = append(note, 'X', 'e', 'n', 0)
	trampOffPlaceholder := len(note)
	note = binary.LittleEndian.AppendUint32(note, 0)
	pos = alignUp(pos+uint64(len(note)), 16)
	gdtOff := pos
	var gdt []byte
	for _, d := range bootGDT {
		gdt = binary.LittleEndian.AppendUint64(gdt, d)
	}
	pos += uint64(len(gdt))
	gdtrOff := pos
	gdtr := binary.LittleEndian.AppendUint16(nil, uint16(len(gdt)-1))
	gdtr = binary.LittleEndian.AppendUint32(gdtr, uint32(addr(gdtOff)))
	pos = alignUp(pos+uint64(len(gdtr)), 16)
	bbOff := pos
	bb := bootabi.BootBlock{
		Magic:       bootabi.BootBlockMagic,
		ImageEnd:    imageEnd,
		PageTables:  pageTables,
		ReservedTo:  reservedTo,
		FilesAddr:   filesAddr,
		FilesSize:   uint64(len(files)),
		ReadOnlyEnd: roEnd,
	}
	if s := f.Section(".gopclntab"); s != nil {
		bb.Pclntab, bb.PclntabLen = s.Addr, s.Size
	}
	bb.Flags, bb.RuntimeMain, bb.MainMain = programFacts(f)
	var bbBytes []byte
	bbBytes, _ = binary.Append(nil, binary.LittleEndian, bb)
	pos = alignUp(pos+uint64(len(bbBytes)), 16)
	trampOff := pos
	tramp := buildTrampoline(trampolineParams{
		pageTables: uint32(pageTables),
		gdtr:       uint32(addr(gdtrOff)),
		bootBlock:  uint32(addr(bbOff)),
		entry64:    uint32(f.Entry),
	})
	pos += uint64(len(tramp))
	if pos > padEnd || pos > pageSize {
		return nil, fmt.Errorf("no room for the boot code after the ELF headers (%d bytes needed, %d free)", pos-padStart, int64(padEnd)-int64(padStart))
	}
	binary.LittleEndian.PutUint32(note[trampOffPlaceholder:], uint32(addr(trampOff)))

	out := make([]byte, len(exe), len(exe)+len(files)+pageSize)
	copy(out, exe)
	for i := padStart; i < pos; i++ {
		if out[i] != 0 {
			return nil, fmt.Errorf("ELF header padding at %#x is not zero: is this image already patched?", i)
		}
	}
	copy(out[noteOff:], note)
	copy(out[gdtOff:], gdt)
	copy(out[gdtrOff:], gdtr)
	copy(out[bbOff:], bbBytes)
	copy(out[trampOff:], tramp)

	putPhdr := func(idx int, typ elf.ProgType, flags elf.ProgFlag, off, vaddr, size, align uint64) {
		p := out[phoff+uint64(idx)*phdrSize:]
		binary.LittleEndian.PutUint32(p[0:], uint32(typ))
		binary.LittleEndian.PutUint32(p[4:], uint32(flags))
		binary.LittleEndian.PutUint64(p[8:], off)
		binary.LittleEndian.PutUint64(p[16:], vaddr)
		binary.LittleEndian.PutUint64(p[24:], vaddr)
		binary.LittleEndian.PutUint64(p[32:], size)
		binary.LittleEndian.PutUint64(p[40:], size)
		binary.LittleEndian.PutUint64(p[48:], align)
	}
	putPhdr(stackIdx, elf.PT_NOTE, elf.PF_R, noteOff, addr(noteOff), uint64(len(note)), 4)
	if files != nil {
		filesOff = alignUp(uint64(len(out)), pageSize)
		out = append(out, make([]byte, filesOff-uint64(len(out)))...)
		out = append(out, files...)
		putPhdr(phdrIdx, elf.PT_LOAD, elf.PF_R, filesOff, filesAddr, uint64(len(files)), pageSize)
	}
	dropBSS(out, f.Progs, phoff)
	return out, nil
}

// dropBSS makes every PT_LOAD's memory size its file size: the segment no
// longer declares the zero-filled memory after its data (.bss,
// .noptrbss). A VMM zeroes that memory at every boot (QEMU writes all of
// it, 9.8 MB for hello, touching every 2 MiB huge page it spans), but a
// fresh guest's RAM is zero already: QEMU, Firecracker and Cloud
// Hypervisor allocate it anonymously, and gotoro runs QEMU with -no-reboot,
// so no boot finds memory a previous one used. The kernel keeps the
// memory reserved: the boot block's ImageEnd and ReservedTo still cover it.
func dropBSS(out []byte, progs []*elf.Prog, phoff uint64) {
	for i, p := range progs {
		if p.Type == elf.PT_LOAD && p.Memsz > p.Filesz {
			binary.LittleEndian.PutUint64(out[phoff+uint64(i)*phdrSize+40:], p.Filesz)
		}
	}
}

func alignUp(v, a uint64) uint64 { return (v + a - 1) &^ (a - 1) }
