package mm

import "testing"

// TestPresent counts mapped pages across page tables: entries set in two
// tables, a range that cuts a table, the zero page left out, absent
// tables skipped.
func TestPresent(t *testing.T) {
	testMem(t, 64)
	root := allocOn(0)
	const base = 0x7B00_0000_0000
	z := allocOn(0)
	zero = z
	set := func(va, page uintptr) { *pteOn(root, va, true, 0) = uint64(page) | PTEPresent | PTEWrite }
	for _, pg := range []uintptr{0, 1, 5, 511, 512, 513, 1 << 18} {
		set(base+pg*PageSize, 0x1234_5000)
	}
	set(base+7*PageSize, z) // the zero page: not the range's own
	for _, c := range []struct {
		from, to uintptr // pages from base
		want     int
	}{
		{0, 1 << 18, 6},
		{0, 1<<18 + 1, 7},
		{1, 512, 3},
		{2, 5, 0},
		{5, 6, 1},
		{7, 8, 0},
		{511, 514, 3},
		{1 << 19, 1 << 20, 0}, // no tables at all
	} {
		if got := presentOn(root, 3, base+c.from*PageSize, base+c.to*PageSize); got != c.want {
			t.Errorf("pages %d..%d: %d present, want %d", c.from, c.to, got, c.want)
		}
	}
}
