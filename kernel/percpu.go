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

	runq runQueue
	// inbox is the head (thread index + 1) of a lock-free list of threads
	// other cores made runnable here; only this core takes them off.
	inbox    int32
	nthreads int32  // threads placed on this core (for clone placement)
	tlbAck   uint64 // last TLB shootdown generation this core performed

	// The idle context: the stack the core halts on when no thread is
	// runnable (the boot stack on core 0, a kernel stack on the others).
	idleKSP   uintptr
	idleStack uintptr
	idleOn    uint32 // swtch's "left the stack" flag for the idle context
	idleKG    percpu.KernelG
	idleTLS   [2]uintptr

	idleNs int64 // time halted in the idle loop (atomic; /proc/stat)
	// idleSince is when the current halt began, 0 while not halted
	// (atomic): /proc counts a halt in progress as idle time.
	idleSince int64
	// busyShown and idleShown are the largest busy and idle times /proc
	// has reported for this core (atomic), so that its figures never go
	// back when a reader races with the end of a halt.
	busyShown  int64
	idleShown  int64
	timerArmed int64 // deadline (ns) the local timer is programmed for, 0 if none
	sliceEnd   int64 // when the running thread's time slice ends
	// hltShadowed counts interrupts taken between the idle loop's STI and
	// HLT (idle.go).
	hltShadowed  uint64
	hltShadowVec uint64 // the vector of the last of them
	// doubleDelivered counts interrupts delivered a second time at the
	// entry of their own handler, over the idle halt's frame (idle.go).
	doubleDelivered uint64

	// switchedAt is when the running thread (or the idle context) was
	// switched in, for CPU time accounting (sched.go).
	switchedAt int64

	// pinned is the description (index + 1) an unlocked read or write on
	// this core is using, 0 if none (fdPin).
	pinned int32

	// hltLeftAt is when the core last left its idle halt, and wakeStats
	// its cross-core wake-ups by path (wakestat.go, ktrace only).
	hltLeftAt int64
	wakeStats [wakePathsNum]wakeStat

	istKGv percpu.KernelG
	istFXv percpu.FPUArea
	gdt    desc.GDT
	tss    desc.TSS
	ist    [istStacks][istStackSize]byte
}

const (
	istStacks    = 3
	istStackSize = 16384
)

var cpus [maxCPUs]cpu

// thisCPU returns the running core's cpu: GS always holds its address
// (the self field at GS:0).
func thisCPU() *cpu

// ncpu is the number of cores running the kernel.
var ncpu = 1

// align16 returns the first 16-byte aligned address in b.
func align16(b []byte) uintptr {
	return (uintptr(unsafe.Pointer(&b[0])) + 15) &^ 15
}
