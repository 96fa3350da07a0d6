package kernel

import "unsafe"

// maxCPUs bounds the per-CPU tables.
const maxCPUs = 16

// cpu is one core's kernel instance. The assembly reaches its first fields
// through GS (offsets in trap_amd64.s; checked by TestCPUOffsets).
type cpu struct {
	self      uintptr // 0: address of this struct
	scratch   uint64  // 8
	scratch2  uint64  // 16
	kstackTop uintptr // 24: top of the running thread's kernel stack
	curKG     uintptr // 32: running thread's kernelG
	curFX     uintptr // 40: running thread's FXSAVE area
	kdepth    uint64  // 48: 1 while kernel code runs for the running thread
	istKG     uintptr // 56: kernelG covering the interrupt stacks
	istFX     uintptr // 64: FXSAVE area for kernel-mode interrupts

	id   int
	cur  int32 // running thread index
	idle bool  // halted in the idle loop

	runq runQueue

	timerArmed   int64 // deadline (ns) the local timer is programmed for, 0 if none
	sliceEnd     int64 // when the running thread's time slice ends
	lapicTimerHz uint64

	istKGv kernelG
	istFXv [512 + 16]byte
	gdt    [7]uint64
	tss    tss
	ist    [istStacks][istStackSize]byte
}

const (
	istStacks    = 3
	istStackSize = 16384
)

var cpus [maxCPUs]cpu

// thisCPU returns the running core's cpu. Single-core for now; SMP reads
// GS:0.
func thisCPU() *cpu { return &cpus[0] }

// align16 returns the first 16-byte aligned address in b.
func align16(b []byte) uintptr {
	return (uintptr(unsafe.Pointer(&b[0])) + 15) &^ 15
}
