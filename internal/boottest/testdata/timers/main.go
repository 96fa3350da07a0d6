// Command timers checks time.Sleep, time.Ticker, time.AfterFunc and
// context.WithTimeout, printing each measured duration so that the host
// test can check them against wall-clock tolerances; then how exactly
// sleeps of 1 ms to 1 s end (several of each, the fastest, median and
// slowest printed).
package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"
)

// accuracy sleeps d n times and reports the shortest, median and longest
// sleep in µs.
func accuracy(d time.Duration, n int) {
	got := make([]time.Duration, n)
	for i := range got {
		s := time.Now()
		time.Sleep(d)
		got[i] = time.Since(s)
	}
	slices.Sort(got)
	fmt.Printf("accuracy want=%d n=%d min=%d median=%d max=%d\n", d.Microseconds(), n,
		got[0].Microseconds(), got[n/2].Microseconds(), got[n-1].Microseconds())
}

// kindRuns is how often each timer kind is measured: the host test
// checks that none ends early and that the fastest is accurate (a
// mis-programmed timer is off every time; a host that starves a vCPU
// disturbs one run, not all).
const kindRuns = 3

// report prints the fastest of a timer kind's runs, and fails the program
// if any ended early.
func report(name string, want time.Duration, runs []time.Duration) {
	for _, got := range runs {
		if got < want {
			fmt.Printf("FAIL: %s ended early: %d µs, want %d µs\n", name, got.Microseconds(), want.Microseconds())
			os.Exit(1)
		}
	}
	fmt.Printf("%s want=%d got=%d\n", name, want.Microseconds(), slices.Min(runs).Microseconds())
}

// measure runs f kindRuns times and returns how long each run took.
func measure(f func() time.Duration) []time.Duration {
	runs := make([]time.Duration, kindRuns)
	for i := range runs {
		runs[i] = f()
	}
	return runs
}

func main() {
	report("sleep", 200*time.Millisecond, measure(func() time.Duration {
		start := time.Now()
		time.Sleep(200 * time.Millisecond)
		return time.Since(start)
	}))

	report("ticker", 250*time.Millisecond, measure(func() time.Duration {
		start := time.Now()
		tk := time.NewTicker(50 * time.Millisecond)
		for i := 0; i < 5; i++ {
			<-tk.C
		}
		tk.Stop()
		return time.Since(start)
	}))

	report("afterfunc", 150*time.Millisecond, measure(func() time.Duration {
		start := time.Now()
		fired := make(chan time.Duration, 1)
		time.AfterFunc(150*time.Millisecond, func() { fired <- time.Since(start) })
		return <-fired
	}))

	report("context", 100*time.Millisecond, measure(func() time.Duration {
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		<-ctx.Done()
		if ctx.Err() != context.DeadlineExceeded {
			fmt.Println("FAIL: context error", ctx.Err())
			os.Exit(1)
		}
		return time.Since(start)
	}))
	fmt.Println("wall", time.Now().Year() >= 2024)

	accuracy(time.Millisecond, 21)
	accuracy(10*time.Millisecond, 11)
	accuracy(100*time.Millisecond, 5)
	accuracy(time.Second, 3)
}
