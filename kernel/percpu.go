package kernel

import (
	"unsafe"

	"github.com/gotoro/gotoro/internal/bootabi"
	"github.com/gotoro/gotoro/kernel/desc"
	"github.com/gotoro/gotoro/kernel/percpu"
)

// maxCPUs bounds the per-CPU tables.
const maxCPUs = bootabi.MaxCPUs

// cpu is one core's kernel instance. The assembly reaches its first fields
// through GS (offsets in trap_amd64.s; checked by TestAsmOffsets and
// TestLayouts).
type cpu struct {
	self      uintptr // 0: address of this struct
	scratch   uint64  // 8
	scratch2  uint64  // 16
	kstackTop uintptr // 24: top of the running thread's kernel stack
	curKG     uintptr // 32: running thread's percpu.KernelG
	curFX     uintptr // 40: running thread's FPU/vector state area
	kdepth    uint64  // 48: 1 while kernel code runs for the running thread
	istKG     uintptr // 56: percpu.KernelG covering the interrupt stacks
	istFX     uintptr // 64: FPU/vector state area for kernel-mode interrupts

	id int64 // 72: core number (bootabi.CPUIDOffset; gotoro.CoreID reads it)
	// haltSP is the stack pointer of the idle halt, stored by stiHlt
	// (percpu_amd64.s) before it enables interrupts (idle.go).
	haltSP uintptr // 80

	cur  int32  // running thread index, -1 in the idle context
	idle uint32 // 1 while halted (or about to halt) in the idle loop
	// polling is 1 while the idle loop watches the inbox before it halts:
	// a waker then sends no IPI (idlepoll.go).
	polling uint32
	online  uint32 // 1 once the core runs its scheduler
	apicID  uint32

	tlbAck uint64 // last TLB shootdown generation this core performed

	// curThread is the address of threads[cur], 0 in the idle context:
	// curThread reads it without an index check, which under TCG is a
	// translated block at each of its many inlined uses.
	curThread uintptr

	// The idle context: the stack the core halts on when no thread is
	// runnable (the boot stack on core 0, a kernel stack on the others).
	idleKSP   uintptr
	idleStack uintptr
	idleOn    uint32 // swtch's "left the stack" flag for the idle context
	idleKG    percpu.KernelG
	idleTLS   [2]uintptr

	istKGv percpu.KernelG
	istFXv percpu.FPUArea
	gdt    desc.GDT
	tss    desc.TSS
}

var cpus [maxCPUs]cpu

// setCur makes thread i (-1: none, the idle context) the running one on c.
func (c *cpu) setCur(i int32) {
	c.cur = i
	c.curThread = 0
	if i >= 0 {
		c.curThread = uintptr(unsafe.Pointer(&threads[i]))
	}
}

// thisCPU returns the running core's cpu: GS always holds its address
// (the self field at GS:0).
func thisCPU() *cpu

// ncpu is the number of cores running the kernel.
var ncpu = 1

// align16 returns the first 16-byte aligned address in b.
func align16(b []byte) uintptr {
	return (uintptr(unsafe.Pointer(&b[0])) + 15) &^ 15
}
