// Package mm is the gotoro kernel's memory management below the VMA
// table: the physical page allocator (a global pool fed from the PVH
// memory map, behind lock-free per-core pools), the pin map that keeps a
// page a device still uses out of the pools, and the x86-64 page tables
// (building and walking them, the shared zero page, and freeing unmapped
// pages after a TLB shootdown). Physical memory is identity-mapped, so a
// physical address is also the kernel's address of the page.
//
// What stays in package kernel: the VMA table and the page-fault logic
// (vm.go, vm_file.go: file mappings call into /tmp and virtio-fs), the
// DMA of user buffers (virtio_dma.go, which pins through this package),
// the kernel-stack pool carved from the block Init reserves, and the
// out-of-memory report.
//
// The package needs two things from the kernel above it: a TLB shootdown
// (the inter-processor interrupt and its acknowledgement belong to the
// per-CPU block) and, while it spins on its lock, the servicing of
// shootdowns other cores ask for. The kernel gives them as a Host
// (SetHost, once, at boot before the Go runtime starts). The current
// core, which picks the page pool, is read from the per-CPU block at GS
// (arch.CoreID), so the allocation path makes no indirect call. Like all
// of the kernel the package allocates nothing, stores no Go pointers in
// its state except that hook and has no package initialisation.
//
// Concurrency: a core's pool is used by that core only (interrupts are
// off in kernel code), other cores hand it pages through a lock-free
// inbox, and the global pool has its own spin lock. Page tables are
// created and leaf entries set by compare-and-swap (PTE, SetLeaf), so page
// faults on several cores back pages at once without a lock, and the
// zero page is made the same way. Clearing and changing entries
// (WalkRange) and the batch of unmapped pages (Changed, Flush) are the
// kernel's business under its big lock, which also keeps faults out of
// the range (the kernel's VMA lock, vm.go).
package mm

import "unsafe"

const (
	// PageSize is the size of a page, the unit of allocation.
	PageSize = 4096
	// PageShift is log2(PageSize).
	PageShift = 12
	// IdentityLimit is the end of the boot identity map (4 GiB).
	IdentityLimit = 1 << 32
	// MaxDirect bounds the direct map: the first PML4 entry (512 GiB).
	MaxDirect = 512 << 30
)

// A Host is what the kernel provides to the package. Its methods take and
// return nothing, so a call through the interface moves nothing to the
// heap.
type Host interface {
	// TLBShootdown makes every other core drop the user translations it
	// may have cached, and returns once all have.
	TLBShootdown()
	// TLBService performs a shootdown another core asked of the running
	// one; called while spinning on a lock, so that a core waiting for
	// this one's acknowledgement is not stuck behind it.
	TLBService()
}

var host Host

// SetHost sets the kernel's side of the package. The kernel calls it once,
// at boot, before the Go runtime starts (it stores the interface value
// without a write barrier being active), and before the first Alloc.
//
//go:noinline
//go:nosplit
func SetHost(h Host) { host = h }

// ptr converts an address held as uintptr (identity-mapped memory, never
// the Go heap) into a pointer.
func ptr(p uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&p))
}
