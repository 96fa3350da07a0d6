package vectorwork

import "testing"

// TestWorker checks that the workload is deterministic, passes its own
// checks and calls between once per round with the same seeds.
func TestWorker(t *testing.T) {
	var seeds1, seeds2 []uint64
	a := Worker(3, 2, func(s uint64) { seeds1 = append(seeds1, s) })
	b := Worker(3, 2, func(s uint64) { seeds2 = append(seeds2, s) })
	if a.Failed != "" || b.Failed != "" {
		t.Fatalf("self-check failed: %q, %q", a.Failed, b.Failed)
	}
	if a.Hex() != b.Hex() || len(a.Hex()) != 24 {
		t.Errorf("digests %q and %q differ", a.Hex(), b.Hex())
	}
	if len(seeds1) != 2 || seeds1[0] != seeds2[0] || seeds1[1] != seeds2[1] || seeds1[0] == seeds1[1] {
		t.Errorf("between seeds %v and %v", seeds1, seeds2)
	}
	if c := Worker(4, 2, nil); c.Hex() == a.Hex() {
		t.Errorf("workers 3 and 4 have the same digest %q", a.Hex())
	}
}
