package desc

import (
	"encoding/binary"
	"testing"
	"unsafe"

	"github.com/gotoro/gotoro/kernel/arch"
)

// The descriptor formats, checked against the Intel SDM's layouts by
// decoding what the encoders wrote; loading them is tested by every boot.

func TestTSSDescriptor(t *testing.T) {
	for _, c := range []struct{ base, limit uint64 }{
		{0x0000_0000_0010_2000, 103},
		{0xFFFF_8000_DEAD_BEE8, 103},
		{0x0000_7FFF_1234_5678, 0xF_FFFF},
	} {
		lo, hi := tssDescriptor(c.base, c.limit)
		limit := lo&0xFFFF | (lo>>48&0xF)<<16
		base := lo>>16&0xFFFFFF | (lo>>56&0xFF)<<24 | hi<<32
		if limit != c.limit || base != c.base {
			t.Errorf("tssDescriptor(%#x, %d): decodes to base %#x, limit %d", c.base, c.limit, base, limit)
		}
		if typ := lo >> 40 & 0xFF; typ != 0x89 { // present, DPL 0, available 64-bit TSS
			t.Errorf("tssDescriptor(%#x, %d): type byte %#x, want 0x89", c.base, c.limit, typ)
		}
		if g := lo >> 52 & 0xF; g != 0 {
			t.Errorf("tssDescriptor(%#x, %d): flags %#x, want 0 (byte granularity)", c.base, c.limit, g)
		}
		if hi>>32 != 0 {
			t.Errorf("tssDescriptor(%#x, %d): reserved upper word %#x", c.base, c.limit, hi>>32)
		}
	}
}

func TestGDT(t *testing.T) {
	var tss TSS
	var g GDT
	g.Init(&tss)
	base := uint64(uintptr(unsafe.Pointer(&tss)))
	lo, hi := tssDescriptor(base, 103)
	if g[SelTSS/8] != lo || g[SelTSS/8+1] != hi {
		t.Errorf("the TSS descriptor at selector %#x is %#x %#x, want %#x %#x", SelTSS, g[SelTSS/8], g[SelTSS/8+1], lo, hi)
	}
	// Kernel code: present, DPL 0, code, long mode (L=1, D=0).
	code := g[SelKernelCode/8]
	if code>>47&1 != 1 || code>>45&3 != 0 || code>>43&1 != 1 || code>>53&1 != 1 || code>>54&1 != 0 {
		t.Errorf("kernel code descriptor %#x is not a present ring-0 64-bit code segment", code)
	}
	data := g[SelKernelData/8]
	if data>>47&1 != 1 || data>>45&3 != 0 || data>>43&1 != 0 || data>>41&1 != 1 {
		t.Errorf("kernel data descriptor %#x is not a present ring-0 writable data segment", data)
	}
	if u := g[SelUserCode/8]; u>>45&3 != 3 || u>>43&1 != 1 || u>>53&1 != 1 {
		t.Errorf("user code descriptor %#x is not a ring-3 64-bit code segment", u)
	}
	if u := g[SelUserData/8]; u>>45&3 != 3 || u>>43&1 != 0 {
		t.Errorf("user data descriptor %#x is not a ring-3 data segment", u)
	}
}

func TestTSSFields(t *testing.T) {
	var tss TSS
	tss.SetIST(1, 0x1111)
	tss.SetIST(3, 0x3333)
	tss.SetIST(7, 0x7777)
	tss.SetIOMapBase(uint16(len(tss)))
	for _, c := range []struct {
		off  int
		want uint64
	}{{36, 0x1111}, {44, 0}, {52, 0x3333}, {84, 0x7777}} {
		if got := binary.LittleEndian.Uint64(tss[c.off:]); got != c.want {
			t.Errorf("TSS bytes %d–%d: %#x, want %#x", c.off, c.off+7, got, c.want)
		}
	}
	if got := binary.LittleEndian.Uint16(tss[102:]); got != 104 {
		t.Errorf("I/O map base %d, want 104", got)
	}
}

func TestInterruptGate(t *testing.T) {
	if unsafe.Sizeof(Gate{}) != 16 || unsafe.Sizeof(IDT{}) != 4096 {
		t.Fatalf("gate %d bytes, IDT %d bytes; want 16 and 4096", unsafe.Sizeof(Gate{}), unsafe.Sizeof(IDT{}))
	}
	var idt IDT
	const addr = 0xFFFF_8000_1234_5678
	idt.SetInterruptGate(14, addr, 2)
	w := (*[2]uint64)(unsafe.Pointer(&idt[14]))
	got := w[0]&0xFFFF | (w[0]>>48)<<16 | (w[1]&0xFFFFFFFF)<<32
	if got != addr {
		t.Errorf("gate offset %#x, want %#x", got, uint64(addr))
	}
	if sel := w[0] >> 16 & 0xFFFF; sel != SelKernelCode {
		t.Errorf("gate selector %#x, want %#x", sel, SelKernelCode)
	}
	if ist := w[0] >> 32 & 7; ist != 2 {
		t.Errorf("gate IST %d, want 2", ist)
	}
	if attr := w[0] >> 40 & 0xFF; attr != 0x8E {
		t.Errorf("gate type byte %#x, want 0x8E (present, DPL 0, interrupt gate)", attr)
	}
	if w[1]>>32 != 0 || idt[13] != (Gate{}) || idt[15] != (Gate{}) {
		t.Error("SetInterruptGate wrote outside its gate's fields")
	}
}

func TestPseudoDescriptors(t *testing.T) {
	// LGDT and LIDT read a 2-byte limit followed by an 8-byte base.
	var s arch.CPUSetup
	if lo, ba := unsafe.Offsetof(s.GDTLimit), unsafe.Offsetof(s.GDTBase); ba != lo+2 {
		t.Errorf("GDT limit at %d, base at %d: not packed", lo, ba)
	}
	if lo, ba := unsafe.Offsetof(s.IDTLimit), unsafe.Offsetof(s.IDTBase); ba != lo+2 {
		t.Errorf("IDT limit at %d, base at %d: not packed", lo, ba)
	}
}

func TestSetup(t *testing.T) {
	var g GDT
	var idt IDT
	var s arch.CPUSetup
	g.Setup(&s, &idt, 0x1234_5000, 0x10_2000)
	if s.GDTBase != uint64(uintptr(unsafe.Pointer(&g))) || s.GDTLimit != 7*8-1 {
		t.Errorf("GDT pseudo-descriptor base %#x limit %d, want %p and %d", s.GDTBase, s.GDTLimit, &g, 7*8-1)
	}
	if s.IDTBase != uint64(uintptr(unsafe.Pointer(&idt))) || s.IDTLimit != 256*16-1 {
		t.Errorf("IDT pseudo-descriptor base %#x limit %d, want %p and %d", s.IDTBase, s.IDTLimit, &idt, 256*16-1)
	}
	if s.TR != SelTSS {
		t.Errorf("task register %#x, want %#x", s.TR, SelTSS)
	}
	want := [arch.CPUSetupMSRs]arch.MSRWrite{
		{Index: 0xC0000101, Value: 0x1234_5000},       // GS base: the per-CPU block
		{Index: 0xC0000102, Value: 0},                 // kernel GS base
		{Index: 0xC0000081, Value: 0x0018_0008 << 32}, // STAR: kernel CS 0x08, SYSRET base 0x18
		{Index: 0xC0000082, Value: 0x10_2000},         // LSTAR: the entry
		{Index: 0xC0000084, Value: 0x47700},           // FMASK: IF, TF, DF, AC, NT
	}
	if s.MSRs != want {
		t.Errorf("MSRs %#x, want %#x", s.MSRs, want)
	}
}
