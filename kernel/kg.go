package kernel

// kernelG stands in for the runtime's g while kernel code runs. Go code
// compiled outside the runtime reads only the first four words of g, in
// function prologues: stack.lo, stack.hi, stackguard0 and stackguard1. On
// every kernel entry the g slot of the current thread's TLS (FS:-8) is
// pointed at the kernelG that describes the kernel stack in use, so that
// ordinary (splittable) Go functions run there; the slot is restored on exit.
//
// Kernel code must therefore never call into the runtime in a way that needs
// an m: no allocation, no maps, no channels, no defer-with-recover, no pointer
// writes into heap or global memory (write barriers). Kernel state holds
// addresses as uintptr.
type kernelG struct {
	stackLo, stackHi         uintptr
	stackGuard0, stackGuard1 uintptr
	pad                      [12]uintptr // zero, as the runtime's fields would be
}

// kgGuard is the room below stackGuard0 (KGUARD in the assembly).
const kgGuard = 1024

// setStack points g at the stack [lo, hi).
func (g *kernelG) setStack(lo, hi uintptr) {
	g.stackLo, g.stackHi = lo, hi
	g.stackGuard0, g.stackGuard1 = lo+kgGuard, lo+kgGuard
}
