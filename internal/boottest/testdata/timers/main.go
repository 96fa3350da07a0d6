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

func report(name string, want, got time.Duration) {
	fmt.Printf("%s want=%d got=%d\n", name, want.Microseconds(), got.Microseconds())
}

func main() {
	start := time.Now()
	time.Sleep(200 * time.Millisecond)
	report("sleep", 200*time.Millisecond, time.Since(start))

	start = time.Now()
	tk := time.NewTicker(50 * time.Millisecond)
	for i := 0; i < 5; i++ {
		<-tk.C
	}
	tk.Stop()
	report("ticker", 250*time.Millisecond, time.Since(start))

	start = time.Now()
	fired := make(chan time.Duration, 1)
	time.AfterFunc(150*time.Millisecond, func() { fired <- time.Since(start) })
	report("afterfunc", 150*time.Millisecond, <-fired)

	start = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	<-ctx.Done()
	if ctx.Err() != context.DeadlineExceeded {
		fmt.Println("FAIL: context error", ctx.Err())
		os.Exit(1)
	}
	report("context", 100*time.Millisecond, time.Since(start))
	fmt.Println("wall", time.Now().Year() >= 2024)

	accuracy(time.Millisecond, 21)
	accuracy(10*time.Millisecond, 11)
	accuracy(100*time.Millisecond, 5)
	accuracy(time.Second, 3)
}
