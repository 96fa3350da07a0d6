package qemu

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// An image's loaded bytes laid out as guest-physical memory (imageram.go
// uses it): the layout file holds every PT_LOAD segment's file bytes at
// its physical address and nothing else (holes, which read as zeros), and
// a stub ELF file that QEMU's -kernel loads instead of the image: the
// image's entry and PVH note, and one small PT_LOAD that repeats bytes the
// layout already holds at the same address (QEMU's ELF loader wants a
// loadable segment; a copy of identical bytes changes nothing).

// stubLoadBytes is how much of the image's lowest segment the stub's
// PT_LOAD repeats.
const stubLoadBytes = 64

// imageLayout is what the layout file and the stub are made from.
type imageLayout struct {
	entry uint64
	loads []*elf.Prog // PT_LOAD segments with file bytes
	notes [][]byte    // the PT_NOTE segments' bytes
	align []uint64    // and their alignments
	// end is the end of the highest loaded byte (guest-physical).
	end uint64
}

// readLayout reads the segments of the image f.
func readLayout(f *os.File) (*imageLayout, error) {
	e, err := elf.NewFile(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	if e.Class != elf.ELFCLASS64 || e.Machine != elf.EM_X86_64 {
		return nil, fmt.Errorf("%s: %w (not an x86-64 ELF file)", f.Name(), ErrNotImage)
	}
	l := &imageLayout{entry: e.Entry}
	pvh := false
	for _, p := range e.Progs {
		switch p.Type {
		case elf.PT_LOAD:
			if p.Filesz > p.Memsz {
				return nil, fmt.Errorf("%s: %w (a segment's file size %#x exceeds its memory size %#x)", f.Name(), ErrNotImage, p.Filesz, p.Memsz)
			}
			if p.Memsz > 0 {
				l.end = max(l.end, p.Paddr+p.Memsz)
			}
			if p.Filesz > 0 {
				l.loads = append(l.loads, p)
			}
		case elf.PT_NOTE:
			b, err := io.ReadAll(io.LimitReader(p.Open(), 1<<16))
			if err != nil {
				return nil, fmt.Errorf("%s: reading a note: %w", f.Name(), err)
			}
			pvh = pvh || hasPVHNote(b, e.ByteOrder)
			l.notes = append(l.notes, b)
			l.align = append(l.align, p.Align)
		}
	}
	if !pvh {
		return nil, fmt.Errorf("%s: %w (no PVH entry note)", f.Name(), ErrNotImage)
	}
	if len(l.loads) == 0 {
		return nil, fmt.Errorf("%s: %w (nothing to load)", f.Name(), ErrNotImage)
	}
	for i, p := range l.loads {
		for _, q := range l.loads[i+1:] {
			if p.Paddr < q.Paddr+q.Filesz && q.Paddr < p.Paddr+p.Filesz {
				return nil, fmt.Errorf("%s: %w (segments at %#x and %#x overlap)", f.Name(), ErrNotImage, p.Paddr, q.Paddr)
			}
		}
	}
	return l, nil
}

// writeLayout writes l's segments from the image to out at their
// physical addresses and makes out size bytes long (the rest are holes).
func (l *imageLayout) writeLayout(out *os.File, size int64) error {
	if l.end > uint64(size) {
		return fmt.Errorf("the image ends at %#x, past the %s memory file", l.end, FormatSize(uint64(size)))
	}
	for _, p := range l.loads {
		w := io.NewOffsetWriter(out, int64(p.Paddr))
		if _, err := io.Copy(w, io.NewSectionReader(p.ReaderAt, 0, int64(p.Filesz))); err != nil {
			return fmt.Errorf("writing the segment at %#x: %w", p.Paddr, err)
		}
	}
	return out.Truncate(size)
}

// ELF64 sizes.
const (
	elfHeaderSize  = 64
	progHeaderSize = 56
	stubPage       = 4096
)

// stub returns the stub ELF for l: header, one PT_NOTE per image note (the
// same bytes and alignment: QEMU reads the PVH entry from them) and a
// PT_LOAD of the first stubLoadBytes of the lowest segment, at the same
// address.
func (l *imageLayout) stub() ([]byte, error) {
	low := l.loads[0]
	for _, p := range l.loads[1:] {
		if p.Paddr < low.Paddr {
			low = p
		}
	}
	load := make([]byte, min(low.Filesz, stubLoadBytes))
	if _, err := low.ReadAt(load, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading the segment at %#x: %w", low.Paddr, err)
	}
	nph := 1 + len(l.notes)
	off := uint64(elfHeaderSize + progHeaderSize*nph)
	type seg struct {
		typ                        elf.ProgType
		flags                      elf.ProgFlag
		off, vaddr, paddr, n, algn uint64
		data                       []byte
	}
	var segs []seg
	for i, n := range l.notes {
		a := max(l.align[i], 1)
		off = (off + a - 1) / a * a
		segs = append(segs, seg{elf.PT_NOTE, elf.PF_R, off, 0, 0, uint64(len(n)), a, n})
		off += uint64(len(n))
	}
	// The loaded bytes at an offset congruent to their address modulo
	// the page, as ELF wants of a loadable segment.
	off = (off+stubPage-1)/stubPage*stubPage + low.Paddr%stubPage
	vaddr := low.Vaddr
	segs = append(segs, seg{elf.PT_LOAD, elf.PF_R | elf.PF_X, off, vaddr, low.Paddr, uint64(len(load)), stubPage, load})
	size := off + uint64(len(load))
	b := make([]byte, size)
	le := binary.LittleEndian
	copy(b, elf.ELFMAG)
	b[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	b[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	b[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	le.PutUint16(b[16:], uint16(elf.ET_EXEC))
	le.PutUint16(b[18:], uint16(elf.EM_X86_64))
	le.PutUint32(b[20:], uint32(elf.EV_CURRENT))
	le.PutUint64(b[24:], l.entry)
	le.PutUint64(b[32:], elfHeaderSize) // program headers
	le.PutUint16(b[52:], elfHeaderSize)
	le.PutUint16(b[54:], progHeaderSize)
	le.PutUint16(b[56:], uint16(nph))
	for i, s := range segs {
		h := b[elfHeaderSize+progHeaderSize*i:]
		le.PutUint32(h, uint32(s.typ))
		le.PutUint32(h[4:], uint32(s.flags))
		le.PutUint64(h[8:], s.off)
		le.PutUint64(h[16:], s.vaddr)
		le.PutUint64(h[24:], s.paddr)
		le.PutUint64(h[32:], s.n)
		le.PutUint64(h[40:], s.n)
		le.PutUint64(h[48:], s.algn)
		copy(b[s.off:], s.data)
	}
	return b, nil
}
