package kernel

import (
	"unsafe"

	"github.com/gotoro/gotoro/internal/bootabi"
	"github.com/gotoro/gotoro/kernel/arch"
	"github.com/gotoro/gotoro/kernel/mm"
)

// Kernel stacks and their guard pages. Every stack the kernel runs on has
// a page below it that is not mapped, so that an overflow faults at its
// first byte instead of writing over what lies below (the kernel g's
// software guard, KGuard, only covers splittable Go functions: nosplit
// chains, assembly and indirect calls below them are unchecked). The
// stacks stay in the direct map, whose 2 MiB pages are split into 4 KiB
// pages where a guard lies (mm.Guard); the fault is reported by
// stackOverflow (stackguard.go).
//
//   - thread kernel stacks, and the idle stacks of cores other than 0,
//     come from a pool reserved at boot: slot i is a guard page and a
//     32 KiB stack above it;
//   - each core's three interrupt (IST) stacks lie in istArea, each above
//     a guard page of its own, so that one overflowing does not run into
//     the next;
//   - core 0 boots, and later idles, on bootStack, whose first whole page
//     is its guard.

// Kernel stacks: fixed-size blocks from a pool reserved at boot: one per
// thread, up to maxThreads, fewer in a small guest (one per kstackRAM of
// RAM, at least kstackMin), so that a 32 MiB guest does not give a
// quarter of its memory to stacks of threads it will never have.
const (
	kstackSize = 32 << 10
	kstackSlot = pageSize + kstackSize // the guard page, then the stack
	kstackMin  = 64
	kstackRAM  = 512 << 10
)

var kstackPool struct {
	base uintptr // the first slot (page-aligned)
	n    int     // stacks in the pool
	used [maxThreads]bool
}

// kstackCount returns how many kernel stacks a guest whose RAM ends at
// top gets.
func kstackCount(top uintptr) int {
	return int(min(max(top/kstackRAM, kstackMin), maxThreads))
}

// kstackInit makes the n slots at base the pool. Their guard pages are
// placed by guardBootStacks.
func kstackInit(base uintptr, n int) { kstackPool.base, kstackPool.n = base, n }

// kstackAt returns the base (lowest address) of the pool's stack i.
func kstackAt(i int) uintptr { return kstackPool.base + uintptr(i)*kstackSlot + pageSize }

// kstackAlloc returns the base of a free kernel stack, or 0.
func kstackAlloc() uintptr {
	for i := range kstackPool.used[:kstackPool.n] {
		if !kstackPool.used[i] {
			kstackPool.used[i] = true
			return kstackAt(i)
		}
	}
	return 0
}

func kstackFree(base uintptr) {
	kstackPool.used[(base-kstackPool.base)/kstackSlot] = false
}

// The interrupt stacks: istStacks per core, each istStackSize bytes above
// a guard page, in one page-aligned area (the cpu struct cannot align
// them to pages). The first page of istArea is room for that alignment.
const (
	istStacks    = bootabi.ISTStacks
	istStackSize = bootabi.ISTStackSize
	istSlot      = bootabi.ISTSlot
	istCoreSize  = bootabi.ISTCoreSize
)

var istArea [maxCPUs*istCoreSize + pageSize]byte

// istAreaBase returns the first page boundary in istArea.
func istAreaBase() uintptr {
	return (uintptr(unsafe.Pointer(&istArea[0])) + pageSize - 1) &^ (pageSize - 1)
}

// istBottom returns the lowest address of core's interrupt stack ist
// (1-based, as the TSS numbers them).
func istBottom(core, ist int) uintptr {
	return uintptr(bootabi.ISTBottom(uint64(istAreaBase()), core, ist))
}

// bootStackGuard returns the guard page of the boot stack: its first
// whole page. The stack in use is what lies above it.
func bootStackGuard() uintptr {
	return (uintptr(unsafe.Pointer(&bootStack[0])) + pageSize - 1) &^ (pageSize - 1)
}

// guardBootStacks places the guard pages under the pool's stacks, the
// boot stack and core 0's interrupt stacks, and moves the boot stack's
// kernel g above its guard. It runs at boot, once mm can give pages for
// page tables, before other cores start, and stops the boot if no page
// is left for a page table, or left, what protectImage could not
// protect, is not 0. Its CR3 reload covers both.
//
//go:nosplit
func guardBootStacks(left int) {
	g := bootStackGuard()
	if left|mm.Guard(kstackPool.base, kstackSlot, kstackPool.n, 0)|mm.Guard(g, 0, 1, 0)|
		mm.Guard(istBottom(0, 1)-pageSize, istSlot, istStacks, 0) != 0 {
		kpanic("not enough memory for the page tables of the kernel stacks' guard pages and the read-only image: give the guest more with -mem")
	}
	// Core 0 may hold the 2 MiB translations the guards split.
	arch.WriteCR3(uint64(mm.PML4()))
	bootKG.SetStack(g+pageSize, bootKG.StackHi)
}

// guardISTs places the guard pages under core's interrupt stacks and
// returns how many it could not place (mm.Guard). startAPs calls it on
// core 0 before it starts another core, which loads the tables as they
// are (no other core runs on those stacks, so a translation they cached
// of the pages does not matter); guardBootStacks places core 0's.
//
//go:nosplit
func guardISTs(core int) int {
	return mm.Guard(istBottom(core, 1)-pageSize, istSlot, istStacks, 0)
}
