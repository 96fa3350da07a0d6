// Package arch is the gotoro kernel's CPU layer: the x86-64 instructions
// Go cannot express (port I/O, MSRs, CPUID, control and debug registers,
// descriptor-table loads, TLB invalidation, HLT, PAUSE, fences, RDRAND),
// as thin assembly leaves, 32-bit MMIO register access, and the CPUID
// leaves the boot reads more than once. It imports nothing of the kernel; everything above it may use it.
//
// Like the rest of the kernel it allocates nothing, stores no Go pointers
// and has no package initialisation (kernel/layout_test.go checks all
// three). Assembly that calls into the kernel's Go code (the entry paths,
// the trap and interrupt stubs) stays in package kernel, beside what it
// calls.
package arch

import (
	"unsafe"

	tsc "github.com/gotoro/gotoro/internal/rdtsc"
)

// Port I/O (cpu_amd64.s).
func Outb(port uint16, val uint8)
func Inb(port uint16) uint8
func Outl(port uint16, val uint32)

// Model-specific registers and CPUID (cpu_amd64.s).
func Rdmsr(msr uint32) uint64
func Wrmsr(msr uint32, val uint64)
func CPUID(leaf, sub uint32) (a, b, c, d uint32)

// CoreID returns the running core's number, from the per-CPU block at GS
// (bootabi.CPUIDOffset, which kernel/ktime's TestClockLayout and the
// kernel's TestLayouts check; cpu_amd64.s). The kernel sets GS on every
// core before it runs any code that calls it.
func CoreID() int64

// Paging: the faulting address, the page-table root, one TLB entry
// (cpu_amd64.s).
func ReadCR2() uint64
func ReadCR3() uint64
func WriteCR3(v uint64)

// WriteProtect sets (on) or clears CR0.WP, which makes read-only pages
// bind ring 0 too (cpu_amd64.s). The kernel clears it only around its
// own stores into the read-only image (the snapshot point's
// breakpoint), interrupts off.
func WriteProtect(on bool)
func Invlpg(addr uintptr)

// CPUSetup is what LoadCPU loads on a core: its GDT and IDT (each a
// pseudo-descriptor as LGDT and LIDT read it, a 16-bit limit then the
// 64-bit base, the limit placed so that the pair is packed), its task
// register and the MSRs it sets once. The assembly reads the fields at
// the offsets go_asm.h gives (CPUSetup_GDTLimit, …).
type CPUSetup struct {
	_        [3]uint16
	GDTLimit uint16
	GDTBase  uint64
	_        [3]uint16
	IDTLimit uint16
	IDTBase  uint64
	TR       uint64 // the TSS's selector
	MSRs     [CPUSetupMSRs]MSRWrite
}

// CPUSetupMSRs is how many MSRs LoadCPU writes: GS's base, the kernel GS
// base, and SYSCALL's STAR, LSTAR and FMASK.
const CPUSetupMSRs = 5

// MSRWrite is one WRMSR: the register and the value.
type MSRWrite struct {
	Index uint64
	Value uint64
}

// LoadCPU loads s on the running core: LGDT, then DS and ES with 0x10,
// CS with 0x08 and SS with 0x10 (one IRETQ), the task register, LIDT,
// then the MSRs in order. Interrupts must be off. One call for what a
// core sets once: under TCG each call and return is a translated block,
// and loading each table and MSR with its own call made eleven
// (cpu_amd64.s).
//
//go:noescape
func LoadCPU(s *CPUSetup)

// Hlt halts until the next interrupt (with interrupts off: forever).
func Hlt()

// Breakpoint executes INT3 (the kernel's self-tests raise an exception
// with it).
func Breakpoint()

// TestInterrupt executes INT 0xEE, a vector no device or IPI uses (the
// kernel's self-tests raise an interrupt with it).
func TestInterrupt()

// TestNMI executes INT 2: the NMI's gate, so its handler runs on the
// NMI's interrupt stack (the kernel's self-tests overflow it so).
func TestNMI()

// Pause is the spin-loop hint.
func Pause()

// MXCSRMask saves the x87/SSE state to the 16-byte aligned 512-byte
// area at p (FXSAVE) and returns its MXCSR_MASK field: the MXCSR bits
// the CPU accepts, 0xFFBF (the architectural default) where the field is
// 0. Without a branch: under TCG each is a translated block.
func MXCSRMask(p uintptr) uint32

// Rdrand returns a hardware random number and whether the CPU delivered
// one (ten tries).
func Rdrand() (v uint64, ok bool)

// FramePointer returns the caller's frame pointer (BP), for stack dumps.
func FramePointer() uintptr

// Mfence is MFENCE; LFENCE: every earlier load and store before every
// later one, and before later instructions such as WRMSR, which is not
// serializing for the x2APIC and TSC-deadline MSRs.
func Mfence()

// Control register 4 and the extended control registers (ctl_amd64.s).
func ReadCR4() uint64
func WriteCR4(v uint64)
func Xsetbv(reg uint32, v uint64)
func Xgetbv(reg uint32) uint64

// EnableXSAVE sets CR4.OSXSAVE and XCR0 to xcr0, then makes a VM exit
// (CPUID) and reports whether XCR0 kept its value across it. One call:
// under TCG each call and return of the four it takes one by one is a
// translated block, and a boot makes it once per core (ctl_amd64.s).
func EnableXSAVE(xcr0 uint64) bool

// Debug registers (debug_amd64.s).
func ReadDR6() uint64
func WriteDR6(v uint64)
func ReadDR7() uint64
func WriteDR7(v uint64)
func WriteDR0(v uint64)
func WriteDR2(v uint64)

// ClearDebug writes 0 to DR7 (no breakpoint enabled), then to DR6.
func ClearDebug()

// Rdtsc reads the time-stamp counter (package rdtsc has the instruction).
func Rdtsc() uint64 { return tsc.Read() }

// MMIORead32 and MMIOWrite32 access the 32-bit device register at the
// identity-mapped address addr. They are not inlined, so the compiler
// neither merges nor drops an access.
//
//go:noinline
func MMIORead32(addr uintptr) uint32 { return *(*uint32)(ptr(addr)) }

//go:noinline
func MMIOWrite32(addr uintptr, v uint32) { *(*uint32)(ptr(addr)) = v }

// ptr converts an address held as uintptr (identity-mapped memory or
// MMIO, never the Go heap) into a pointer.
func ptr(p uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&p))
}
