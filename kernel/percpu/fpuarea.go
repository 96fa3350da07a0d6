package percpu

import "unsafe"

// FPUAreaMax bounds a thread's FPU and vector state: the standard-format
// (non-compacted) XSAVE end of Hi16_ZMM on CPUs with the largest layout
// (Intel's, which keeps room for MPX before the AVX-512 components). The
// kernel's fpuSetup gives a CPU that reports a larger size a smaller set of
// state components.
const FPUAreaMax = 2688

// FPUArea is room for one thread's (or one core's interrupt stacks') FPU
// and vector state, FPUAreaMax bytes at a 64-byte aligned start (Addr):
// XSAVE and XRSTOR fault on a less aligned area, and Go aligns a byte
// array to 1 only, so the block keeps 63 bytes of room. The kernel's
// fpu_amd64.s saves into and restores from Addr.
type FPUArea [FPUAreaMax + 63]byte

// Addr returns the 64-byte aligned start of the area.
func (a *FPUArea) Addr() uintptr { return (uintptr(unsafe.Pointer(a)) + 63) &^ 63 }
