package mm

import (
	"sync"
	"testing"
	"unsafe"
)

func TestPoolRefillAndOwner(t *testing.T) {
	testMem(t, 100)
	// Fresh pages are zero (a fresh guest's RAM is): Alloc hands them out
	// unwritten, and taking them into a core's pool writes none of them.
	// Marks in two fresh pages show whether anything wrote them.
	first := phys.ranges[0].next
	fill(first+PageSize, 0xAA)
	p := allocOn(1)
	if p != first {
		t.Fatalf("first page %#x, want the range's first %#x", p, first)
	}
	fill(p, 0xBB)
	if b := *(*byte)(ptr(first + PageSize)); b != 0xAA {
		t.Errorf("a fresh page in core 1's pool was written (%#x): fresh pages must stay untouched until used", b)
	}
	// The first allocation took poolRefill fresh pages for core 1 and
	// made core 1 their owner.
	if n, _ := PoolStats(1); n != poolRefill-1 || owner(p) != 1 || owner(first+(poolRefill-1)*PageSize) != 1 {
		t.Errorf("core 1 keeps %d pages, owner of p %d; want %d and 1", n, owner(p), poolRefill-1)
	}
	if FreePages() != 99 {
		t.Errorf("free pages %d, want 99", FreePages())
	}
	freeOn(p, 1)
	if n, _ := PoolStats(1); n != poolRefill || FreePages() != 100 {
		t.Errorf("after the free: core 1 keeps %d, free %d", n, FreePages())
	}
	// A page used before comes back first, and cleared.
	if q := allocOn(1); q != p {
		t.Errorf("core 1 got %#x, want its last freed page %#x back", q, p)
	}
	pg := (*[PageSize]byte)(ptr(p))
	for i, b := range pg {
		if b != 0 {
			t.Fatalf("byte %d of a reused page is %#x: Alloc must zero it", i, b)
		}
	}
	if q := allocOn(1); q != first+PageSize {
		t.Errorf("core 1 got %#x, want the next fresh page %#x", q, first+PageSize)
	}
}

func TestPoolRemoteFree(t *testing.T) {
	testMem(t, 64)
	p := allocOn(0)
	q := allocOn(0)
	// Core 2 frees pages core 0 owns: they go to core 0's inbox, not to
	// core 2's list.
	freeOn(p, 2)
	freeOn(q, 2)
	if pools[2].n != 0 || pools[2].free != 0 {
		t.Errorf("core 2 kept a page it does not own")
	}
	if n, remote := PoolStats(0); remote != 2 || n != poolRefill-2 {
		t.Errorf("core 0: %d pages, %d remote; want %d and 2", n, remote, poolRefill-2)
	}
	// Core 0 drains its inbox only when its own list runs dry.
	for pools[0].free != 0 {
		allocOn(0)
	}
	got := map[uintptr]bool{allocOn(0): true, allocOn(0): true}
	if !got[p] || !got[q] {
		t.Errorf("core 0 did not drain its inbox first: got %v, want %#x and %#x", got, p, q)
	}
	if _, remote := PoolStats(0); remote != 0 {
		t.Errorf("%d pages left in core 0's inbox", remote)
	}
}

func TestPoolSpillsToGlobal(t *testing.T) {
	testMem(t, poolMax+poolRefill+8)
	var pages []uintptr
	for p := allocOn(0); p != 0; p = allocOn(0) {
		pages = append(pages, p)
	}
	if len(pages) != poolMax+poolRefill+8 {
		t.Fatalf("allocated %d pages, want all %d", len(pages), poolMax+poolRefill+8)
	}
	for _, p := range pages {
		freeOn(p, 0)
	}
	if pools[0].n != poolMax {
		t.Errorf("core 0 keeps %d pages, want the cap %d", pools[0].n, poolMax)
	}
	// What exceeded the cap is in the global pool, for any core.
	n := 0
	for p := phys.free; p != 0; p = *(*uintptr)(ptr(p)) {
		n++
	}
	if n != poolRefill+8 {
		t.Errorf("global free list holds %d pages, want %d", n, poolRefill+8)
	}
	if FreePages() != uint64(len(pages)) {
		t.Errorf("free pages %d, want %d", FreePages(), len(pages))
	}
}

func TestPoolStealsStrandedPages(t *testing.T) {
	testMem(t, poolRefill)
	var pages []uintptr
	for p := allocOn(0); p != 0; p = allocOn(0) {
		pages = append(pages, p)
	}
	// Core 1 frees all of core 0's pages; core 0 stops allocating. The
	// global pool is empty, so core 3 takes them from core 0's inbox and
	// becomes their owner.
	for _, p := range pages {
		freeOn(p, 1)
	}
	p := allocOn(3)
	if p == 0 {
		t.Fatal("core 3 found no page although core 0's inbox holds them all")
	}
	if owner(p) != 3 || pools[3].n != len(pages)-1 {
		t.Errorf("owner %d, core 3 keeps %d; want 3 and %d", owner(p), pools[3].n, len(pages)-1)
	}
	if allocOn(2) != 0 {
		t.Error("a page appeared from nowhere")
	}
}

// TestPoolInboxCapped: pages another core frees for their owner come back
// through its inbox, and what exceeds the cap then goes to the global
// pool, where a core that has none can take it: a program that touched
// memory on two cores and unmapped it on one must not run out of memory
// on the other while the first core's list holds it.
func TestPoolInboxCapped(t *testing.T) {
	const total = 3 * poolMax
	testMem(t, total)
	var pages []uintptr
	for p := allocOn(1); p != 0; p = allocOn(1) {
		pages = append(pages, p)
	}
	if len(pages) != total {
		t.Fatalf("core 1 allocated %d pages, want all %d", len(pages), total)
	}
	for _, p := range pages {
		freeOn(p, 0) // core 1 owns them: all go to its inbox
	}
	if p := allocOn(1); p == 0 {
		t.Fatal("core 1 found no page in its inbox")
	}
	if n, _ := PoolStats(1); n > poolMax {
		t.Errorf("core 1 keeps %d pages after draining its inbox, more than the cap %d", n, poolMax)
	}
	got := 0
	for allocOn(0) != 0 {
		got++
	}
	if want := total - 1 - poolMax; got < want {
		t.Errorf("core 0 found %d pages, want at least %d (core 1 keeps the rest)", got, want)
	}
}

// TestPoolConcurrent has cores allocate and free at once, each freeing
// pages other cores own, and checks that no page is lost or handed out
// twice (run it with -race).
func TestPoolConcurrent(t *testing.T) {
	const cores, rounds, total = 4, 2000, 400
	testMem(t, total)
	var mu sync.Mutex
	inUse := map[uintptr]int{}
	var wg sync.WaitGroup
	handoff := make(chan uintptr, total)
	for c := 0; c < cores; c++ {
		wg.Add(1)
		go func(core int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				if p := allocOn(core); p != 0 {
					mu.Lock()
					if o, dup := inUse[p]; dup {
						mu.Unlock()
						t.Errorf("page %#x handed to core %d while core %d has it", p, core, o)
						return
					}
					inUse[p] = core
					mu.Unlock()
					*(*uintptr)(ptr(p + 8)) = uintptr(core) // the page is the holder's
					handoff <- p
				}
				select {
				case q := <-handoff: // often a page another core took
					mu.Lock()
					delete(inUse, q)
					mu.Unlock()
					freeOn(q, core)
				default:
				}
			}
		}(c)
	}
	wg.Wait()
	close(handoff)
	for q := range handoff {
		delete(inUse, q)
		freeOn(q, 0)
	}
	if FreePages() != total {
		t.Errorf("free pages %d after everything was returned, want %d", FreePages(), total)
	}
	// Every page can be allocated again, each once.
	seen := map[uintptr]bool{}
	for c := 0; c < cores; c++ {
		for p := allocOn(c); p != 0; p = allocOn(c) {
			if seen[p] {
				t.Fatalf("page %#x twice", p)
			}
			seen[p] = true
		}
	}
	if len(seen) != total {
		t.Errorf("%d distinct pages allocated after the run, want %d", len(seen), total)
	}
}

// TestRemoteFreeConcurrent has three cores return pages to one owner at
// once while the owner drains its inbox, with nothing else ordering them
// (run it with -race): every page arrives once.
func TestRemoteFreeConcurrent(t *testing.T) {
	const perCore, freers = 300, 3
	testMem(t, perCore*freers)
	var batches [freers][]uintptr
	for i := range batches {
		for j := 0; j < perCore; j++ {
			batches[i] = append(batches[i], allocOn(0))
		}
	}
	var wg sync.WaitGroup
	for i := range batches {
		wg.Add(1)
		go func(core int, pages []uintptr) {
			defer wg.Done()
			for _, p := range pages {
				freeOn(p, core)
			}
		}(i+1, batches[i])
	}
	var got []uintptr
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for finished := false; len(got) < perCore*freers; {
		if p := allocOn(0); p != 0 {
			got = append(got, p)
		} else if finished {
			t.Fatalf("%d of %d pages came back", len(got), perCore*freers)
		}
		select {
		case <-done:
			finished = true
		default:
		}
	}
	seen := map[uintptr]bool{}
	for _, p := range got {
		if seen[p] {
			t.Fatalf("page %#x came back twice", p)
		}
		seen[p] = true
	}
}

func TestPoolSize(t *testing.T) {
	// Two cores' pool fields must never share a cache line: 40 bytes of
	// fields 128 bytes apart cannot, whatever the array's alignment.
	if s := unsafe.Sizeof(pool{}); s != 128 {
		t.Errorf("pool is %d bytes, want 128", s)
	}
	if e := unsafe.Offsetof(pool{}.freshEnd) + unsafe.Sizeof(uintptr(0)); e > 64 {
		t.Errorf("pool's fields end at byte %d, beyond a cache line", e)
	}
}
