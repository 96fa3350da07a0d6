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

// setupCPU loads the GDT, TSS and IDT of core c, its GS base and the
// SYSCALL entry (one arch.LoadCPU), and prepares its interrupt stacks
// and KernelG. Every core runs it once, at its start.
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
	// The three stacks' tops without a loop (its test is a translated
	// block under TCG).
	c.tss.SetIST(1, uint64(base+istStackSize))
	c.tss.SetIST(2, uint64(base+istSlot+istStackSize))
	c.tss.SetIST(3, uint64(base+2*istSlot+istStackSize))
	c.tss.SetIOMapBase(uint16(len(c.tss)))
	c.gdt.Init(&c.tss)
	var s arch.CPUSetup
	c.gdt.Setup(&s, &idt, uint64(c.self), uint64(syscallEntryAddr()))
	arch.LoadCPU(&s)
}

// setupCPU sets the interrupt stacks' tops one by one: a compile-time
// check that there are three.
var (
	_ [istStacks - 3]struct{}
	_ [3 - istStacks]struct{}
)

// setupIDT fills the IDT with the vector stubs.
//
//go:nosplit
func setupIDT() {
	stubs := vectorsAddr()
	for v := range idt {
		idt.SetInterruptGate(v, uint64(stubs)+16*uint64(v), vectorIST(v))
	}
}

// doubleIST are the vectors with the double-fault stack: NMI, double
// fault and machine check.
const doubleIST = 1<<2 | 1<<8 | 1<<18

// vectorIST returns the interrupt stack of vector v: istDouble for
// doubleIST's, istExcept for the other exceptions (below 32), istIRQ
// above. Without a branch: under TCG each is a translated block, and
// setupIDT's loop had four.
func vectorIST(v int) uint8 {
	exc := uint8(uint(v-32) >> 63) // 1 below 32
	return istIRQ + exc*(1+uint8(uint64(doubleIST)>>uint(v)&1))
}
