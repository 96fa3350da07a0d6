// Command gc allocates many times the guest's memory with a small live
// heap, forces collections and checks that finalizers run.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
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
	const chunk = 1 << 20
	live := make([][]byte, 16)
	var allocated int64
	for i := 0; allocated < total; i++ {
		b := make([]byte, chunk)
		b[0], b[chunk-1] = byte(i), byte(i)
		live[i%len(live)] = b
		allocated += chunk
	}
	for i, b := range live {
		if b == nil || len(b) != chunk {
			fmt.Println("FAIL: live slot", i, "lost")
			os.Exit(1)
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("allocated %d MiB, heap in use %d MiB, %d GCs\n", allocated>>20, ms.HeapInuse>>20, ms.NumGC)

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
