package mm

import (
	"sync"
	"testing"
	"unsafe"
)

func TestIndex(t *testing.T) {
	for _, tc := range []struct {
		va         uintptr
		i3, i2, i1 uintptr
		i0         uintptr
	}{
		{0, 0, 0, 0, 0},
		{0x1000, 0, 0, 0, 1},
		{0x20_0000, 0, 0, 1, 0},
		{0x4000_0000, 0, 1, 0, 0},
		{0x80_0000_0000, 1, 0, 0, 0},
		{0x7FFF_FFFF_F000, 255, 511, 511, 511},
		{0xC000_1234_5678, 384, 0, 0x91, 0x145},
	} {
		got := [4]uintptr{index(tc.va, 3), index(tc.va, 2), index(tc.va, 1), index(tc.va, 0)}
		if want := [4]uintptr{tc.i3, tc.i2, tc.i1, tc.i0}; got != want {
			t.Errorf("indices of %#x: %v, want %v", tc.va, got, want)
		}
	}
}

func TestPTEBits(t *testing.T) {
	// The architecture's encoding (Intel SDM vol. 3, 4.5).
	for _, tc := range []struct {
		name      string
		got, want uint64
	}{
		{"present", PTEPresent, 1 << 0},
		{"write", PTEWrite, 1 << 1},
		{"user", PTEUser, 1 << 2},
		{"page size", pteHuge, 1 << 7},
		{"no execute", PTENoExec, 1 << 63},
		{"address", PTEAddr, (1<<52 - 1) &^ (1<<12 - 1)},
	} {
		if tc.got != tc.want {
			t.Errorf("%s bit(s) %#x, want %#x", tc.name, tc.got, tc.want)
		}
	}
}

func TestPTEWalk(t *testing.T) {
	testMem(t, 64)
	root := allocOn(0)
	const va = 0x7F12_3456_7000
	if e := pteOn(root, va, false, 0); e != nil {
		t.Fatalf("lookup in empty tables gave an entry")
	}
	free := FreePages()
	e := pteOn(root, va, true, 0)
	if e == nil || *e != 0 {
		t.Fatalf("create: entry %v", e)
	}
	if used := free - FreePages(); used != 3 {
		t.Errorf("creating a mapping took %d table pages, want 3 (PDPT, PD, PT)", used)
	}
	// Each level points at the next with present, writable and user set
	// (the leaf decides what the program may do).
	table := root
	for level := 3; level > 0; level-- {
		ent := *(*uint64)(ptr(table + index(va, level)*8))
		if ent&(PTEPresent|PTEWrite|PTEUser) != PTEPresent|PTEWrite|PTEUser || ent&^PTEAddr&^(PTEPresent|PTEWrite|PTEUser) != 0 {
			t.Errorf("level %d entry %#x", level, ent)
		}
		table = uintptr(ent & PTEAddr)
	}
	if want := (*uint64)(ptr(table + index(va, 0)*8)); e != want {
		t.Errorf("leaf at %p, want %p", e, want)
	}
	*e = 0x1234_5000 | PTEPresent
	if e2 := pteOn(root, va, false, 0); e2 != e {
		t.Errorf("lookup found %p, want %p", e2, e)
	}
	// A neighbour in the same 2 MiB shares every table.
	free = FreePages()
	if n := pteOn(root, va+PageSize, true, 0); n == nil || uintptr(unsafe.Pointer(n)) != uintptr(unsafe.Pointer(e))+8 {
		t.Errorf("neighbour's entry %p, want the next slot after %p", n, e)
	}
	if FreePages() != free {
		t.Errorf("the neighbour took %d table pages, want none", free-FreePages())
	}
	// A huge page on the way: no 4 KiB entry there.
	pdpt := uintptr(*(*uint64)(ptr(root + index(va, 3)*8)) & PTEAddr)
	*(*uint64)(ptr(pdpt + 5*8)) = 0x4000_0000 | PTEPresent | pteHuge
	if e := pteOn(root, va&^(1<<39-1)|5<<30, true, 0); e != nil {
		t.Errorf("an address in a 1 GiB page got a 4 KiB entry")
	}
}

// TestPTEConcurrent creates entries from several cores at once, as page
// faults without the big kernel lock do: every core must get the same
// leaf for an address, each table must be made once (the losers of a race
// give their page back), and a leaf set by SetLeaf is set once.
func TestPTEConcurrent(t *testing.T) {
	testMem(t, 256)
	root := allocOn(0)
	const cores = 4
	// Addresses in different PML4, PDPT and page-table slots, shared by
	// all cores.
	vas := []uintptr{0x7F12_3456_7000, 0x7F12_3456_8000, 0x7F12_3480_0000, 0x7F52_0000_0000, 0x10_0000_0000}
	free := FreePages()
	var got [cores][]*uint64
	var won [cores]int
	var wg sync.WaitGroup
	for c := 0; c < cores; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, va := range vas {
				e := pteOn(root, va, true, c)
				got[c] = append(got[c], e)
				if e != nil && SetLeaf(e, 0, uint64(c+1)<<PageShift|PTEPresent) {
					won[c]++
				}
			}
		}()
	}
	wg.Wait()
	for c := 1; c < cores; c++ {
		for i := range vas {
			if got[c][i] != got[0][i] || got[c][i] == nil {
				t.Errorf("core %d's entry for %#x is %p, core 0's %p", c, vas[i], got[c][i], got[0][i])
			}
		}
	}
	sets := 0
	for _, n := range won {
		sets += n
	}
	if sets != len(vas) {
		t.Errorf("%d leaves set, want one per address (%d)", sets, len(vas))
	}
	// 0x7F12_3456_7000 and _8000 share all tables; _80_0000 another page
	// table; 0x7F52… another PDPT slot (PD, PT); 0x10… another PML4 slot.
	// Pages freed to other cores' inboxes count as free only once drained.
	for c := 0; c < cores; c++ {
		pools[c].drainRemote()
	}
	if used := free - FreePages(); used != 3+1+2+3 {
		t.Errorf("the tables took %d pages, want %d", used, 3+1+2+3)
	}
}
