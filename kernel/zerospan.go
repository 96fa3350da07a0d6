package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/kernel/mm"
)

// How many pages one write into zero-page memory unshares.
//
// A write into a page that maps the shared zero page gives it a page of
// its own, and every core must then drop its translation of the zero
// page there before the write goes ahead: one TLB shootdown, whose IPIs
// and acknowledgements cost far more than the page (tens of ms under
// TCG on a loaded host, docs/next.md). So one fault unshares a span of
// pages under one shootdown: the aligned 64 KiB block around the page
// (zeroBlock), or, when the memory right behind the page already has
// pages of its own — a program writing in order through memory it read
// first — twice as much as it has behind, from the faulting page on, up
// to zeroSpanMax. How much is behind is sampled, not counted: the page
// before and the pages 64 KiB, 128 KiB, … 512 KiB before (zeroBehind).
// A program writing in order thus pays a shootdown per doubling (4 MiB
// read, then written: 8 instead of 64), whichever of its threads and
// cores write. The span backs at most as much again as has pages of its
// own right behind it, as a read-ahead does: writing one byte at the
// start of each new span would back the whole region in few faults.

// zeroBlock is the span of a write with nothing of its own behind.
const zeroBlock = 16 * pageSize

// zeroSpanMax bounds the span of one unshare.
const zeroSpanMax = 256 * pageSize

// zeroSpan returns the pages [lo, hi) whose zero-page entries a write
// fault at page va unshares, within the VMA [start, end); behind is how
// far before va the memory has pages of its own (zeroBehind).
func zeroSpan(va, start, end, behind uintptr) (lo, hi uintptr) {
	if behind >= zeroBlock {
		lo, hi = va, va+min(2*behind, zeroSpanMax)
	} else {
		lo = va &^ (zeroBlock - 1)
		hi = lo + zeroBlock
	}
	return max(lo, start), min(hi, end)
}

// zeroBehind returns the largest d of zeroBlock, 2×zeroBlock, … up to
// zeroSpanMax/2 such that the pages at va-pageSize and va-d, and those at
// the smaller d, lie in [start, va) and have pages of their own; 0 if
// there is none.
//
//go:nosplit
func zeroBehind(va, start uintptr) uintptr {
	if va-start < zeroBlock || !ownPage(va-pageSize) {
		return 0
	}
	behind := uintptr(0)
	for d := uintptr(zeroBlock); d <= zeroSpanMax/2 && va-start >= d && ownPage(va-d); d *= 2 {
		behind = d
	}
	return behind
}

// ownPage reports whether user page va is present with a page of its own
// (not the zero page).
//
//go:nosplit
func ownPage(va uintptr) bool {
	e := mm.PTE(va, false)
	if e == nil {
		return false
	}
	v := atomic.LoadUint64(e)
	return v&mm.PTEPresent != 0 && uintptr(v&mm.PTEAddr) != mm.ZeroPage()
}
