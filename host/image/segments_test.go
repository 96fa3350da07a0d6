package image

import (
	"debug/elf"
	"strings"
	"testing"
)

func TestCheckNoOverlap(t *testing.T) {
	load := func(vaddr, size uint64, flags elf.ProgFlag) *elf.Prog {
		return &elf.Prog{ProgHeader: elf.ProgHeader{Type: elf.PT_LOAD, Flags: flags, Vaddr: vaddr, Memsz: size}}
	}
	note := &elf.Prog{ProgHeader: elf.ProgHeader{Type: elf.PT_NOTE, Flags: elf.PF_R | elf.PF_W, Vaddr: 0x222100, Memsz: 8}}
	for _, tc := range []struct {
		name  string
		progs []*elf.Prog
		err   string
	}{
		{"go linker", []*elf.Prog{
			load(0x100000, 0x121231, elf.PF_R|elf.PF_X),
			load(0x222000, 0x18e818, elf.PF_R),
			load(0x3b1000, 0x11520, elf.PF_R|elf.PF_W),
			note,
		}, ""},
		{"data in rodata's last page", []*elf.Prog{
			load(0x222000, 0x18e818, elf.PF_R),
			load(0x3b0900, 0x11520, elf.PF_R|elf.PF_W),
		}, "share a page"},
		{"data in text's first page", []*elf.Prog{
			load(0x100800, 0x1000, elf.PF_R|elf.PF_X),
			load(0x100000, 0x10, elf.PF_R|elf.PF_W),
		}, "share a page"},
		{"adjacent pages", []*elf.Prog{
			load(0x100000, 0x1000, elf.PF_R),
			load(0x101000, 0x10, elf.PF_R|elf.PF_W),
		}, ""},
	} {
		err := checkNoOverlap(tc.progs)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.err)
		}
	}
}

func TestReadOnlyEnd(t *testing.T) {
	load := func(vaddr, size uint64, flags elf.ProgFlag) *elf.Prog {
		return &elf.Prog{ProgHeader: elf.ProgHeader{Type: elf.PT_LOAD, Flags: flags, Vaddr: vaddr, Memsz: size}}
	}
	text, rodata := load(0x100000, 0x121231, elf.PF_R|elf.PF_X), load(0x222000, 0x18e818, elf.PF_R)
	data := load(0x3b1000, 0x11520, elf.PF_R|elf.PF_W)
	for _, tc := range []struct {
		name  string
		progs []*elf.Prog
		want  uint64
		err   string
	}{
		{"go linker", []*elf.Prog{text, rodata, data}, 0x3b1000, ""},
		{"out of order", []*elf.Prog{data, rodata, text}, 0x3b1000, ""},
		{"text only", []*elf.Prog{text, data}, 0x222000, ""},
		{"rodata after data", []*elf.Prog{text, data, load(0x3c3000, 0x10, elf.PF_R)}, 0, "does not follow"},
		{"gap", []*elf.Prog{text, load(0x223000, 0x10, elf.PF_R)}, 0, "does not follow"},
	} {
		got, err := readOnlyEnd(tc.progs)
		if got != tc.want || tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: got %#x, %v; want %#x, %q", tc.name, got, err, tc.want, tc.err)
		}
	}
}
