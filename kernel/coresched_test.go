package kernel

import (
	"testing"
	"unsafe"
)

// TestCoreSched checks that each core finds its own scheduler state by its
// number and that two cores' states never share a cache line.
func TestCoreSched(t *testing.T) {
	var saved [maxCPUs]int64
	for i := range cpus {
		saved[i] = cpus[i].id
		cpus[i].id = int64(i)
	}
	defer func() {
		for i := range cpus {
			cpus[i].id = saved[i]
		}
	}()
	for i := range cpus {
		if got, want := cpus[i].sched(), &scheds[i]; got != want {
			t.Errorf("cpus[%d].sched() = %p, want &scheds[%d] = %p", i, got, i, want)
		}
	}
	var s coreSched
	end := unsafe.Offsetof(s.tlb) + unsafe.Sizeof(s.tlb)
	if room := unsafe.Sizeof(s) - end; room < 64 {
		t.Errorf("coreSched has %d bytes after its last field, want at least 64 (a cache line between cores)", room)
	}
}
