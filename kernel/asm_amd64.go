package kernel

import tsc "github.com/gotoro/gotoro/internal/rdtsc"

// Declarations of the assembly helpers in cpu_amd64.s.

func outb(port uint16, val uint8)
func inb(port uint16) uint8
func outl(port uint16, val uint32)
func rdmsr(msr uint32) uint64
func wrmsr(msr uint32, val uint64)
func cpuid(leaf, sub uint32) (a, b, c, d uint32)
func readCR2() uint64
func readCR3() uint64
func writeCR3(v uint64)
func invlpg(addr uintptr)
func lgdt(p uintptr)
func lidt(p uintptr)
func ltr(sel uint16)
func reloadSegments()
func hlt()
func stiHlt()
func stiHltAddr() uintptr
func pause()
func fxsave(p uintptr)
func rdrand() (v uint64, ok bool)
func getFP() uintptr

// entry64 is the PVH 64-bit entry (entry_amd64.s); the image is linked with
// it as the ELF entry point.
func entry64()

// rt0Addr returns the Go runtime's Linux entry point, _rt0_amd64_linux.
func rt0Addr() uintptr

// Control registers and XCR0 (fpu_amd64.s).
func readCR4() uint64
func writeCR4(v uint64)
func xsetbv(reg uint32, v uint64)
func xgetbv(reg uint32) uint64

// mfence is MFENCE; LFENCE (cpu_amd64.s).
func mfence()

// rdtsc reads the time-stamp counter (package rdtsc has the instruction).
func rdtsc() uint64 { return tsc.Read() }
