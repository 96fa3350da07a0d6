// Command timers checks time.Sleep, time.Ticker, time.AfterFunc and
// context.WithTimeout, printing each measured duration so that the host
// test can check them against wall-clock tolerances.
package main

import (
	"context"
	"fmt"
	"os"
	"time"
)

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
}
