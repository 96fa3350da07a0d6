package kernel

import (
	"math/rand"
	"testing"

	"github.com/gotoro/gotoro/kernel/mm"
)

// The VMA table (vm.go) is plain data: these tests drive it directly,
// without page tables, and check it against a model that records the
// protection of every page.

func resetVM(t *testing.T) {
	t.Helper()
	saved := vm
	vm.n = 0
	t.Cleanup(func() { vm = saved })
}

const testPage = 1 << 12

// vmModel maps a page number to its protection (absent: unmapped).
type vmModel map[uintptr]uint32

func (m vmModel) add(start, end uintptr, prot uint32) {
	for p := start; p < end; p += testPage {
		m[p/testPage] = prot
	}
}

func (m vmModel) remove(start, end uintptr) {
	for p := start; p < end; p += testPage {
		delete(m, p/testPage)
	}
}

func (m vmModel) free(start, end uintptr) bool {
	for p := start; p < end; p += testPage {
		if _, ok := m[p/testPage]; ok {
			return false
		}
	}
	return true
}

// mapped reports whether every page of [start, end) is mapped.
func (m vmModel) mapped(start, end uintptr) bool {
	for p := start; p < end; p += testPage {
		if _, ok := m[p/testPage]; !ok {
			return false
		}
	}
	return true
}

// checkVM checks the table's invariants and that it maps exactly what the
// model does.
func checkVM(t *testing.T, m vmModel, what string) {
	t.Helper()
	pages := 0
	for i := 0; i < vm.n; i++ {
		v := vm.v[i]
		if v.start >= v.end || v.start%testPage != 0 || v.end%testPage != 0 {
			t.Fatalf("%s: VMA %d is [%#x, %#x)", what, i, v.start, v.end)
		}
		if i > 0 {
			p := vm.v[i-1]
			if p.end > v.start {
				t.Fatalf("%s: VMAs %d and %d overlap or are out of order: [%#x,%#x) [%#x,%#x)", what, i-1, i, p.start, p.end, v.start, v.end)
			}
			if p.end == v.start && p.prot == v.prot {
				t.Fatalf("%s: VMAs %d and %d touch with the same protection and were not merged", what, i-1, i)
			}
		}
		for p := v.start; p < v.end; p += testPage {
			if prot, ok := m[p/testPage]; !ok || prot != v.prot {
				t.Fatalf("%s: page %#x has prot %d in the table, %d (mapped %v) in the model", what, p, v.prot, prot, ok)
			}
			pages++
		}
	}
	if pages != len(m) {
		t.Fatalf("%s: the table maps %d pages, the model %d", what, pages, len(m))
	}
	for pg, prot := range m {
		i := vmaFind(pg * testPage)
		if i < 0 || vm.v[i].prot != prot {
			t.Fatalf("%s: vmaFind(%#x) = %d", what, pg*testPage, i)
		}
	}
}

func TestVMAAddMergeSplit(t *testing.T) {
	resetVM(t)
	m := vmModel{}
	const base = 0x1_0000_0000
	step := func(what string, ok bool) {
		t.Helper()
		if !ok {
			t.Fatalf("%s failed", what)
		}
		checkVM(t, m, what)
	}
	add := func(a, b uintptr, prot uint32) {
		m.add(base+a*testPage, base+b*testPage, prot)
		step("add", vmaAdd(base+a*testPage, base+b*testPage, prot))
	}
	protect := func(a, b uintptr, prot uint32) { // what mprotect does to the table
		m.add(base+a*testPage, base+b*testPage, prot)
		ok := vmaRemoveKeepPages(base+a*testPage, base+b*testPage) && vmaAdd(base+a*testPage, base+b*testPage, prot)
		step("protect", ok)
	}
	remove := func(a, b uintptr) {
		m.remove(base+a*testPage, base+b*testPage)
		step("remove", vmaRemoveKeepPages(base+a*testPage, base+b*testPage))
	}
	add(10, 20, 3)
	add(20, 30, 3) // merges after
	if vm.n != 1 {
		t.Fatalf("adjacent same-prot ranges not merged: %d VMAs", vm.n)
	}
	add(5, 10, 3) // merges before
	add(40, 50, 1)
	add(30, 40, 1) // merges with the next one only (prot differs from the left)
	if vm.n != 2 {
		t.Fatalf("%d VMAs, want 2", vm.n)
	}
	protect(12, 14, 0) // splits one into three
	if vm.n != 4 {
		t.Fatalf("%d VMAs after splitting, want 4", vm.n)
	}
	protect(12, 14, 3) // and joins them again
	if vm.n != 2 {
		t.Fatalf("%d VMAs after re-protecting, want 2", vm.n)
	}
	remove(25, 45) // across two VMAs
	remove(0, 100) // everything, including unmapped space
	if vm.n != 0 {
		t.Fatalf("%d VMAs left", vm.n)
	}
}

// TestVMARandom applies random mmap, munmap and mprotect shapes to the
// table and the model.
func TestVMARandom(t *testing.T) {
	resetVM(t)
	m := vmModel{}
	r := rand.New(rand.NewSource(1))
	const base, span = 0x2_0000_0000, 256
	for i := 0; i < 5000; i++ {
		a := uintptr(r.Intn(span))
		b := a + 1 + uintptr(r.Intn(16))
		start, end := base+a*testPage, base+b*testPage
		prot := uint32(r.Intn(4))
		switch r.Intn(3) {
		case 0: // mmap into a free range
			if m.free(start, end) != rangeFree(start, end) {
				t.Fatalf("rangeFree(%#x, %#x) = %v, the model says %v", start, end, !m.free(start, end), m.free(start, end))
			}
			if !m.free(start, end) {
				continue
			}
			if !vmaAdd(start, end, prot) {
				t.Fatal("vmaAdd: table full")
			}
			m.add(start, end, prot)
		case 1: // munmap
			if !vmaRemoveKeepPages(start, end) {
				t.Fatal("vmaRemoveKeepPages: table full")
			}
			m.remove(start, end)
		case 2: // mprotect of a fully mapped range
			if !m.mapped(start, end) {
				continue
			}
			if !vmaRemoveKeepPages(start, end) || !vmaAdd(start, end, prot) {
				t.Fatal("mprotect: table full")
			}
			m.add(start, end, prot)
		}
		checkVM(t, m, "random step")
	}
}

func TestVMAFindGap(t *testing.T) {
	resetVM(t)
	if mm.DirectTop() != 0x1_0000_0000 {
		t.Fatalf("the direct map ends at %#x in a hosted test, want 4 GiB", mm.DirectTop())
	}
	const top = mmapBase
	if g := findGap(4 * testPage); g != top-4*testPage {
		t.Fatalf("empty table: gap at %#x, want just below mmapBase", g)
	}
	// Fill the top, leave a hole of three pages, then map below it.
	vmaAdd(top-10*testPage, top, 3)
	vmaAdd(top-20*testPage, top-13*testPage, 3)
	if g := findGap(3 * testPage); g != top-13*testPage {
		t.Errorf("3-page gap at %#x, want the hole at %#x", g, top-13*testPage)
	}
	if g := findGap(4 * testPage); g != top-24*testPage {
		t.Errorf("4-page gap at %#x, want below the lower VMA at %#x", g, top-24*testPage)
	}
	// A mapping above mmapBase (a hint honoured there) does not count.
	vmaAdd(top+testPage, top+5*testPage, 1)
	if g := findGap(3 * testPage); g != top-13*testPage {
		t.Errorf("with a VMA above mmapBase: gap at %#x", g)
	}
	if g := findGap(top); g != 0 {
		t.Errorf("a gap larger than the address space: %#x", g)
	}
}

func TestVMATableFull(t *testing.T) {
	resetVM(t)
	const base = 0x3_0000_0000
	// The first VMA is three pages long; the rest alternate protections
	// so that nothing merges.
	if !vmaAdd(base, base+3*testPage, 0) {
		t.Fatal("first vmaAdd failed")
	}
	for i := 1; i < maxVMAs; i++ {
		if !vmaAdd(base+uintptr(2*i+2)*testPage, base+uintptr(2*i+3)*testPage, uint32(i%2)) {
			t.Fatalf("table full after %d VMAs", i)
		}
	}
	if vmaAdd(base+uintptr(2*maxVMAs+5)*testPage, base+uintptr(2*maxVMAs+6)*testPage, 1) {
		t.Error("vmaAdd into a full table succeeded")
	}
	// Cutting the middle page out of the first VMA needs one more slot.
	if vmaRemoveKeepPages(base+testPage, base+2*testPage) {
		t.Error("splitting a VMA in a full table succeeded")
	}
	// Cutting off its end needs none.
	if !vmaRemoveKeepPages(base+2*testPage, base+3*testPage) || vm.v[0].end != base+2*testPage {
		t.Errorf("trimming a VMA in a full table failed: %+v", vm.v[0])
	}
}

func TestVMAJoinFlags(t *testing.T) {
	for _, c := range []struct{ a, b, want uint32 }{
		{0, 0, 0},
		{vmFresh, vmFresh, vmFresh},
		{vmFresh, 0, 0},
		{0, vmFresh, 0},
		{vmShared | vmFresh, vmFresh, vmShared | vmFresh},
		{vmShared | vmFresh, vmShared, vmShared},
		{vmShared, vmFresh, vmShared},
	} {
		if got := vmaJoinFlags(c.a, c.b); got != c.want {
			t.Errorf("vmaJoinFlags(%#x, %#x) = %#x, want %#x", c.a, c.b, got, c.want)
		}
	}
}

// TestVMAFreshRandom applies random mmaps (fresh or populated, in free
// memory or MAP_FIXED over mapped memory), faults, munmaps and mprotects to the table and checks that a VMA marked fresh
// never covers a page the model has backed: vmaRemove skips the
// page-table walk for it, so a wrong mark would leave pages mapped.
func TestVMAFreshRandom(t *testing.T) {
	resetVM(t)
	m := vmModel{}
	backed := map[uintptr]bool{}
	r := rand.New(rand.NewSource(2))
	const base, span = 0x2_0000_0000, 128
	fresh := 0
	// mapAnon maps free [start, end) as mmap does: fresh, or populated.
	mapAnon := func(start, end uintptr, prot uint32, isFresh bool) {
		v := vma{start: start, end: end, prot: prot}
		if isFresh {
			v.flags = vmFresh
		} else {
			for p := start; p < end; p += testPage {
				backed[p/testPage] = true
			}
		}
		if !vmaAddMapping(v) {
			t.Fatal("vmaAddMapping: table full")
		}
		m.add(start, end, prot)
	}
	for step := 0; step < 20000; step++ {
		a := uintptr(r.Intn(span))
		b := a + 1 + uintptr(r.Intn(8))
		start, end := base+a*testPage, base+b*testPage
		prot := uint32(r.Intn(2)) + 2 // two protections, so that neighbours merge often
		op := r.Intn(7)
		switch op {
		case 0, 1: // mmap: fresh, or with MAP_POPULATE
			if !m.free(start, end) {
				continue
			}
			mapAnon(start, end, prot, op == 0)
		case 2: // a fault in a mapped page (anonFault)
			i := vmaFind(start)
			if i < 0 {
				continue
			}
			vmaTouch(i)
			backed[start/testPage] = true
		case 3: // munmap (vmaRemove: the walk unmaps every page)
			if !vmaRemoveKeepPages(start, end) {
				t.Fatal("vmaRemoveKeepPages: table full")
			}
			m.remove(start, end)
			for p := start; p < end; p += testPage {
				delete(backed, p/testPage)
			}
		case 4: // mprotect of a mapped range, as mprotect changes the table
			if !m.mapped(start, end) {
				continue
			}
			if !vmaSplitAt(start) || !vmaSplitAt(end) {
				t.Fatal("vmaSplitAt: table full")
			}
			for i := 0; i < vm.n; i++ {
				if vm.v[i].start >= start && vm.v[i].end <= end {
					vm.v[i].prot = prot
				}
			}
			vmaMergeAnon()
			m.add(start, end, prot)
		case 5, 6: // MAP_FIXED over whatever is there, fresh or populated
			if !vmaRemoveKeepPages(start, end) {
				t.Fatal("vmaRemoveKeepPages: table full")
			}
			for p := start; p < end; p += testPage {
				delete(backed, p/testPage)
			}
			m.remove(start, end)
			mapAnon(start, end, prot, op == 5)
		}
		checkVM(t, m, "random step")
		for i := 0; i < vm.n; i++ {
			v := vm.v[i]
			if v.flags&vmFresh == 0 {
				continue
			}
			fresh++
			for p := v.start; p < v.end; p += testPage {
				if backed[p/testPage] {
					t.Fatalf("step %d (op %d): VMA [%#x, %#x) is marked fresh but page %#x is backed", step, op, v.start, v.end, p)
				}
			}
		}
	}
	if fresh == 0 {
		t.Fatal("no VMA was ever fresh: the test checks nothing")
	}
}

// TestVMASharedAnonSeparate: shared anonymous memory merges with shared
// neighbours only, never with private memory of the same protection.
func TestVMASharedAnonSeparate(t *testing.T) {
	resetVM(t)
	const base = 0x3_0000_0000
	add := func(a, b uintptr, flags uint32) {
		t.Helper()
		if !vmaAddMapping(vma{start: base + a*testPage, end: base + b*testPage, prot: 3, flags: flags}) {
			t.Fatal("vmaAddMapping failed")
		}
	}
	add(0, 2, 0)
	add(2, 4, vmShared)
	add(4, 5, vmShared)
	add(5, 6, 0)
	add(7, 8, vmShared)
	add(6, 7, 0)
	want := []struct {
		a, b  uintptr
		flags uint32
	}{{0, 2, 0}, {2, 5, vmShared}, {5, 7, 0}, {7, 8, vmShared}}
	if vm.n != len(want) {
		t.Fatalf("%d VMAs, want %d: %+v", vm.n, len(want), vm.v[:vm.n])
	}
	for i, w := range want {
		v := vm.v[i]
		if v.start != base+w.a*testPage || v.end != base+w.b*testPage || v.flags&vmShared != w.flags {
			t.Errorf("VMA %d: %#x-%#x flags %#x, want pages %d-%d flags %#x", i, v.start, v.end, v.flags, w.a, w.b, w.flags)
		}
	}
}
