package mm

import (
	"testing"
	"unsafe"
)

// fakeDirectMap builds a direct map of the GiB at 1 GiB in 2 MiB pages
// (the only GiB the tests may name below directTop)
// (PML4, PDPT, one page directory, in pages mapped for the test) and makes
// it the package's root until the test ends. It returns the directory.
func fakeDirectMap(t *testing.T) uintptr {
	t.Helper()
	mem := mapPages(t, 3)
	root := uintptr(unsafe.Pointer(&mem[0]))
	pdpt, pd := root+PageSize, root+2*PageSize
	*(*uint64)(ptr(root)) = uint64(pdpt) | PTEPresent | PTEWrite
	*(*uint64)(ptr(pdpt + 8)) = uint64(pd) | PTEPresent | PTEWrite
	for i := uintptr(0); i < 512; i++ {
		*(*uint64)(ptr(pd + 8*i)) = uint64(1<<30+i<<21) | PTEPresent | PTEWrite | pteHuge
	}
	old := pml4
	pml4 = root
	t.Cleanup(func() { pml4 = old })
	return pd
}

func TestGuard(t *testing.T) {
	testMem(t, 8)
	pd := fakeDirectMap(t)
	const two = 1 << 30 // the direct map's first 2 MiB page
	guard := uintptr(two + 5<<21 + 3*PageSize)
	if !Mapped(guard) || !Mapped(two+6<<21) {
		t.Fatalf("the 2 MiB pages are not mapped before Guard")
	}
	free := FreePages()
	if Guard(guard, 0, 1, 0) != 0 {
		t.Fatalf("Guard failed")
	}
	if FreePages() != free-1 {
		t.Errorf("the split took %d pages, want 1", free-FreePages())
	}
	e := *(*uint64)(ptr(pd + 5*8))
	if e&pteHuge != 0 || e&PTEPresent == 0 {
		t.Fatalf("directory entry %#x after Guard, want a present page table", e)
	}
	pt := uintptr(e & PTEAddr)
	for i := uintptr(0); i < 512; i++ {
		got := *(*uint64)(ptr(pt + 8*i))
		want := uint64(two+5<<21+i*PageSize) | PTEPresent | PTEWrite
		if i == 3 {
			want = 0
		}
		if got != want {
			t.Errorf("page table entry %d = %#x, want %#x", i, got, want)
		}
	}
	for _, tc := range []struct {
		va   uintptr
		want bool
	}{
		{guard, false},
		{guard + 0xFFF, false},
		{guard - 1, true},
		{guard + PageSize, true},
		{two + 6<<21, true}, // the next 2 MiB page, still whole
		{600 << 30, false},  // above the direct map: a user address, absent
		{two + 5<<21, true}, // the split page's first 4 KiB
		{two + 6<<21 - 1, true},
	} {
		if got := Mapped(tc.va); got != tc.want {
			t.Errorf("Mapped(%#x) = %v, want %v", tc.va, got, tc.want)
		}
	}
	if Readable(guard-8, 16) {
		t.Errorf("Readable across the guard page's start")
	}
	// A second guard in the same 2 MiB page reuses its table.
	free = FreePages()
	if Guard(guard+2*PageSize, 0, 1, 0) != 0 || FreePages() != free {
		t.Errorf("a second guard in a split page took a page")
	}
	if Mapped(guard+2*PageSize) || !Mapped(guard+PageSize) {
		t.Errorf("second guard: wrong pages unmapped")
	}
}

func TestGuardWithoutMemory(t *testing.T) {
	testMem(t, 1)
	fakeDirectMap(t)
	if allocOn(0) == 0 {
		t.Fatal("no page to take")
	}
	if left := Guard(1<<30+7<<21, PageSize, 3, 0); left != 3 {
		t.Errorf("Guard with no page for the table left %d of 3 pages mapped, want 3", left)
	}
	if !Mapped(1<<30 + 7<<21) {
		t.Errorf("a failed Guard unmapped its page")
	}
}

// TestGuardStride places a run of guards, as under a pool of stacks: every
// one is unmapped, the pages between them are not, and each 2 MiB page
// the run crosses is split once.
func TestGuardStride(t *testing.T) {
	testMem(t, 8)
	fakeDirectMap(t)
	const first, stride, n = 1<<30 + 1<<21 - 2*PageSize, 9 * PageSize, 200
	free := FreePages()
	if left := Guard(first, stride, n, 0); left != 0 {
		t.Fatalf("Guard left %d pages", left)
	}
	last := uintptr(first + (n-1)*stride)
	if want := uint64(last>>21 - first>>21 + 1); free-FreePages() != want {
		t.Errorf("%d page tables for a run over %d 2 MiB pages", free-FreePages(), want)
	}
	for va := uintptr(first); va <= last+stride; va += PageSize {
		want := (va-first)%stride != 0 || va > last
		if Mapped(va) != want {
			t.Fatalf("Mapped(%#x) = %v, want %v", va, !want, want)
		}
	}
}
