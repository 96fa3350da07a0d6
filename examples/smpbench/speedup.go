package main

import (
	"fmt"
	"sync"
	"time"

	"github.com/gotoro/gotoro"
)

// work is a CPU-bound job: units of an integer hash chain.
func work(units int) uint64 {
	x := uint64(1)
	for u := 0; u < units; u++ {
		for i := 0; i < 2_000_000; i++ {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
		}
	}
	return x
}

// benchSpeedup runs the same job on core 0 alone and split across every
// core, three times each, and reports the best times and their ratio.
func benchSpeedup() error {
	cores := gotoro.Cores()
	if cores < 2 {
		return fmt.Errorf("speedup needs at least 2 cores, have %d", cores)
	}
	units := 8 * cores
	run := func(parts int) time.Duration {
		var wg sync.WaitGroup
		start := time.Now()
		for c := 0; c < parts; c++ {
			wg.Add(1)
			gotoro.Go(c, func() {
				defer wg.Done()
				sink += int(work(units/parts) & 1)
			})
		}
		wg.Wait()
		return time.Since(start)
	}
	best := func(parts int) time.Duration {
		b := time.Duration(1 << 62)
		for i := 0; i < 3; i++ {
			b = min(b, run(parts))
		}
		return b
	}
	one, all := best(1), best(cores)
	report("speedup/1-core", float64(one.Microseconds())/1000, "ms")
	report(fmt.Sprintf("speedup/%d-cores", cores), float64(all.Microseconds())/1000, "ms")
	report("speedup/ratio", float64(all)/float64(one), "x")
	return nil
}
