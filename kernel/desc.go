package kernel

import (
	"encoding/binary"
	"unsafe"

	"github.com/gotoro/gotoro/kernel/arch"
)

// Segment selectors of the per-CPU GDT.
const (
	selKernelCode = 0x08
	selKernelData = 0x10
	selTSS        = 0x28
)

// tss is the 64-bit task state segment, a packed 104-byte structure (its
// 64-bit fields are only 4-byte aligned, so it is kept as bytes). Only the
// IST pointers and the I/O map base are used.
type tss [104]byte

func (t *tss) setIST(i int, v uint64) { binary.LittleEndian.PutUint64(t[36+8*i:], v) }

func (t *tss) setIOMapBase(v uint16) { binary.LittleEndian.PutUint16(t[102:], v) }

// Interrupt stack assignment (1-based IST indexes).
const (
	istIRQ    = 1 // external interrupts
	istExcept = 2 // exceptions
	istDouble = 3 // double fault, NMI, machine check
)

type idtGate struct {
	offLo    uint16
	sel      uint16
	ist      uint8
	attr     uint8
	offMid   uint16
	offHi    uint32
	reserved uint32
}

var idt [256]idtGate

// pseudoDesc is the operand of LGDT/LIDT.
type pseudoDesc struct {
	_     [3]uint16 // aligns base to 8 and limit to 6 so the pair is packed
	limit uint16
	base  uint64
}

// setupCPU loads the GDT, TSS and IDT of core c and prepares its interrupt
// stacks and kernelG.
func setupCPU(c *cpu) {
	c.self = uintptr(unsafe.Pointer(c))
	base := uintptr(unsafe.Pointer(&c.ist[0][0]))
	c.istKGv.setStack(base, base+uintptr(len(c.ist))*istStackSize)
	c.istKG = uintptr(unsafe.Pointer(&c.istKGv))
	c.istFX = c.istFXv.addr()
	for i := range c.ist {
		c.tss.setIST(i, uint64(uintptr(unsafe.Pointer(&c.ist[i][0]))+istStackSize))
	}
	c.tss.setIOMapBase(uint16(len(c.tss)))

	c.gdt[1] = 0x00AF9A000000FFFF // 64-bit code
	c.gdt[2] = 0x00CF92000000FFFF // data
	c.gdt[3] = 0x00AFFA000000FFFF // unused user code (SYSRET layout)
	c.gdt[4] = 0x00CFF2000000FFFF // unused user data
	tb := uint64(uintptr(unsafe.Pointer(&c.tss)))
	tl := uint64(unsafe.Sizeof(c.tss) - 1)
	c.gdt[5] = tl&0xFFFF | (tb&0xFFFFFF)<<16 | 0x89<<40 | (tl>>16&0xF)<<48 | (tb>>24&0xFF)<<56
	c.gdt[6] = tb >> 32

	var p pseudoDesc
	p.limit = uint16(unsafe.Sizeof(c.gdt) - 1)
	p.base = uint64(uintptr(unsafe.Pointer(&c.gdt)))
	arch.Lgdt(uintptr(unsafe.Pointer(&p.limit)))
	arch.ReloadSegments()
	arch.Ltr(selTSS)

	p.limit = uint16(unsafe.Sizeof(idt) - 1)
	p.base = uint64(uintptr(unsafe.Pointer(&idt)))
	arch.Lidt(uintptr(unsafe.Pointer(&p.limit)))

	arch.Wrmsr(msrGSBase, uint64(c.self))
	arch.Wrmsr(msrKernelGSBase, 0)
}

// setupIDT fills the IDT with the vector stubs.
func setupIDT() {
	stubs := vectorsAddr()
	for v := range idt {
		addr := uint64(stubs) + 16*uint64(v)
		ist := uint8(istIRQ)
		switch {
		case v == 2 || v == 8 || v == 18:
			ist = istDouble
		case v < 32:
			ist = istExcept
		}
		idt[v] = idtGate{
			offLo:  uint16(addr),
			sel:    selKernelCode,
			ist:    ist,
			attr:   0x8E, // present, DPL 0, 64-bit interrupt gate
			offMid: uint16(addr >> 16),
			offHi:  uint32(addr >> 32),
		}
	}
	checkVectors(stubs)
	checkIdleHalt()
}

// checkVectors verifies that stub n really starts at stubs+16n with
// "push imm32 n" after its two-byte error-code slot.
func checkVectors(stubs uintptr) {
	for v := 0; v < 256; v++ {
		p := stubs + 16*uintptr(v)
		if *(*uint8)(ptr(p + 2)) != 0x68 || *(*uint32)(ptr(p + 3)) != uint32(v) {
			kpanic("interrupt stub layout is wrong")
		}
	}
}

// Model-specific registers.
const (
	msrEFER         = 0xC0000080
	msrSTAR         = 0xC0000081
	msrLSTAR        = 0xC0000082
	msrFMASK        = 0xC0000084
	msrFSBase       = 0xC0000100
	msrGSBase       = 0xC0000101
	msrKernelGSBase = 0xC0000102
)

// setupSyscall points SYSCALL at syscallEntry. FMASK clears IF, TF, DF, AC
// and NT on entry.
func setupSyscall() {
	arch.Wrmsr(msrSTAR, uint64(selKernelCode)<<32|uint64(0x18)<<48)
	arch.Wrmsr(msrLSTAR, uint64(syscallEntryAddr()))
	arch.Wrmsr(msrFMASK, 0x47700)
}

// ptr converts an address held as uintptr (kernel memory, never the Go
// heap) into a pointer.
func ptr(p uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&p))
}
