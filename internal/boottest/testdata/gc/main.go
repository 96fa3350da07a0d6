// Command gc allocates many times the guest's memory with a small live
// heap, on every P at once, forces collections and checks that finalizers
// run.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

type blob struct{ b []byte }

func main() {
	total := int64(8 << 30) // well over 8x a 256 MiB guest
	if len(os.Args) > 1 {
		n, err := strconv.ParseInt(os.Args[1], 10, 64)
		if err != nil {
			fmt.Println("bad size:", err)
			os.Exit(2)
		}
		total = n
	}
	// One allocating goroutine per P, so that on several cores the
	// collector runs while every core allocates.
	const chunk = 1 << 20
	workers := runtime.GOMAXPROCS(0)
	var allocated atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			live := make([][]byte, max(16/workers, 2)) // about 16 MiB live in all
			for i := 0; allocated.Add(chunk) <= total; i++ {
				b := make([]byte, chunk)
				b[0], b[chunk-1] = byte(i), byte(i)
				live[i%len(live)] = b
			}
			allocated.Add(-chunk) // the one that did not happen
			for i, b := range live {
				if b != nil && (len(b) != chunk || b[0] != b[chunk-1]) {
					fmt.Println("FAIL: live slot", i, "corrupted")
					os.Exit(1)
				}
			}
		}()
	}
	wg.Wait()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("allocated %d MiB on %d goroutines, heap in use %d MiB, %d GCs\n", allocated.Load()>>20, workers, ms.HeapInuse>>20, ms.NumGC)

	done := make(chan bool, 10)
	for i := 0; i < 10; i++ {
		o := &blob{b: make([]byte, 1024)}
		runtime.SetFinalizer(o, func(*blob) { done <- true })
	}
	deadline := time.After(20 * time.Second)
	for got := 0; got < 10; {
		runtime.GC()
		select {
		case <-done:
			got++
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			fmt.Println("FAIL: finalizers ran", got, "of 10")
			os.Exit(1)
		}
	}
	fmt.Println("finalizers ok")
}
