package kernel

import "testing"

// TestZeroSpan: a write with nothing of its own behind takes the aligned
// 64 KiB block; one with memory of its own behind takes twice that from
// the faulting page, up to zeroSpanMax; all stay inside the VMA.
// (zeroBehind's sampling is covered by the boot test
// TestZeroSpanShootdowns, which counts the shootdowns.)
func TestZeroSpan(t *testing.T) {
	const (
		base  = 0x7f00_0000_0000
		start = base
		end   = base + 64<<20
	)
	for _, tc := range []struct {
		name       string
		va, behind uintptr
		start, end uintptr
		lo, hi     uintptr
	}{
		{"nothing behind", base + 5*pageSize, 0, start, end, base, base + zeroBlock},
		{"nothing behind, second block", base + zeroBlock + 3*pageSize, 0, start, end, base + zeroBlock, base + 2*zeroBlock},
		{"less than a block behind", base + zeroBlock + 3*pageSize, zeroBlock - pageSize, start, end, base + zeroBlock, base + 2*zeroBlock},
		{"a block behind", base + zeroBlock, zeroBlock, start, end, base + zeroBlock, base + 3*zeroBlock},
		{"a block behind, unaligned", base + zeroBlock + pageSize, zeroBlock, start, end, base + zeroBlock + pageSize, base + 3*zeroBlock + pageSize},
		{"half the cap behind", base + 1<<20, zeroSpanMax / 2, start, end, base + 1<<20, base + 1<<20 + zeroSpanMax},
		{"more than the cap behind", base + 4<<20, 4 * zeroSpanMax, start, end, base + 4<<20, base + 4<<20 + zeroSpanMax},
		{"the VMA's end", end - pageSize, 8 * zeroBlock, start, end, end - pageSize, end},
		{"the VMA's start", base + 8*pageSize, 0, base + 6*pageSize, end, base + 6*pageSize, base + zeroBlock},
		{"a small VMA", base + 2*pageSize, 0, base + pageSize, base + 3*pageSize, base + pageSize, base + 3*pageSize},
	} {
		lo, hi := zeroSpan(tc.va, tc.start, tc.end, tc.behind)
		if lo != tc.lo || hi != tc.hi {
			t.Errorf("%s: zeroSpan(%#x, %#x, %#x, %#x) = %#x, %#x; want %#x, %#x",
				tc.name, tc.va, tc.start, tc.end, tc.behind, lo, hi, tc.lo, tc.hi)
		}
		if lo > tc.va || hi <= tc.va || lo < tc.start || hi > tc.end || hi-lo > zeroSpanMax {
			t.Errorf("%s: [%#x, %#x) does not hold the page %#x inside the VMA and the cap", tc.name, lo, hi, tc.va)
		}
	}
}
