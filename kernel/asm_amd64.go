package kernel

// entry64 is the PVH 64-bit entry (entry_amd64.s); the image is linked with
// it as the ELF entry point.
func entry64()

// rt0Addr returns the Go runtime's Linux entry point, _rt0_amd64_linux.
func rt0Addr() uintptr

// stiHlt is the idle halt: it stores its stack pointer in the core's
// haltSP, then STI; HLT; CLI (percpu_amd64.s, idle.go). stiHltAddr is its
// address.
func stiHlt()
func stiHltAddr() uintptr
