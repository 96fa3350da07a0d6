// Command goroutines exercises the scheduler: 1000 goroutines passing
// values through channels, a mutex-protected counter, a WaitGroup, and
// select with timeouts.
package main

import (
	"fmt"
	"os"
	"sync"
	"time"
)

func main() {
	const n = 1000
	var (
		mu      sync.Mutex
		counter int
		wg      sync.WaitGroup
	)
	in := make(chan int)
	out := make(chan int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := <-in
			mu.Lock()
			counter++
			mu.Unlock()
			out <- v * 2
		}()
	}
	for i := 0; i < n; i++ {
		in <- i
	}
	wg.Wait()
	close(out)
	sum := 0
	for v := range out {
		sum += v
	}
	if counter != n || sum != n*(n-1) {
		fmt.Printf("FAIL: counter=%d sum=%d\n", counter, sum)
		os.Exit(1)
	}
	fmt.Printf("goroutines ok: counter=%d sum=%d\n", counter, sum)

	// select with a timeout that fires, and one that does not.
	never := make(chan int)
	start := time.Now()
	select {
	case <-never:
		fmt.Println("FAIL: received from a silent channel")
		os.Exit(1)
	case <-time.After(50 * time.Millisecond):
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		fmt.Println("FAIL: select timeout fired early:", d)
		os.Exit(1)
	}
	ready := make(chan int, 1)
	go func() { ready <- 42 }()
	select {
	case v := <-ready:
		fmt.Println("select ok:", v)
	case <-time.After(5 * time.Second):
		fmt.Println("FAIL: select timed out waiting for a ready goroutine")
		os.Exit(1)
	}
}
