package tsc

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/gotoro/gotoro/internal/rdtsc"
)

// Measurement parameters.
const (
	// window is how long the counter is timed against the monotonic clock.
	// With a bracket of ~100 ns around each clock read the error is below
	// 10 ppm, well under the rounding step.
	window = 15 * time.Millisecond
	// tries is how many bracketed clock reads each sample takes; the
	// tightest one wins, which filters out preemption and interrupts.
	tries = 7
	// step is the rounding unit of the result.
	step = 10_000 // 10 kHz
	// minHz and maxHz bound a plausible x86 TSC rate.
	minHz = 100_000_000
	maxHz = 10_000_000_000
)

// Hz returns the host's TSC frequency in Hz, without waiting where it can:
// the rate found earlier in this boot of the machine (cache.go), else the
// rate the Linux kernel calibrated when it publishes one (with the TSC as
// its clock source and sched_clock, which rules out most virtual machines;
// see kernelHz), else the rate measured (Measure, about 15 ms); a rate
// found is recorded for the next run. It returns an error on architectures
// without a TSC or when the result is implausible (the counter stopped, or
// was virtualized badly).
//
// The cache comes first because asking the kernel is not free: on this
// project's virtual machines (where the answer is "not published") the
// first perf event a process opens after a pause of a second or more took
// 10-14 ms, which every gotoro run started after a pause paid; runs back
// to back (a benchmark's) did not.
func Hz() (uint64, error) {
	if !rdtsc.Supported {
		return 0, fmt.Errorf("no time-stamp counter on %s", runtime.GOARCH)
	}
	return hzFrom(cacheLocation, kernelHz, Measure)
}

// hzFrom is Hz with the cache's location, the kernel's answer and the
// measurement supplied.
func hzFrom(loc func() (path, bootID string, ok bool), kernel func() (uint64, bool), measure func() (uint64, error)) (uint64, error) {
	find := func() (uint64, error) {
		if hz, ok := kernel(); ok {
			return hz, nil
		}
		return measure()
	}
	if path, id, ok := loc(); ok {
		return cachedHz(path, id, find)
	}
	return find()
}

// Measure times the TSC against CLOCK_MONOTONIC over about 15 ms and
// returns its rate rounded to 10 kHz.
func Measure() (uint64, error) {
	if !rdtsc.Supported {
		return 0, fmt.Errorf("no time-stamp counter on %s", runtime.GOARCH)
	}
	// Stay on one thread (and, usually, one CPU) for both samples.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	base := time.Now()
	c0, t0 := sample(base)
	time.Sleep(window)
	c1, t1 := sample(base)
	if c1 <= c0 || t1 <= t0 {
		return 0, errors.New("measuring the TSC: the counter or the clock did not advance")
	}
	hz := rate(c1-c0, t1-t0)
	if hz < minHz || hz > maxHz {
		return 0, fmt.Errorf("measuring the TSC: implausible rate %d Hz", hz)
	}
	return hz, nil
}

// sample returns a counter value and the monotonic time since base (in ns)
// taken at the same moment, as well as can be told: the clock read whose two
// bracketing counter reads are closest together, with the counter value
// taken at the middle of that bracket.
func sample(base time.Time) (count uint64, ns int64) {
	best := ^uint64(0)
	for range tries {
		a := rdtsc.Read()
		t := time.Since(base)
		b := rdtsc.Read()
		if b >= a && b-a < best {
			best = b - a
			count = a + (b-a)/2
			ns = int64(t)
		}
	}
	return count, ns
}

// rate converts count ticks in ns nanoseconds to Hz rounded to step.
func rate(count uint64, ns int64) uint64 {
	hz := float64(count) * 1e9 / float64(ns)
	return (uint64(hz) + step/2) / step * step
}
