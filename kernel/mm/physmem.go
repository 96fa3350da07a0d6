package mm

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/kernel/arch"
)

// Physical memory: free 4 KiB pages below the identity-mapped limit come
// from a list of untouched ranges (bump allocation, so boot does not touch
// every page) and from a free list threaded through returned pages. That
// global pool sits behind per-core pools (pagepool.go), which serve the
// fast path.

const maxRanges = 32

var phys struct {
	free  uintptr // head of the list of returned pages
	nfree uint64  // free pages anywhere (atomic)
	total uint64
	// The owner map: one byte per page frame, the core whose pool the
	// page belongs to (pagepool.go).
	ownerBase, ownerLen uintptr
	// The pin map: one byte per page frame, how many device requests
	// use the page and whether it was freed meanwhile (pin.go).
	pinBase uintptr
	nranges int
	ranges  [maxRanges]struct{ next, end uintptr }
}

// FreePages returns how many pages are free, in any pool.
func FreePages() uint64 { return atomic.LoadUint64(&phys.nfree) }

// TotalPages returns how many pages the allocator manages.
func TotalPages() uint64 { return phys.total }

// addRange makes [start, end) available.
func addRange(start, end uintptr) {
	start = (start + PageSize - 1) &^ (PageSize - 1)
	end &^= PageSize - 1
	if start >= end || phys.nranges == maxRanges {
		return
	}
	phys.ranges[phys.nranges].next, phys.ranges[phys.nranges].end = start, end
	phys.nranges++
	n := uint64(end-start) / PageSize
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
			r.next += PageSize
			return p
		}
	}
	return 0
}

// globalTakeFresh takes up to n pages never handed out since boot, one
// run from the first range that has any, and returns it as [start, end)
// (empty when the ranges are used up). The caller holds physLock.
func globalTakeFresh(n int) (start, end uintptr) {
	for i := 0; i < phys.nranges; i++ {
		r := &phys.ranges[i]
		if r.next < r.end {
			start = r.next
			r.next = min(r.end, start+uintptr(n)*PageSize)
			return start, r.next
		}
	}
	return 0, 0
}

// globalFree returns page p to the global pool. The caller holds physLock.
func globalFree(p uintptr) {
	*(*uintptr)(ptr(p)) = phys.free
	phys.free = p
}

func memclrPage(p uintptr) {
	b := (*[PageSize]byte)(ptr(p))
	clear(b[:])
}

// MemmapEntry is an entry of the PVH memory map (hvm_memmap_table_entry in
// xen/include/public/arch-x86/hvm/start_info.h).
type MemmapEntry struct {
	Addr, Size uint64
	Type, _    uint32
}

// MemmapRAM is the type of an entry of usable RAM.
const MemmapRAM = 1

// RAMTop returns the end of the RAM in ents that the direct map can
// cover.
func RAMTop(ents []MemmapEntry) uintptr {
	top := uintptr(0)
	for _, e := range ents {
		// Without a branch in the loop (conditional moves): under TCG
		// each branch is a translated block.
		end := min(uintptr(e.Addr+e.Size), MaxDirect)
		if e.Type != MemmapRAM {
			end = 0
		}
		top = max(top, end)
	}
	return top
}

// Init builds the free lists from the PVH memory map ents, leaving out the
// first MiB and everything below reservedTo (the image and what the boot
// block reserves). It first carves one contiguous block: reserve bytes
// for the caller (returned as block; the kernel's stacks) followed by the
// owner and pin maps. top is RAMTop(ents), which the caller needs first
// to size reserve. It reads the page tables' root from CR3. It returns
// 0 if no range of RAM below 4 GiB can hold the block with 4 MiB to spare.
//
//go:nosplit
func Init(ents []MemmapEntry, top, reservedTo, reserve uintptr) (block uintptr) {
	pml4 = uintptr(arch.ReadCR3()) & PTEAddr
	mapSize := (top>>PageShift + PageSize - 1) &^ (PageSize - 1)
	size := reserve + 2*mapSize // the owner map and the pin map
	var high [8][2]uintptr      // RAM above 4 GiB
	nhigh := 0
	for _, e := range ents {
		if e.Type != MemmapRAM {
			continue
		}
		start, end := uintptr(e.Addr), uintptr(e.Addr+e.Size)
		if start >= IdentityLimit {
			// RAM above 4 GiB (guests with more than ~3 GiB): extend the
			// direct map over it once low memory can hold the tables.
			high[nhigh%len(high)] = [2]uintptr{start, end}
			nhigh++
			continue
		}
		end = min(end, IdentityLimit)
		start = max(start, reservedTo, 1<<20)
		if start >= end {
			continue
		}
		start = (start + PageSize - 1) &^ (PageSize - 1)
		if block == 0 && end-start > size+(4<<20) {
			block = start
			start += size
		}
		addRange(start, end)
	}
	if block == 0 {
		return 0
	}
	// The maps are fresh RAM, zero already (as the image's zero-initialized
	// data is): not cleared, so a run touches only the parts it uses.
	phys.ownerBase, phys.ownerLen = block+reserve, top>>PageShift
	phys.pinBase = phys.ownerBase + mapSize
	for i := 0; i < nhigh && i < len(high); i++ {
		start, end := high[i][0], min(high[i][1], MaxDirect)
		if start < end && directMapExtend(end) {
			addRange(start, end)
		}
	}
	return block
}

// directTop is the end of the direct (identity) map of physical memory;
// the Go program's address space starts above it.
var directTop uintptr = IdentityLimit

// DirectTop returns the end of the direct map of physical memory: an
// address below it is kernel memory, one above it the Go program's.
func DirectTop() uintptr { return directTop }

// directMapExtend identity-maps [directTop, end) with 2 MiB pages, a page
// directory per GiB, and moves directTop up.
func directMapExtend(end uintptr) bool {
	end = (end + 1<<30 - 1) &^ (1<<30 - 1)
	pdpt := uintptr(*(*uint64)(ptr(pml4)) & PTEAddr)
	for gb := directTop; gb < end; gb += 1 << 30 {
		pd := Alloc()
		if pd == 0 {
			return false
		}
		for i := uintptr(0); i < 512; i++ {
			*(*uint64)(ptr(pd + 8*i)) = uint64(gb+i<<21) | PTEPresent | PTEWrite | pteHuge
		}
		*(*uint64)(ptr(pdpt + 8*(gb>>30))) = uint64(pd) | PTEPresent | PTEWrite
		directTop = gb + 1<<30
	}
	return true
}
