package main

import (
	"fmt"
	"time"

	"github.com/gotoro/gotoro"
)

var sink int

// benchCoreID times gotoro.CoreID against the other ways a core can learn
// who it is (lapicReaders: the local APIC's ID register in the guest,
// getcpu hosted). Each method runs in its own loop of direct calls; an
// assembly function that returns 0 gives the cost of the loop and call.
func benchCoreID() error {
	done := make(chan error)
	gotoro.Go(0, func() {
		const n = 2_000_000
		start := time.Now()
		for i := 0; i < n; i++ {
			sink += zero()
		}
		report("coreid/empty-call", nsPer(start, n), "ns")
		start = time.Now()
		for i := 0; i < n; i++ {
			sink += gotoro.CoreID()
		}
		report("coreid/gotoro.CoreID", nsPer(start, n), "ns")
		for _, r := range lapicReaders() {
			if !r.ok() {
				fmt.Printf("# %s: not available (%s)\n", r.name, r.why)
				continue
			}
			start = time.Now()
			for i := 0; i < n/10; i++ {
				sink += r.read()
			}
			report("coreid/"+r.name, nsPer(start, n/10), "ns")
		}
		done <- nil
	})
	return <-done
}

func nsPer(start time.Time, n int) float64 {
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

// idReader is one way of reading the current core's identity.
type idReader struct {
	name string
	read func() int
	ok   func() bool
	why  string
}

func zero() int
