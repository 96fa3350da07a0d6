package main

import (
	"fmt"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/gotoro/gotoro"
)

// threadCPU returns the calling thread's CPU time
// (CLOCK_THREAD_CPUTIME_ID; in a guest, the kernel's own accounting).
func threadCPU() time.Duration {
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 3, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}

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
	// run returns the wall time and the smallest share of it that a
	// worker's thread ran (its thread CPU time over its own wall time):
	// below 1, the worker waited for its core while the job ran.
	run := func(parts int) (time.Duration, float64) {
		var wg sync.WaitGroup
		shares := make([]float64, parts)
		start := time.Now()
		for c := 0; c < parts; c++ {
			wg.Add(1)
			gotoro.Go(c, func() {
				defer wg.Done()
				t0, c0 := time.Now(), threadCPU()
				sink += int(work(units/parts) & 1)
				shares[c] = float64(threadCPU()-c0) / float64(time.Since(t0))
			})
		}
		wg.Wait()
		d := time.Since(start)
		share := 1.0
		for _, s := range shares {
			share = min(share, s)
		}
		return d, share
	}
	best := func(parts int) (time.Duration, float64) {
		b, bs := time.Duration(1<<62), 0.0
		for i := 0; i < 3; i++ {
			if d, s := run(parts); d < b {
				b, bs = d, s
			}
		}
		return b, bs
	}
	one, _ := best(1)
	all, share := best(cores)
	report("speedup/1-core", float64(one.Microseconds())/1000, "ms")
	report(fmt.Sprintf("speedup/%d-cores", cores), float64(all.Microseconds())/1000, "ms")
	report("speedup/ratio", float64(all)/float64(one), "x")
	report("speedup/cpu-share", share, "x")
	return nil
}
