package kernel

import "github.com/gotoro/gotoro/kernel/arch"

// Page tables. The trampoline's tables identity-map the first 4 GiB with
// 2 MiB pages; the kernel keeps using them and adds 4 KiB mappings for user
// memory above 4 GiB, so kernel and Go program share one address space.

const (
	pteP    = 1 << 0
	pteW    = 1 << 1
	pteU    = 1 << 2
	ptePWT  = 1 << 3
	ptePCD  = 1 << 4
	ptePS   = 1 << 7
	pteNX   = 1 << 63
	pteAddr = 0x000F_FFFF_FFFF_F000
)

var pml4 uintptr

// pteFor returns the leaf entry for user address va, creating intermediate
// tables if create is set. It returns nil if a table could not be
// allocated, or if va lies in the identity map.
func pteFor(va uintptr, create bool) *uint64 {
	table := pml4
	for level := 3; level > 0; level-- {
		e := (*uint64)(ptr(table + (va>>(12+9*level)&511)*8))
		if *e&pteP == 0 {
			if !create {
				return nil
			}
			p := physAlloc()
			if p == 0 {
				return nil
			}
			*e = uint64(p) | pteP | pteW | pteU
		}
		if *e&ptePS != 0 {
			return nil
		}
		table = uintptr(*e & pteAddr)
	}
	return (*uint64)(ptr(table + (va>>12&511)*8))
}

// rangeOp is what walkRange does to each present leaf entry.
type rangeOp int

const (
	opUnmap   rangeOp = iota // free the page and clear the entry
	opProtect                // set the entry's permission bits to bits
	opForget                 // clear the entry; the page belongs to someone else (a file)
)

// walkRange applies op to every present 4 KiB mapping in [start, end),
// skipping absent tables, and flushes the TLB entries it changed, on every
// core, before the pages it unmapped are reused.
func walkRange(start, end uintptr, op rangeOp, bits uint64) {
	walkLevel(pml4, 3, start, end, op, bits)
	unmapped.flush()
}

// unmapped holds pages taken out of the page tables whose TLB entries other
// cores may still hold; they are freed after a shootdown. Guarded by the
// big kernel lock.
var unmapped pageBatch

type pageBatch struct {
	n       int
	changed bool
	pages   [256]uintptr
}

// add queues page p (0: only a permission change) for release after the
// next flush.
func (b *pageBatch) add(p uintptr) {
	b.changed = true
	if p == 0 {
		return
	}
	if b.n == len(b.pages) {
		b.flush()
		b.changed = true
	}
	b.pages[b.n] = p
	b.n++
}

// flush shoots down the other cores' TLBs and frees the queued pages.
func (b *pageBatch) flush() {
	if !b.changed {
		return
	}
	tlbShootdown()
	for i := 0; i < b.n; i++ {
		if !dmaDeferFree(b.pages[i]) {
			physFree(b.pages[i])
		}
	}
	b.n, b.changed = 0, false
}

func walkLevel(table uintptr, level int, start, end uintptr, op rangeOp, bits uint64) {
	shift := uint(12 + 9*level)
	span := uintptr(1) << shift
	for va := start; va < end; {
		next := (va + span) &^ (span - 1)
		if next > end || next == 0 {
			next = end
		}
		e := (*uint64)(ptr(table + (va>>shift&511)*8))
		if *e&pteP != 0 && *e&ptePS == 0 {
			if level == 0 {
				switch op {
				case opUnmap:
					p := uintptr(*e & pteAddr)
					*e = 0
					arch.Invlpg(va)
					if p == vm.zero {
						p = 0 // shared: never freed
					}
					unmapped.add(p)
				case opProtect:
					b := bits
					if uintptr(*e&pteAddr) == vm.zero {
						b &^= pteW // written only after unshareZero
					}
					*e = *e&^(pteW|pteNX) | b
					arch.Invlpg(va)
					unmapped.add(0)
				case opForget:
					*e = 0
					arch.Invlpg(va)
					unmapped.add(0)
				}
			} else {
				walkLevel(uintptr(*e&pteAddr), level-1, va, next, op, bits)
			}
		}
		va = next
	}
}

// mapped reports whether va is readable: identity-mapped kernel memory or a
// present user page.
func mapped(va uintptr) bool {
	if va < directTop {
		return true
	}
	e := pteFor(va, false)
	return e != nil && *e&pteP != 0
}

// readableKernelOrUser reports whether [va, va+n) can be read without
// faulting.
func readableKernelOrUser(va, n uintptr) bool {
	for p := va &^ (pageSize - 1); p < va+n; p += pageSize {
		if !mapped(p) {
			return false
		}
	}
	return true
}

// guardLowMemory replaces the first 2 MiB identity mapping with 4 KiB pages
// and leaves the first MiB unmapped, so that nil-pointer dereferences fault
// as the Go runtime expects. Call it once boot no longer needs the PVH
// structures there.
func guardLowMemory() {
	pdpt := uintptr(*(*uint64)(ptr(pml4)) & pteAddr)
	pd := uintptr(*(*uint64)(ptr(pdpt)) & pteAddr)
	pt := physAlloc()
	if pt == 0 {
		kpanic("out of memory for the low-memory guard")
	}
	for i := uintptr(256); i < 512; i++ {
		*(*uint64)(ptr(pt + 8*i)) = uint64(i*pageSize) | pteP | pteW
	}
	*(*uint64)(ptr(pd)) = uint64(pt) | pteP | pteW
	arch.WriteCR3(uint64(pml4))
}
