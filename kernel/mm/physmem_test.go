package mm

import "testing"

func TestAddRangeAligns(t *testing.T) {
	testMem(t, 1)
	phys.nranges, phys.total, phys.nfree = 0, 0, 0
	for _, tc := range []struct {
		start, end uintptr
		pages      uint64
	}{
		{0x10_0000, 0x10_3000, 3},
		{0x20_0001, 0x20_3000, 2}, // start rounds up
		{0x30_0000, 0x30_2fff, 2}, // end rounds down
		{0x40_0800, 0x40_0f00, 0}, // less than a page
		{0x50_0000, 0x50_0000, 0},
	} {
		before := phys.total
		addRange(tc.start, tc.end)
		if got := phys.total - before; got != tc.pages {
			t.Errorf("addRange(%#x, %#x) added %d pages, want %d", tc.start, tc.end, got, tc.pages)
		}
	}
	if phys.nranges != 3 || FreePages() != 7 || TotalPages() != 7 {
		t.Errorf("ranges %d, free %d, total %d; want 3, 7, 7", phys.nranges, FreePages(), TotalPages())
	}
	for i := 0; i < maxRanges+5; i++ {
		addRange(0x1000_0000+uintptr(i)*0x10_0000, 0x1000_1000+uintptr(i)*0x10_0000)
	}
	if phys.nranges != maxRanges {
		t.Errorf("%d ranges after adding more than the table holds, want %d", phys.nranges, maxRanges)
	}
}

func TestGlobalPool(t *testing.T) {
	base := testMem(t, 4)
	var got []uintptr
	for p := globalAlloc(); p != 0; p = globalAlloc() {
		got = append(got, p)
	}
	// Bump allocation hands the range out in order, then runs dry.
	for i, p := range got {
		if want := base + uintptr(i)*PageSize; p != want {
			t.Fatalf("page %d at %#x, want %#x", i, p, want)
		}
	}
	if len(got) != 4 {
		t.Fatalf("%d pages from a 4-page range", len(got))
	}
	// Returned pages come back last in, first out.
	globalFree(got[1])
	globalFree(got[3])
	if p := globalAlloc(); p != got[3] {
		t.Errorf("first page after two frees %#x, want the last freed %#x", p, got[3])
	}
	if p := globalAlloc(); p != got[1] {
		t.Errorf("second page %#x, want %#x", p, got[1])
	}
	if p := globalAlloc(); p != 0 {
		t.Errorf("empty pool gave %#x", p)
	}
}

func TestRAMTop(t *testing.T) {
	ents := []MemmapEntry{
		{Addr: 0, Size: 0x9_F000, Type: MemmapRAM},
		{Addr: 0xF_0000, Size: 0x1_0000, Type: 2},
		{Addr: 0x10_0000, Size: 0x7FF0_0000, Type: MemmapRAM},
		{Addr: 0xFEC0_0000, Size: 0x1000, Type: 2}, // reserved above RAM
	}
	if got := RAMTop(ents); got != 0x8000_0000 {
		t.Errorf("RAMTop = %#x, want 2 GiB (reserved entries do not count)", got)
	}
	ents = append(ents, MemmapEntry{Addr: 1 << 32, Size: 1 << 40, Type: MemmapRAM})
	if got := RAMTop(ents); got != MaxDirect {
		t.Errorf("RAMTop with 1 TiB above 4 GiB = %#x, want the direct map's bound %#x", got, uintptr(MaxDirect))
	}
}
