package mm

import "testing"

func TestPinDefersFree(t *testing.T) {
	testMem(t, 8)
	p := allocOn(0)
	if !Pin(p+100) || !Pin(p) {
		t.Fatal("pin failed")
	}
	free := FreePages()
	// Unmapped while two device requests use it: not freed.
	unmapped.add(p, 0)
	unmapped.flush(0)
	if FreePages() != free {
		t.Fatalf("a pinned page was freed on unmap")
	}
	unpinOn(p+200, 0)
	if FreePages() != free {
		t.Fatalf("freed while one pin is left")
	}
	unpinOn(p, 0)
	if FreePages() != free+1 {
		t.Fatalf("the last unpin did not free the unmapped page")
	}
	if *pinByte(p) != 0 {
		t.Errorf("pin byte %#x after the free, want 0", *pinByte(p))
	}
	// A pinned page that is not unmapped stays when unpinned.
	q := allocOn(0)
	Pin(q)
	unpinOn(q, 0)
	if FreePages() != free {
		t.Errorf("unpinning a mapped page freed it")
	}
	unpinOn(q, 0) // no pin left: nothing happens
	if *pinByte(q) != 0 || FreePages() != free {
		t.Errorf("an unpin without a pin changed something")
	}
}

func TestPinLimit(t *testing.T) {
	testMem(t, 2)
	p := allocOn(0)
	for i := 0; i < pinMax; i++ {
		if !Pin(p) {
			t.Fatalf("pin %d failed", i+1)
		}
	}
	if Pin(p) {
		t.Errorf("pin %d succeeded: the count would overflow into the deferred bit", pinMax+1)
	}
	// Memory the pools do not manage needs no pin.
	if !Pin(phys.ownerLen << PageShift) {
		t.Errorf("pinning memory outside the pools failed")
	}
}

func TestBatchFreesAfterShootdown(t *testing.T) {
	testMem(t, 300)
	var pages []uintptr
	for i := 0; i < 3; i++ {
		pages = append(pages, allocOn(0))
	}
	unmapped.flush(0)
	if shootdowns.Load() != 0 {
		t.Errorf("a flush with nothing changed shot down the TLBs")
	}
	unmapped.add(0, 0) // a permission change only
	unmapped.flush(0)
	if shootdowns.Load() != 1 {
		t.Errorf("a permission change made %d shootdowns, want 1", shootdowns.Load())
	}
	free := FreePages()
	for _, p := range pages {
		unmapped.add(p, 0)
	}
	if FreePages() != free {
		t.Errorf("pages freed before the shootdown")
	}
	unmapped.flush(0)
	if shootdowns.Load() != 2 || uint64(freeAtShootdown.Load()) != free || FreePages() != free+3 {
		t.Errorf("shootdowns %d, free at the shootdown %d, after %d; want 2, %d, %d",
			shootdowns.Load(), freeAtShootdown.Load(), FreePages(), free, free+3)
	}
	// A full batch is flushed before it takes more.
	var many []uintptr
	for i := 0; i < len(unmapped.pages)+1; i++ {
		many = append(many, allocOn(0))
	}
	for _, p := range many {
		unmapped.add(p, 0)
	}
	if shootdowns.Load() != 3 || unmapped.n != 1 {
		t.Errorf("after %d pages: %d shootdowns, %d queued; want 3 and 1", len(many), shootdowns.Load(), unmapped.n)
	}
	unmapped.flush(0)
	if FreePages() != free+3 {
		t.Errorf("free pages %d after all came back, want %d", FreePages(), free+3)
	}
}
