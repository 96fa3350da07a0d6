package bootabi

// The kernel's trap frame (kernel/trap.go, trapFrame) is what its entry
// assembly saves on the thread's kernel stack on every entry from Go code.
// The profiler (host/prof) reads it from guest memory to name what a vCPU
// is doing in the kernel and to unwind into the Go code below; the kernel's
// layout test keeps trapFrame in step with these offsets.
const (
	TrapFrameRBP    = 9 * 8  // the interrupted code's frame pointer
	TrapFrameRAX    = 15 * 8 // the system-call number while a call is served
	TrapFrameVector = 16 * 8 // what entered the kernel: Vec*, or a hardware vector
	TrapFrameRIP    = 18 * 8
	TrapFrameRSP    = 21 * 8
)

// Vectors in a trap frame's vector field: hardware exceptions and
// interrupts by their IDT number, and two the kernel's system-call entry
// stores.
const (
	VecPageFault = 14
	VecTimer     = 32  // the local APIC timer
	VecSyscall   = 256 // a SYSCALL instruction
	// VecSyscallFX marks a system-call frame whose saved FPU/SSE state is
	// reloaded on return (after rt_sigreturn).
	VecSyscallFX = 257
)
