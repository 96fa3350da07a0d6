package mpi

import (
	"fmt"
	"sync"

	"github.com/gotoro/gotoro"
	"github.com/gotoro/gotoro/bus"
)

// Run runs fn once per core, as rank = core, and returns when every rank
// has returned.
func Run(fn func(c *Comm)) error { return RunRanks(gotoro.Cores(), fn) }

// RunRanks runs fn as n ranks; rank r runs on a thread pinned to core
// r % gotoro.Cores().
func RunRanks(n int, fn func(c *Comm)) error {
	if n < 1 {
		return fmt.Errorf("mpi: %d ranks: %w", n, ErrRank)
	}
	o := bus.Options{}
	if n > 16 {
		o.SlotSize = 1024 // n² rings: keep them small
	}
	b, err := bus.New(n, o)
	if err != nil {
		return fmt.Errorf("mpi: %w", err)
	}
	var wg sync.WaitGroup
	for r := 0; r < n; r++ {
		c := newComm(r, b)
		wg.Add(1)
		gotoro.Go(r%gotoro.Cores(), func() {
			defer wg.Done()
			fn(c)
		})
	}
	wg.Wait()
	return nil
}
