package percpu

// KernelG stands in for the runtime's g while kernel code runs. Go code
// compiled outside the runtime reads only the first four words of g, in
// function prologues: stack.lo, stack.hi, stackguard0 and stackguard1. On
// every kernel entry the g slot of the current thread's TLS (FS:-8) is
// pointed at the KernelG that describes the kernel stack in use, so that
// ordinary (splittable) Go functions run there; the slot is restored on exit.
// The entry assembly (kernel/entry_amd64.s) fills the boot CPU's KernelG by
// offset: StackLo at 0, StackHi at 8, the guards at 16 and 24 (pinned by
// TestKernelGLayout).
//
// Kernel code must therefore never call into the runtime in a way that needs
// an m: no allocation, no maps, no channels, no defer-with-recover, no pointer
// writes into heap or global memory (write barriers). Kernel state holds
// addresses as uintptr.
type KernelG struct {
	StackLo, StackHi         uintptr
	StackGuard0, StackGuard1 uintptr
	_                        [12]uintptr // zero, as the runtime's fields would be
}

// KGuard is the room kept free below StackGuard0, larger than the runtime's
// StackGuard so that no compiled prologue ever calls morestack (KGUARD in
// kernel/entry_amd64.s, pinned by the kernel's TestAsmDefines). It must
// hold what a //go:nosplit chain can use below the last stack check: the
// linker bounds a chain by its nosplit budget (792 bytes on linux/amd64)
// but takes an indirect call for a call of a splittable function, so a
// nosplit method called through an interface (a file kind's read or
// write, mm.Host's) or a nosplit function called through a function
// value (the system-call table) starts a second chain there. KGuard holds
// the budget, a small frame and the deepest nosplit chain of the kernel
// (632 bytes in an optimized build, 760 with -N -l, in 2026-12-07's
// kernel): TestNosplitGuard checks it in both builds.
const KGuard = 2048

// SetStack points g at the stack [lo, hi).
func (g *KernelG) SetStack(lo, hi uintptr) {
	g.StackLo, g.StackHi = lo, hi
	g.StackGuard0, g.StackGuard1 = lo+KGuard, lo+KGuard
}
