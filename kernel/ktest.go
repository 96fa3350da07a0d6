package kernel

import (
	"unsafe"

	"github.com/gotoro/gotoro/kernel/arch"
)

// Kernel self-tests, asked for with ktest= on the command line (the boot
// cases in internal/bootcase run them): each makes the kernel fail on
// purpose, to check that the failure is reported and not silent.
//
//	ktest=panic      a kernel panic at the end of the boot
//	ktest=bootstack  the boot stack (core 0's idle stack) overflows
//	ktest=ist        the exceptions' interrupt stack overflows (an INT3
//	                 taken in kernel code recurses in its handler)
//	ktest=irqstack   the external interrupts' stack overflows (INT 0xEE,
//	                 taken with interrupts disabled, recurses where the
//	                 kernel stops on such an interrupt)
//	ktest=kstack     the first system call without a handler overflows
//	                 the kernel stack of the thread that made it
//	ktest=nmistack   the double-fault/NMI/machine-check stack overflows
//	                 (INT 2, through the NMI's gate, recurses in its
//	                 handler)
//	ktest=rowrite    the kernel writes into its read-only data
//	                 (imagero.go: the fault report names the write)
//	ktest=hang       the boot core takes the big kernel lock twice (it
//	                 is not reentrant) and spins in bklLock with
//	                 interrupts off, silent: the boot cases' stall
//	                 report must name the loop, its callers and the
//	                 lock's owner (TestStallReport)
//	ktest=ist-syscall  the first system call without a handler raises
//	                 INT3, overflowing the exceptions' interrupt stack of
//	                 the core the calling thread runs on (another core
//	                 than 0 when the program pins the thread there)
//
// The overflows recurse through an interface in a nosplit method: the
// linker takes the indirect call for a call of a splittable function,
// so no stack check bounds the chain, as for the kernel's nosplit system
// calls reached through the system-call table. Only the guard page below
// the stack stops it.

// ktestArmed is the self-test waiting for its trigger (ktestKStack,
// ktestIST), 0 for none.
var ktestArmed int

const (
	ktestKStack = 1 + iota
	ktestIST
	ktestIRQ
	ktestISTSyscall
	ktestNMI
)

// ktestVector is the vector arch.TestInterrupt raises.
const ktestVector = 0xEE

// ktestStart runs or arms the self-test named by ktest= at the end of the
// boot (bootExtraLast).
func ktestStart(name string) {
	switch name {
	case "":
	case "panic":
		kpanic("self-test requested with ktest=panic")
	case "bootstack":
		ktestRecurse(0)
	case "ist":
		ktestArmed = ktestIST
		arch.Breakpoint()
	case "irqstack":
		ktestArmed = ktestIRQ
		arch.TestInterrupt()
	case "kstack":
		ktestArmed = ktestKStack
	case "ist-syscall":
		ktestArmed = ktestISTSyscall
	case "nmistack":
		ktestArmed = ktestNMI
		arch.TestNMI()
	case "rowrite":
		ktestReadOnlyWrite(unsafe.StringData(ktestROData))
	case "hang":
		ktestHang()
	default:
		kprint("gotoro: unknown ktest=" + name + " (known: panic, bootstack, ist, irqstack, kstack, ist-syscall, nmistack, rowrite, hang); ignored\n")
	}
}

// ktestROData is what ktest=rowrite writes into: a string constant, in
// the image's read-only data.
const ktestROData = "ktest=rowrite writes here"

// ktestReadOnlyWrite stores into p, which ktest=rowrite points into the
// read-only data: the store must fault (CR0.WP) with the report.
//
//go:noinline
func ktestReadOnlyWrite(p *byte) { *p = 'X' }

// ktestHang deadlocks the calling core on the big kernel lock, which it
// already holds: a spin with interrupts off that never ends, like a lock
// cycle between cores.
//
//go:noinline
func ktestHang() {
	bklLock()
	bklLock()
	bklUnlock()
	bklUnlock()
}

// ktestSyscall is called for a system call without a handler: with
// ktest=kstack it overflows the calling thread's kernel stack, with
// ktest=ist-syscall the exceptions' interrupt stack of the core it runs
// on.
//
//go:nosplit
func ktestSyscall() {
	switch ktestArmed {
	case ktestKStack:
		ktestRecurse(0)
	case ktestISTSyscall:
		ktestArmed = ktestIST
		arch.Breakpoint()
	}
}

// ktestException is called for an exception in kernel code: with
// ktest=ist, INT3 overflows the exceptions' interrupt stack; with
// ktest=nmistack, INT 2 the NMI's.
func ktestException(v uint64) {
	if v == vecBreakpoint && ktestArmed == ktestIST || v == vecNMI && ktestArmed == ktestNMI {
		ktestRecurse(0)
	}
}

// ktestInterrupt is called for an interrupt taken with interrupts
// disabled (maskedInterrupt): with ktest=irqstack, ktestVector overflows
// the external interrupts' stack.
func ktestInterrupt(v uint64) {
	if v == ktestVector && ktestArmed == ktestIRQ {
		ktestRecurse(0)
	}
}

// ktestRecurse uses the stack until it faults.
func ktestRecurse(depth uintptr) uintptr { return ktestRecurser.recurse(depth) }

// A recurser's recurse calls itself through the interface value
// ktestRecurser: the linker takes that for a call of a splittable
// function and checks no chain through it, as for the file kinds' nosplit
// methods. Its frame (a 256-byte buffer it writes) stays within the
// nosplit budget. A zero-size type: the interface value is static data.
type recurser struct{}

var ktestRecurser interface{ recurse(uintptr) uintptr } = &recurser{}

//go:nosplit
func (*recurser) recurse(depth uintptr) uintptr {
	var pad [32]uintptr
	pad[depth%32] = depth
	return ktestRecurser.recurse(depth+1) + pad[depth*7%32]
}
