//go:build amd64 && !gotoro

package mpi

import (
	"sync"
	"time"

	"github.com/gotoro/gotoro/internal/rdtsc"
)

// tsc is the invariant TSC's rate, measured on first use.
var tsc struct {
	once sync.Once
	ok   bool
	base uint64
	hz   float64
}

func calibrate() {
	if !rdtsc.Invariant() {
		return
	}
	const window = 20 * time.Millisecond
	t0, c0 := time.Now(), rdtsc.Read()
	for time.Since(t0) < window {
	}
	t1, c1 := time.Now(), rdtsc.Read()
	tsc.hz = float64(c1-c0) / t1.Sub(t0).Seconds()
	tsc.base = c0 - uint64(t0.Sub(epoch).Seconds()*tsc.hz)
	tsc.ok = tsc.hz > 0
}

func wtime() float64 {
	tsc.once.Do(calibrate)
	if !tsc.ok {
		return clockSeconds()
	}
	return float64(rdtsc.Read()-tsc.base) / tsc.hz
}

func wtick() float64 {
	tsc.once.Do(calibrate)
	if !tsc.ok {
		return 1e-9
	}
	return 1 / tsc.hz
}
