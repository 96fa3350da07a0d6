package rdtsc

import (
	"testing"
	"time"
)

func TestReadAdvances(t *testing.T) {
	if !Supported {
		t.Skip("no time-stamp counter")
	}
	a := Read()
	time.Sleep(time.Millisecond)
	if b := Read(); b <= a {
		t.Errorf("counter went from %d to %d over 1 ms", a, b)
	}
	t.Logf("invariant TSC: %v", Invariant())
}
