package main

import (
	"sync"
	"time"

	"github.com/gotoro/gotoro"
)

// seqPar times work on two independent objects, the shape the files and
// pipes benchmarks share: "sequential" is one thread on core 0 doing
// work(0) then work(1); "parallel" is two threads on cores 0 and 1, one
// object each. It returns the best of three runs of each, alternated so
// that a disturbance of the host hits both alike, or the first error.
func seqPar(work func(i int) error) (seq, par time.Duration, err error) {
	runSeq := func() (time.Duration, error) {
		var err error
		var wg sync.WaitGroup
		wg.Add(1)
		start := time.Now()
		gotoro.Go(0, func() {
			defer wg.Done()
			if err = work(0); err == nil {
				err = work(1)
			}
		})
		wg.Wait()
		return time.Since(start), err
	}
	runPar := func() (time.Duration, error) {
		var errs [2]error
		var wg sync.WaitGroup
		start := time.Now()
		for c := 0; c < 2; c++ {
			wg.Add(1)
			gotoro.Go(c, func() {
				defer wg.Done()
				errs[c] = work(c)
			})
		}
		wg.Wait()
		d := time.Since(start)
		if errs[0] != nil {
			return d, errs[0]
		}
		return d, errs[1]
	}
	seq, par = time.Duration(1<<62), time.Duration(1<<62)
	for i := 0; i < 3; i++ {
		s, err := runSeq()
		if err != nil {
			return 0, 0, err
		}
		p, err := runPar()
		if err != nil {
			return 0, 0, err
		}
		seq, par = min(seq, s), min(par, p)
	}
	return seq, par, nil
}

// reportSeqPar prints a seqPar measurement of name: both times, their
// ratio, and the sequential time per system call for calls calls.
func reportSeqPar(name string, seq, par time.Duration, calls int) {
	report(name+"/sequential", float64(seq.Microseconds())/1000, "ms")
	report(name+"/parallel", float64(par.Microseconds())/1000, "ms")
	report(name+"/ratio", float64(par)/float64(seq), "x")
	report(name+"/ns-per-call", float64(seq.Nanoseconds())/float64(calls), "ns")
}
