package kernel

import (
	"unsafe"

	"github.com/gotoro/gotoro/kernel/arch"
	"github.com/gotoro/gotoro/kernel/desc"
)

// The kernel's descriptor tables (formats in package desc): each core's
// GDT and TSS in its cpu block, one IDT for all cores pointing at the
// vector stubs (vectors_amd64.s), and the SYSCALL entry.

// The kernel's selectors, for the frames boot.go and signal.go build.
const (
	selKernelCode = desc.SelKernelCode
	selKernelData = desc.SelKernelData
)

// Interrupt stack assignment (1-based IST indexes).
const (
	istIRQ    = 1 // external interrupts
	istExcept = 2 // exceptions
	istDouble = 3 // double fault, NMI, machine check
)

var idt desc.IDT

// setupCPU loads the GDT, TSS and IDT of core c and prepares its interrupt
// stacks and KernelG. Every core runs it once, at its start.
//
//go:nosplit
func setupCPU(c *cpu) {
	c.self = uintptr(unsafe.Pointer(c))
	c.setCur(c.cur) // core 0 boots as thread 0 (cur's zero value)
	// One kernel g spans the core's three interrupt stacks; the guard
	// page under each catches its overflow (kstack.go).
	base := istBottom(int(c.id), 1)
	c.istKGv.SetStack(base, base+istCoreSize-pageSize)
	c.istKG = uintptr(unsafe.Pointer(&c.istKGv))
	c.istFX = c.istFXv.Addr()
	for i := range istStacks {
		c.tss.SetIST(i+1, uint64(base+uintptr(i)*istSlot+istStackSize))
	}
	c.tss.SetIOMapBase(uint16(len(c.tss)))
	c.gdt.Init(&c.tss)
	c.gdt.Load()
	idt.Load()
	arch.Wrmsr(desc.MSRGSBase, uint64(c.self))
	arch.Wrmsr(desc.MSRKernelGSBase, 0)
}

// setupIDT fills the IDT with the vector stubs.
//
//go:nosplit
func setupIDT() {
	stubs := vectorsAddr()
	// NMI, double fault and machine check get their own stack; the
	// vectors are one mask, not three comparisons (each a translated
	// block under TCG).
	const doubleIST = 1<<2 | 1<<8 | 1<<18
	for v := range idt {
		ist := uint8(istIRQ)
		if v < 32 {
			ist = istExcept
			if doubleIST&(1<<v) != 0 {
				ist = istDouble
			}
		}
		idt.SetInterruptGate(v, uint64(stubs)+16*uint64(v), ist)
	}
}

// setupSyscall points SYSCALL at syscallEntry. FMASK clears IF, TF, DF, AC
// and NT on entry.
//
//go:nosplit
func setupSyscall() {
	arch.Wrmsr(desc.MSRSTAR, uint64(desc.SelKernelCode)<<32|uint64(desc.SelUserCode)<<48)
	arch.Wrmsr(desc.MSRLSTAR, uint64(syscallEntryAddr()))
	arch.Wrmsr(desc.MSRFMASK, 0x47700)
}
