package stress

import (
	"bytes"
	"testing"
)

func TestStreamReproducible(t *testing.T) {
	a, b := make([]byte, 4096), make([]byte, 4096)
	NewStream(7).Fill(a)
	NewStream(7).Fill(b)
	if !bytes.Equal(a, b) {
		t.Fatal("two streams of one seed differ")
	}
	NewStream(8).Fill(b)
	if bytes.Equal(a, b) {
		t.Fatal("streams of seeds 7 and 8 are equal")
	}
}

func TestChunkBounds(t *testing.T) {
	s := NewStream(1)
	sawLarge := false
	for range 100000 {
		n := Chunk(s, 300<<10)
		if n < 1 || n > 300<<10 {
			t.Fatalf("Chunk = %d, want 1..%d", n, 300<<10)
		}
		sawLarge = sawLarge || n > 16<<10
	}
	if !sawLarge {
		t.Error("no chunk above 16 KiB in 100000")
	}
}

func TestCheck(t *testing.T) {
	if !Check("fine", true) || Failed() {
		t.Fatal("a passing check recorded a failure")
	}
	if Check("broken", false, "detail") || !Failed() {
		t.Fatal("a failing check was not recorded")
	}
	failed.Store(false)
}
