package kernel

import "unsafe"

// Physical memory: free 4 KiB pages below the identity-mapped limit come
// from a list of untouched ranges (bump allocation, so boot does not touch
// every page) and from a free list threaded through returned pages. That
// global pool sits behind per-core pools (pagepool.go), which serve the
// fast path. Contiguous blocks for kernel stacks come from a pool carved out
// at boot.

const (
	pageSize  = 4096
	pageShift = 12
	// identityLimit is the end of the boot identity map (4 GiB).
	identityLimit = 1 << 32
	maxRanges     = 32
)

var phys struct {
	free  uintptr // head of the list of returned pages
	nfree uint64  // free pages anywhere (atomic)
	total uint64
	// The owner map: one byte per page frame, the core whose pool the
	// page belongs to (pagepool.go).
	ownerBase, ownerLen uintptr
	// The pin map: one byte per page frame, how many device requests
	// use the page and whether it was freed meanwhile (virtio_dma.go).
	pinBase uintptr
	nranges int
	ranges  [maxRanges]struct{ next, end uintptr }
}

// physAddRange makes [start, end) available.
func physAddRange(start, end uintptr) {
	start = (start + pageSize - 1) &^ (pageSize - 1)
	end &^= pageSize - 1
	if start >= end || phys.nranges == maxRanges {
		return
	}
	phys.ranges[phys.nranges].next, phys.ranges[phys.nranges].end = start, end
	phys.nranges++
	n := uint64(end-start) / pageSize
	phys.nfree += n
	phys.total += n
}

// globalAlloc takes a page from the global pool, or returns 0. The caller
// holds physLock.
func globalAlloc() uintptr {
	p := phys.free
	if p != 0 {
		phys.free = *(*uintptr)(ptr(p))
		return p
	}
	for i := 0; i < phys.nranges; i++ {
		r := &phys.ranges[i]
		if r.next < r.end {
			p = r.next
			r.next += pageSize
			return p
		}
	}
	return 0
}

// globalFree returns page p to the global pool. The caller holds physLock.
func globalFree(p uintptr) {
	*(*uintptr)(ptr(p)) = phys.free
	phys.free = p
}

func memclrPage(p uintptr) {
	b := (*[pageSize]byte)(ptr(p))
	clear(b[:])
}

// Kernel stacks: fixed-size contiguous blocks from a pool reserved at boot:
// one per thread, up to maxThreads, fewer in a small guest (one per
// kstackRAM of RAM, at least kstackMin), so that a 32 MiB guest does not
// give a quarter of its memory to stacks of threads it will never have.
const (
	kstackSize = 32 << 10
	kstackMin  = 64
	kstackRAM  = 512 << 10
)

var kstackPool struct {
	base uintptr
	n    int // stacks in the pool
	used [maxThreads]bool
}

// kstackCount returns how many kernel stacks a guest whose RAM ends at
// top gets.
func kstackCount(top uintptr) int {
	return int(min(max(top/kstackRAM, kstackMin), maxThreads))
}

func kstackInit(base uintptr, n int) { kstackPool.base, kstackPool.n = base, n }

// kstackAlloc returns the base of a free kernel stack, or 0.
func kstackAlloc() uintptr {
	for i := range kstackPool.used[:kstackPool.n] {
		if !kstackPool.used[i] {
			kstackPool.used[i] = true
			return kstackPool.base + uintptr(i)*kstackSize
		}
	}
	return 0
}

func kstackFree(base uintptr) {
	kstackPool.used[(base-kstackPool.base)/kstackSize] = false
}

// hvmStartInfo is the PVH boot information (xen/include/public/arch-x86/hvm/start_info.h).
type hvmStartInfo struct {
	magic         uint32
	version       uint32
	flags         uint32
	nrModules     uint32
	modlistPaddr  uint64
	cmdlinePaddr  uint64
	rsdpPaddr     uint64
	memmapPaddr   uint64
	memmapEntries uint32
	_             uint32
}

type hvmMemmapEntry struct {
	addr, size uint64
	typ, _     uint32
}

const hvmStartMagic = 0x336ec578

// memInit builds the free lists from the PVH memory map, leaving out the
// first MiB, the image and what the boot block reserves, and the kernel
// stack pool it carves first.
func memInit(si *hvmStartInfo, reservedTo uintptr) {
	if si.memmapPaddr == 0 || si.memmapEntries == 0 {
		kpanic("no memory map in hvm_start_info")
	}
	ents := unsafe.Slice((*hvmMemmapEntry)(ptr(uintptr(si.memmapPaddr))), si.memmapEntries)
	pool := uintptr(0)
	top := uintptr(0)
	for _, e := range ents {
		if e.typ == 1 {
			top = max(top, min(uintptr(e.addr+e.size), maxDirect))
		}
	}
	nstacks := kstackCount(top)
	poolSize := uintptr(nstacks) * kstackSize
	ownerSize := (top>>pageShift + pageSize - 1) &^ (pageSize - 1)
	poolSize += 2 * ownerSize // the owner map and the pin map
	for _, e := range ents {
		if e.typ != 1 {
			continue
		}
		start, end := uintptr(e.addr), uintptr(e.addr+e.size)
		if start >= identityLimit {
			// RAM above 4 GiB (guests with more than ~3 GiB): extend the
			// direct map over it once low memory can hold the tables.
			highRAM[nhigh%len(highRAM)] = [2]uintptr{start, end}
			nhigh++
			continue
		}
		if end > identityLimit {
			end = identityLimit
		}
		if start < reservedTo {
			start = reservedTo
		}
		if start < 1<<20 {
			start = 1 << 20
		}
		if start >= end {
			continue
		}
		start = (start + pageSize - 1) &^ (pageSize - 1)
		if pool == 0 && end-start > poolSize+(4<<20) {
			pool = start
			start += poolSize
		}
		physAddRange(start, end)
	}
	if pool == 0 {
		kpanic("not enough memory for the kernel's stacks and tables: give the guest more with -mem")
	}
	kstackInit(pool, nstacks)
	phys.ownerBase, phys.ownerLen = pool+uintptr(nstacks)*kstackSize, top>>pageShift
	clear(unsafeSlice(phys.ownerBase, ownerSize))
	phys.pinBase = phys.ownerBase + ownerSize
	clear(unsafeSlice(phys.pinBase, ownerSize))
	for i := 0; i < nhigh && i < len(highRAM); i++ {
		start, end := highRAM[i][0], highRAM[i][1]
		if end > maxDirect {
			end = maxDirect
		}
		if start < end && directMapExtend(end) {
			physAddRange(start, end)
		}
	}
}

// RAM ranges above 4 GiB found in the memory map.
var (
	highRAM [8][2]uintptr
	nhigh   int
)

// maxDirect bounds the direct map: the first PML4 entry (512 GiB).
const maxDirect = 512 << 30

// directTop is the end of the direct (identity) map of physical memory;
// the Go program's address space starts above it.
var directTop uintptr = identityLimit

// directMapExtend identity-maps [directTop, end) with 2 MiB pages, a page
// directory per GiB, and moves directTop (and so userMin) up.
func directMapExtend(end uintptr) bool {
	end = (end + 1<<30 - 1) &^ (1<<30 - 1)
	pdpt := uintptr(*(*uint64)(ptr(pml4)) & pteAddr)
	for gb := directTop; gb < end; gb += 1 << 30 {
		pd := physAlloc()
		if pd == 0 {
			return false
		}
		for i := uintptr(0); i < 512; i++ {
			*(*uint64)(ptr(pd + 8*i)) = uint64(gb+i<<21) | pteP | pteW | ptePS
		}
		*(*uint64)(ptr(pdpt + 8*(gb>>30))) = uint64(pd) | pteP | pteW
		directTop = gb + 1<<30
	}
	return true
}
