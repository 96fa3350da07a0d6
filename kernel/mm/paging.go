package mm

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/kernel/arch"
)

// Page tables. The trampoline's tables identity-map the first 4 GiB with
// 2 MiB pages; the kernel keeps using them and adds 4 KiB mappings for user
// memory above 4 GiB, so kernel and Go program share one address space.

// Bits of a page-table entry.
const (
	PTEPresent = 1 << 0
	PTEWrite   = 1 << 1
	PTEUser    = 1 << 2
	pteHuge    = 1 << 7 // a 2 MiB or 1 GiB page (PS)
	PTENoExec  = 1 << 63
	// PTEAddr masks the physical address in an entry.
	PTEAddr = 0x000F_FFFF_FFFF_F000
)

// pml4 is the root of the page tables, read from CR3 by Init.
var pml4 uintptr

// PML4 returns the physical address of the root of the page tables.
func PML4() uintptr { return pml4 }

// index returns va's index in the table of level (0: the page table, 3:
// the PML4).
func index(va uintptr, level int) uintptr { return va >> (PageShift + 9*level) & 511 }

// PTE returns the leaf entry for user address va, creating intermediate
// tables if create is set. It returns nil if a table could not be
// allocated, or if va lies in the identity map.
func PTE(va uintptr, create bool) *uint64 { return pteOn(pml4, va, create, -1) }

// pteOn is PTE in the tables rooted at root; tables it creates come from
// core's pool (-1: the running core's).
//
// Cores may create tables at once (page faults run without the big kernel
// lock): a new table is installed with a compare-and-swap of the absent
// entry, and a core that loses the race frees its page and follows the
// winner's. Tables are never freed, so an entry pointer stays good.
func pteOn(root, va uintptr, create bool, core int) *uint64 {
	table := root
	for level := 3; level > 0; level-- {
		e := (*uint64)(ptr(table + index(va, level)*8))
		v := atomic.LoadUint64(e)
		if v&PTEPresent == 0 {
			if !create {
				return nil
			}
			if core < 0 {
				core = int(arch.CoreID())
			}
			p := allocOn(core)
			if p == 0 {
				return nil
			}
			nv := uint64(p) | PTEPresent | PTEWrite | PTEUser
			if atomic.CompareAndSwapUint64(e, v, nv) {
				v = nv
			} else {
				freeOn(p, core)
				v = atomic.LoadUint64(e)
			}
		}
		if v&pteHuge != 0 {
			return nil
		}
		table = uintptr(v & PTEAddr)
	}
	return (*uint64)(ptr(table + index(va, 0)*8))
}

// SetLeaf installs nv in leaf entry e if it still holds old: the
// compare-and-swap with which page faults on several cores back a page
// (or give a page of its own in place of the zero page) without a lock.
// It reports false if another core changed the entry first.
func SetLeaf(e *uint64, old, nv uint64) bool { return atomic.CompareAndSwapUint64(e, old, nv) }

// Op is what WalkRange does to each present leaf entry.
type Op int

const (
	// Unmap frees the page (after the TLB shootdown) and clears the entry.
	Unmap Op = iota
	// Protect sets the entry's user, write and no-execute bits to bits
	// (no user bit: PROT_NONE).
	Protect
	// Forget clears the entry; the page belongs to someone else (a file).
	Forget
)

// WalkRange applies op to every present 4 KiB mapping in [start, end),
// skipping absent tables, and flushes the TLB entries it changed, on every
// core, before the pages it unmapped are reused. The caller holds the big
// kernel lock.
//
//go:nosplit
func WalkRange(start, end uintptr, op Op, bits uint64) {
	walkLevel(pml4, 3, start, end, op, bits)
	unmapped.flush(-1)
}

// Shootdown makes every other core drop its cached user translations,
// with no page to free: for a page fault that replaced the zero page,
// which runs without the big kernel lock and so must not use the batch.
func Shootdown() { host.TLBShootdown() }

// Changed records that a user translation changed: p, if not 0, is the
// page the entry mapped, freed after the next Flush (or sooner, when the
// batch is full). The caller holds the big kernel lock.
func Changed(p uintptr) { unmapped.add(p, -1) }

// Flush shoots down the other cores' TLBs, if a translation changed
// since the last Flush, and frees the pages unmapped meanwhile. The
// caller holds the big kernel lock.
func Flush() { unmapped.flush(-1) }

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
// next flush. Pages freed meanwhile go to core's pool (-1: the running
// core's).
func (b *pageBatch) add(p uintptr, core int) {
	b.changed = true
	if p == 0 {
		return
	}
	if b.n == len(b.pages) {
		b.flush(core)
		b.changed = true
	}
	b.pages[b.n] = p
	b.n++
}

// flush shoots down the other cores' TLBs and frees the queued pages to
// core's pool (-1: the running core's).
func (b *pageBatch) flush(core int) {
	if !b.changed {
		return
	}
	host.TLBShootdown()
	if b.n > 0 && core < 0 {
		core = int(arch.CoreID())
	}
	for i := 0; i < b.n; i++ {
		if !deferFree(b.pages[i]) {
			freeOn(b.pages[i], core)
		}
	}
	b.n, b.changed = 0, false
}

func walkLevel(table uintptr, level int, start, end uintptr, op Op, bits uint64) {
	shift := uint(PageShift + 9*level)
	span := uintptr(1) << shift
	for va := start; va < end; {
		next := (va + span) &^ (span - 1)
		if next > end || next == 0 {
			next = end
		}
		e := (*uint64)(ptr(table + index(va, level)*8))
		if *e&PTEPresent != 0 && *e&pteHuge == 0 {
			if level == 0 {
				switch op {
				case Unmap:
					p := uintptr(*e & PTEAddr)
					*e = 0
					arch.Invlpg(va)
					if p == zero {
						p = 0 // shared: never freed
					}
					unmapped.add(p, -1)
				case Protect:
					b := bits
					if uintptr(*e&PTEAddr) == zero {
						b &^= PTEWrite // written only after the fault unshares it
					}
					*e = *e&^(PTEWrite|PTENoExec|PTEUser) | b
					arch.Invlpg(va)
					unmapped.add(0, -1)
				case Forget:
					*e = 0
					arch.Invlpg(va)
					unmapped.add(0, -1)
				}
			} else {
				walkLevel(uintptr(*e&PTEAddr), level-1, va, next, op, bits)
			}
		}
		va = next
	}
}

// zero is the shared zero page, 0 until the first MakeZeroPage.
var zero uintptr

// ZeroPage returns the shared zero page, mapped read-only wherever a
// program reads anonymous memory it has not written, or 0 if there is
// none yet. It is never freed.
func ZeroPage() uintptr { return atomic.LoadUintptr(&zero) }

// MakeZeroPage returns the shared zero page, allocating it the first
// time; 0 if memory is exhausted.
//
//go:nosplit
func MakeZeroPage() uintptr {
	if z := atomic.LoadUintptr(&zero); z != 0 {
		return z
	}
	p := Alloc()
	if p == 0 {
		return 0
	}
	if !atomic.CompareAndSwapUintptr(&zero, 0, p) {
		Free(p) // another core's fault made it first
	}
	return atomic.LoadUintptr(&zero)
}

// Mapped reports whether va is readable: identity-mapped kernel memory
// (not a guard page, not the first MiB) or a present user page.
func Mapped(va uintptr) bool {
	if va < directTop {
		return directMapped(va)
	}
	e := PTE(va, false)
	return e != nil && *e&PTEPresent != 0
}

// Readable reports whether [va, va+n) is kernel memory or present user
// pages, so reading it cannot fault.
func Readable(va, n uintptr) bool {
	for p := va &^ (PageSize - 1); p < va+n; p += PageSize {
		if !Mapped(p) {
			return false
		}
	}
	return true
}

// GuardLowMemory leaves the first MiB unmapped (Guard), so that
// nil-pointer dereferences fault as the Go runtime expects. Call it once
// boot no longer needs the PVH structures there. It keeps guard pages
// placed in the first 2 MiB before. It returns false if there is no page
// for the table.
//
//go:nosplit
func GuardLowMemory() bool {
	if Guard(0, PageSize, 256, int(arch.CoreID())) != 0 {
		return false
	}
	arch.WriteCR3(uint64(pml4))
	return true
}
