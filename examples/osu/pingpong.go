package main

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gotoro/gotoro"
	"github.com/gotoro/gotoro/mpi"
)

// line is one counter alone on its cache line.
type line struct {
	_ [64]byte
	v atomic.Uint64
	_ [56]byte
}

// pingpong measures the floor of any core-to-core message: two threads
// pinned to cores 0 and 1 take turns incrementing one cache-line counter;
// a round trip is two increments. It prints the round trip.
func pingpong(p params) error {
	if gotoro.Cores() < 2 {
		return fmt.Errorf("pingpong needs 2 cores, have %d", gotoro.Cores())
	}
	var l line
	iters := p.iters * 10
	warmup := iters / 10
	var wg sync.WaitGroup
	var us float64
	wg.Add(2)
	gotoro.Go(0, func() {
		defer wg.Done()
		var t0 float64
		for i := 0; i < warmup+iters; i++ {
			if i == warmup {
				t0 = mpi.Wtime()
			}
			v := uint64(2 * i)
			for l.v.Load() != v {
			}
			l.v.Store(v + 1)
		}
		for l.v.Load() != uint64(2*(warmup+iters)) {
		}
		us = (mpi.Wtime() - t0) * 1e6 / float64(iters)
	})
	gotoro.Go(1, func() {
		defer wg.Done()
		for i := 0; i < warmup+iters; i++ {
			v := uint64(2*i + 1)
			for l.v.Load() != v {
			}
			l.v.Store(v + 1)
		}
	})
	wg.Wait()
	fmt.Println("# Raw cache-line ping-pong between two pinned threads (gotoro)")
	fmt.Printf("# %-10s %15s\n", "size", "round-trip-us")
	row(0, us)
	return nil
}
