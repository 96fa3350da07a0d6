package mm

// Guard pages in the direct map. The direct map uses 2 MiB pages; a
// kernel stack's guard page (kernel/kstack.go) and the unmapped first MiB
// need 4 KiB ones. Guard replaces the 2 MiB page that holds an address by
// a page table that maps the same memory in 4 KiB pages, then clears one
// entry of it. Splits happen at boot only: a 2 MiB page split once stays
// split.

// pdEntry returns the page-directory entry that maps va, below
// directTop. The direct map's upper levels are all present: the
// trampoline's tables map the first 4 GiB with a page directory per GiB,
// and directMapExtend adds one per GiB above.
func pdEntry(va uintptr) *uint64 {
	pdpt := uintptr(*(*uint64)(ptr(pml4 + index(va, 3)*8)) & PTEAddr)
	pd := uintptr(*(*uint64)(ptr(pdpt + index(va, 2)*8)) & PTEAddr)
	return (*uint64)(ptr(pd + index(va, 1)*8))
}

// Guard makes n 4 KiB pages of the direct map not present, the first at
// va and each stride bytes above the one before (page-aligned, below
// DirectTop), so that any access to them faults: the guard pages below
// kernel stacks, the unmapped first MiB. A 2 MiB page that holds one is
// first split: a page table from core's pool, mapping the same memory in
// 4 KiB pages, takes its place (a table is never freed). It returns how
// many of the pages it could not unmap for want of a page for a table
// (0: all). The caller flushes the TLB (arch.WriteCR3 of PML4) where it
// needs the guards at once; cores started later load the tables as they
// are.
//
//go:nosplit
func Guard(va, stride uintptr, n, core int) int { return clearPages(va, stride, n, core, ^uint64(0)) }

// clearPages clears bits in the entries of n 4 KiB pages of the direct
// map, the first at va and each stride bytes above the one before,
// splitting the 2 MiB pages that hold them; a 2 MiB page wholly among
// them with stride PageSize loses the bits as a whole if they are only
// the write bit (ReadOnly). It returns how many pages it left for want of
// a page for a table. Boot code shared by Guard and ReadOnly, in one
// function with as few branches as it can have: under TCG each branch
// ends a translated block, and a block is translated once for both.
//
//go:nosplit
func clearPages(va, stride uintptr, n, core int, bits uint64) int {
	for ; n > 0; n-- {
		// pdEntry, by hand: the compiler does not inline it here.
		pdpt := uintptr(*(*uint64)(ptr(pml4 + index(va, 3)*8)) & PTEAddr)
		pd := uintptr(*(*uint64)(ptr(pdpt + index(va, 2)*8)) & PTEAddr)
		e := (*uint64)(ptr(pd + index(va, 1)*8))
		if *e&pteHuge != 0 {
			if va&(hugeSize-1)|uintptr(bits^PTEWrite)|(stride^PageSize) == 0 && n >= hugeSize/PageSize {
				*e &^= PTEWrite
				va += hugeSize
				n -= hugeSize/PageSize - 1
				continue
			}
			// Split: a page table that maps the same memory in 4 KiB
			// pages with the same present and write bits takes its
			// place (here, not in a function of its own: a call is
			// one translated block more on its return).
			pt := allocOn(core)
			if pt == 0 {
				return n
			}
			// A 2 MiB entry's address starts at bit 21 (bit 12 is its
			// PAT bit).
			v := *e&PTEAddr&^(1<<21-1) | *e&(PTEPresent|PTEWrite)
			for i := uintptr(0); i < 512; i++ {
				*(*uint64)(ptr(pt + 8*i)) = v
				v += PageSize
			}
			*e = uint64(pt) | PTEPresent | PTEWrite
		}
		*(*uint64)(ptr(uintptr(*e&PTEAddr) + index(va, 0)*8)) &^= bits
		va += stride
	}
	return 0
}

// directMapped reports whether va, below directTop, is mapped: true
// unless its 4 KiB page was unmapped (a guard page, the first MiB).
func directMapped(va uintptr) bool {
	e := pdEntry(va)
	if *e&pteHuge != 0 {
		return true
	}
	return *(*uint64)(ptr(uintptr(*e&PTEAddr) + index(va, 0)*8))&PTEPresent != 0
}
