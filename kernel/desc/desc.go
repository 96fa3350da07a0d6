// Package desc is the gotoro kernel's x86-64 descriptor tables: the
// per-core GDT with its TSS descriptor, the TSS (interrupt stack
// pointers, I/O map base), the IDT's interrupt gates, the
// pseudo-descriptors LGDT and LIDT load, the segment selectors, and the
// MSRs that hold segment bases and the SYSCALL entry. Formats and loads
// only: where the tables live (the per-CPU block, one IDT for all
// cores), which stacks and entry stubs they point at, stays in package
// kernel.
//
// Like all of the kernel it allocates nothing, stores no Go pointers and
// has no package initialisation.
package desc

import (
	"unsafe"

	"github.com/gotoro/gotoro/internal/byteorder"
	"github.com/gotoro/gotoro/kernel/arch"
)

// Segment selectors of the GDT (GDT.Init).
const (
	SelKernelCode = 0x08
	SelKernelData = 0x10
	SelUserCode   = 0x18 // STAR's SYSRET base; unused: the kernel returns with IRETQ
	SelUserData   = 0x20
	SelTSS        = 0x28
)

// Model-specific registers of segments and SYSCALL.
const (
	MSREFER         = 0xC0000080
	MSRSTAR         = 0xC0000081
	MSRLSTAR        = 0xC0000082
	MSRFMASK        = 0xC0000084
	MSRFSBase       = 0xC0000100
	MSRGSBase       = 0xC0000101
	MSRKernelGSBase = 0xC0000102
)

// A TSS is the 64-bit task state segment, a packed 104-byte structure
// (its 64-bit fields are only 4-byte aligned, so it is kept as bytes).
// Only the interrupt stack table and the I/O map base are used.
type TSS [104]byte

// SetIST sets interrupt stack i (1 to 7, the IST index a gate names) to
// the stack whose top is top.
func (t *TSS) SetIST(i int, top uint64) { byteorder.LittleEndian.PutUint64(t[36+8*(i-1):], top) }

// SetIOMapBase sets the offset of the I/O permission map; the TSS's size
// means there is none (every port is refused outside ring 0).
func (t *TSS) SetIOMapBase(v uint16) { byteorder.LittleEndian.PutUint16(t[102:], v) }

// A GDT is a core's global descriptor table: null, kernel code and data,
// the user code and data SYSRET's layout expects (unused: the kernel
// returns with IRETQ), and the two words of the TSS descriptor.
type GDT [7]uint64

// Init fills g, its TSS descriptor pointing at tss.
func (g *GDT) Init(tss *TSS) {
	g[0] = 0
	g[1] = 0x00AF9A000000FFFF // 64-bit code
	g[2] = 0x00CF92000000FFFF // data
	g[3] = 0x00AFFA000000FFFF // unused user code (SYSRET layout)
	g[4] = 0x00CFF2000000FFFF // unused user data
	g[5], g[6] = tssDescriptor(uint64(uintptr(unsafe.Pointer(tss))), uint64(len(tss)-1))
}

// tssDescriptor encodes the 16-byte system descriptor of an available
// 64-bit TSS at base with the given limit.
func tssDescriptor(base, limit uint64) (lo, hi uint64) {
	lo = limit&0xFFFF | (base&0xFFFFFF)<<16 | 0x89<<40 | (limit>>16&0xF)<<48 | (base>>24&0xFF)<<56
	return lo, base >> 32
}

// Setup fills s with what a core loads (arch.LoadCPU): g, whose TSS
// descriptor GDT.Init wrote, idt, the task register (SelTSS), its GS
// base gs (the per-CPU block), a kernel GS base of 0, and SYSCALL's entry
// at lstar with the kernel's selectors in STAR and FMASK clearing IF,
// TF, DF, AC and NT on entry.
//
//go:nosplit
func (g *GDT) Setup(s *arch.CPUSetup, idt *IDT, gs, lstar uint64) {
	s.GDTLimit = uint16(unsafe.Sizeof(*g) - 1)
	s.GDTBase = uint64(uintptr(unsafe.Pointer(g)))
	s.IDTLimit = uint16(unsafe.Sizeof(*idt) - 1)
	s.IDTBase = uint64(uintptr(unsafe.Pointer(idt)))
	s.TR = SelTSS
	// The template copied once, then the two values of this core: a
	// composite literal with them is built in a temporary and copied
	// again (under TCG, 20 more instructions to translate at boot).
	s.MSRs = setupMSRs
	s.MSRs[0].Value, s.MSRs[3].Value = gs, lstar
}

// setupMSRs are the MSR writes of Setup, without GS's base (index 0) and
// SYSCALL's entry (index 3), which it fills in.
var setupMSRs = [arch.CPUSetupMSRs]arch.MSRWrite{
	{Index: MSRGSBase},
	{Index: MSRKernelGSBase, Value: 0},
	{Index: MSRSTAR, Value: SelKernelCode<<32 | SelUserCode<<48},
	{Index: MSRLSTAR},
	{Index: MSRFMASK, Value: FMASK},
}

// FMASK is the RFLAGS bits SYSCALL clears: IF, TF, DF, AC and NT.
const FMASK = 0x47700

// A Gate is one IDT entry.
type Gate struct {
	offLo    uint16
	sel      uint16
	ist      uint8
	attr     uint8
	offMid   uint16
	offHi    uint32
	reserved uint32
}

// An IDT is the interrupt descriptor table.
type IDT [256]Gate

// SetInterruptGate makes vector v a present, ring-0, 64-bit interrupt
// gate (interrupts off on entry) to the handler at addr in the kernel's
// code segment, on interrupt stack ist (1 to 7; 0 keeps the stack).
func (t *IDT) SetInterruptGate(v int, addr uint64, ist uint8) {
	t[v] = Gate{
		offLo:  uint16(addr),
		sel:    SelKernelCode,
		ist:    ist,
		attr:   0x8E, // present, DPL 0, 64-bit interrupt gate
		offMid: uint16(addr >> 16),
		offHi:  uint32(addr >> 32),
	}
}
