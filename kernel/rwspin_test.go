package kernel

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestRWSpin runs readers and writers of one rwSpin on many goroutines:
// a writer must be alone (no reader, no other writer inside), readers
// may share, and every writer gets in while readers keep coming. Under
// -race the plain counters also check that the lock orders memory.
func TestRWSpin(t *testing.T) {
	var l rwSpin
	var inside, writers atomic.Int32
	var shared [4]int // written by writers only, read by readers
	var wg sync.WaitGroup
	var stop atomic.Bool
	const rounds = 2000
	for r := 0; r < 6; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				l.rlock(nil)
				inside.Add(1)
				if writers.Load() != 0 {
					t.Error("a reader inside with a writer")
				}
				a, b := shared[0], shared[3]
				if a != b {
					t.Errorf("reader saw a half-done write: %d, %d", a, b)
				}
				inside.Add(-1)
				l.runlock()
			}
		}()
	}
	var done sync.WaitGroup
	for w := 0; w < 3; w++ {
		done.Add(1)
		go func() {
			defer done.Done()
			for i := 0; i < rounds; i++ {
				l.lock(nil)
				if writers.Add(1) != 1 || inside.Load() != 0 {
					t.Error("a writer not alone")
				}
				for k := range shared {
					shared[k]++
				}
				writers.Add(-1)
				l.unlock()
			}
		}()
	}
	done.Wait()
	stop.Store(true)
	wg.Wait()
	if shared[0] != 3*rounds || shared[3] != 3*rounds {
		t.Errorf("writes %d, %d, want %d", shared[0], shared[3], 3*rounds)
	}
	if l.v != 0 {
		t.Errorf("lock word %#x after all left, want 0", l.v)
	}
}
