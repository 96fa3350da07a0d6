package kernel

import "unsafe"

// Physical memory: free 4 KiB pages below the identity-mapped limit come
// from a list of untouched ranges (bump allocation, so boot does not touch
// every page) and from a free list threaded through returned pages.
// Contiguous blocks for kernel stacks come from a pool carved out at boot.

const (
	pageSize  = 4096
	pageShift = 12
	// identityLimit is the end of the boot identity map (4 GiB).
	identityLimit = 1 << 32
	maxRanges     = 32
)

var phys struct {
	free    uintptr // head of the list of returned pages
	nfree   uint64  // pages on the list plus pages left in ranges
	total   uint64
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

// physAlloc returns a zeroed page, or 0 when memory is exhausted.
func physAlloc() uintptr {
	p := phys.free
	if p != 0 {
		phys.free = *(*uintptr)(ptr(p))
	} else {
		for i := 0; i < phys.nranges; i++ {
			r := &phys.ranges[i]
			if r.next < r.end {
				p = r.next
				r.next += pageSize
				break
			}
		}
		if p == 0 {
			return 0
		}
	}
	phys.nfree--
	memclrPage(p)
	return p
}

// physFree returns page p.
func physFree(p uintptr) {
	*(*uintptr)(ptr(p)) = phys.free
	phys.free = p
	phys.nfree++
}

func memclrPage(p uintptr) {
	b := (*[pageSize]byte)(ptr(p))
	clear(b[:])
}

// Kernel stacks: fixed-size contiguous blocks from a pool reserved at boot.
const (
	kstackSize  = 32 << 10
	kstackCount = maxThreads
)

var kstackPool struct {
	base uintptr
	used [kstackCount]bool
}

func kstackInit(base uintptr) { kstackPool.base = base }

// kstackAlloc returns the base of a free kernel stack, or 0.
func kstackAlloc() uintptr {
	for i := range kstackPool.used {
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
	poolSize := uintptr(kstackCount * kstackSize)
	pool := uintptr(0)
	for _, e := range ents {
		if e.typ != 1 {
			continue
		}
		start, end := uintptr(e.addr), uintptr(e.addr+e.size)
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
		if pool == 0 && end-start > poolSize+(16<<20) {
			pool = start
			start += poolSize
		}
		physAddRange(start, end)
	}
	if pool == 0 {
		kpanic("not enough memory for kernel stacks")
	}
	kstackInit(pool)
}
