package mm

import "testing"

// TestReadOnly protects a range that starts and ends inside 2 MiB pages
// and spans a whole one: the partial pages are split, the whole one is
// made read-only in its directory entry, and DirectAccess answers for
// every page in and around the range.
func TestReadOnly(t *testing.T) {
	testMem(t, 8)
	pd := fakeDirectMap(t)
	const base = 1 << 30
	start := uintptr(base + 1<<21 + 5*PageSize)
	end := uintptr(base + 3<<21 + 7*PageSize)
	free := FreePages()
	if left := ReadOnly(start, end, 0); left != 0 {
		t.Fatalf("ReadOnly left %d pages writable", left)
	}
	if used := free - FreePages(); used != 2 {
		t.Errorf("ReadOnly took %d pages for tables, want 2 (the two partial 2 MiB pages)", used)
	}
	if e := *(*uint64)(ptr(pd + 2*8)); e&pteHuge == 0 || e&PTEWrite != 0 || e&PTEPresent == 0 {
		t.Errorf("the whole 2 MiB page's entry is %#x, want present, huge, read-only", e)
	}
	for va := uintptr(base + 1<<21); va < base+4<<21; va += PageSize {
		ro := va >= start && va < end
		if !DirectAccess(va, false) {
			t.Fatalf("DirectAccess(%#x, read) = false", va)
		}
		if got := DirectAccess(va, true); got == ro {
			t.Fatalf("DirectAccess(%#x, write) = %v, want %v", va, got, !ro)
		}
	}
	// A guard placed later in a read-only split page stays unmapped, and
	// a split of the read-only 2 MiB page keeps its pages read-only.
	if Guard(start+PageSize, 0, 1, 0)|Guard(base+2<<21+PageSize, 0, 1, 0) != 0 {
		t.Fatal("Guard failed")
	}
	for _, tc := range []struct {
		va          uintptr
		read, write bool
	}{
		{start + PageSize, false, false},
		{start, true, false},
		{base + 2<<21 + PageSize, false, false},
		{base + 2<<21, true, false},
		{base + 2<<21 + 2*PageSize, true, false},
		{start - 1, true, true},
		{end, true, true},
	} {
		if r, w := DirectAccess(tc.va, false), DirectAccess(tc.va, true); r != tc.read || w != tc.write {
			t.Errorf("%#x: read %v write %v, want %v %v", tc.va, r, w, tc.read, tc.write)
		}
	}
}

func TestReadOnlyWithoutMemory(t *testing.T) {
	testMem(t, 1)
	fakeDirectMap(t)
	if allocOn(0) == 0 {
		t.Fatal("no page to take")
	}
	const va = 1<<30 + 7<<21 + PageSize
	if left := ReadOnly(va, va+3*PageSize, 0); left != 3 {
		t.Errorf("ReadOnly with no page for the table left %d of 3 pages writable, want 3", left)
	}
	if !DirectAccess(va, true) {
		t.Errorf("a failed ReadOnly protected its page")
	}
}
