//go:build amd64 && !gotoro

package mpi

import (
	"sync"
	"time"
)

// tsc is the invariant TSC's rate, measured on first use.
var tsc struct {
	once sync.Once
	ok   bool
	base uint64
	hz   float64
}

func calibrate() {
	if !invariantTSC() {
		return
	}
	const window = 20 * time.Millisecond
	t0, c0 := time.Now(), rdtsc()
	for time.Since(t0) < window {
	}
	t1, c1 := time.Now(), rdtsc()
	tsc.hz = float64(c1-c0) / t1.Sub(t0).Seconds()
	tsc.base = c0 - uint64(t0.Sub(epoch).Seconds()*tsc.hz)
	tsc.ok = tsc.hz > 0
}

func wtime() float64 {
	tsc.once.Do(calibrate)
	if !tsc.ok {
		return clockSeconds()
	}
	return float64(rdtsc()-tsc.base) / tsc.hz
}

func wtick() float64 {
	tsc.once.Do(calibrate)
	if !tsc.ok {
		return 1e-9
	}
	return 1 / tsc.hz
}

// rdtsc reads the time-stamp counter.
func rdtsc() uint64

// invariantTSC reports CPUID's invariant-TSC bit (leaf 0x80000007, EDX
// bit 8): the TSC then ticks at a constant rate in every power state.
func invariantTSC() bool
