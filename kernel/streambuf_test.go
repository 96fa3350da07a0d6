package kernel

import "testing"

func TestStreamEmptied(t *testing.T) {
	const ps = pageSize
	tests := []struct {
		name         string
		r0, r1, n    int
		first, count int
	}{
		{"within a page, data left", 10, 100, 5, 0, 0},
		{"within a page, drained", 10, 100, 0, 0, 1},
		{"to a page boundary, data left", 10, ps, 7, 0, 1},
		{"to a page boundary, drained", 10, ps, 0, 0, 2},
		{"across pages", ps + 1, 4*ps + 3, 9, 1, 3},
		{"across the wrap", streamSize - ps + 5, 2*ps + 1, 1, streamSlots - 1, 3},
		{"across the wrap, drained", streamSize - 2*ps, ps + 8, 0, streamSlots - 2, 4},
		{"nothing read, data left", 3*ps + 1, 3*ps + 1, 4, 3, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			first, count := streamEmptied(tc.r0, tc.r1, tc.n)
			if first != tc.first || count != tc.count {
				t.Errorf("streamEmptied(%d, %d, %d) = %d, %d; want %d, %d", tc.r0, tc.r1, tc.n, first, count, tc.first, tc.count)
			}
		})
	}
}

// TestStreamCapacityLeavesASlot checks the property streamRead relies on:
// with at most streamCap bytes buffered, the slot of the first byte never
// holds the last one after a wrap.
func TestStreamCapacityLeavesASlot(t *testing.T) {
	for _, r := range []int{0, 1, pageSize - 1, pageSize, streamSize - 1, streamSize - pageSize + 17} {
		last := (r + streamCap - 1) % streamSize
		if last/pageSize == r/pageSize && last < r {
			t.Errorf("r=%d: the last byte (%d) wraps into the first byte's slot", r, last)
		}
	}
}
