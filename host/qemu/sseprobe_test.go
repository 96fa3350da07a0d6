package qemu

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"testing"
)

func TestSSEProbeImage(t *testing.T) {
	img := sseProbeImage()
	f, err := elf.NewFile(bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	if f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64 || f.Type != elf.ET_EXEC {
		t.Errorf("header: %v %v %v", f.Class, f.Machine, f.Type)
	}
	var load, note *elf.Prog
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_LOAD:
			load = p
		case elf.PT_NOTE:
			note = p
		}
	}
	if load == nil || note == nil || len(f.Progs) != 2 {
		t.Fatalf("want one PT_LOAD and one PT_NOTE, got %v", f.Progs)
	}
	if load.Off != 0 || load.Paddr != probeBase || load.Filesz != uint64(len(img)) {
		t.Errorf("PT_LOAD: %+v", load.ProgHeader)
	}
	n := img[note.Off : note.Off+note.Filesz]
	le := binary.LittleEndian
	if le.Uint32(n[0:]) != 4 || le.Uint32(n[4:]) != 4 || le.Uint32(n[8:]) != xenElfnotePhys32Entry || string(n[12:16]) != "Xen\x00" {
		t.Errorf("note header: % x", n)
	}
	entry := uint64(le.Uint32(n[16:]))
	if entry != f.Entry || entry != probeBase+probeCodeOff {
		t.Errorf("note entry %#x, ELF entry %#x", entry, f.Entry)
	}
	if le.Uint32(img[note.Off+note.Filesz:]) != 0 {
		t.Errorf("the 4 bytes after the note descriptor must be zero")
	}
	if (probeBase+probeDataOff)%16 != 0 || (probeBase+probeOutOff)%16 != 0 {
		t.Errorf("movaps operands are not 16-byte aligned")
	}
	if probeDataOff < int(note.Off+note.Filesz)+4 {
		t.Errorf("data overlaps the note")
	}
}
