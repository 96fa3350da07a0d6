// Command preempt needs asynchronous preemption: on one CPU, goroutines
// spin in loops without function calls while main sleeps and collects
// garbage. Only SIGURG delivered by the kernel (tgkill) lets main run.
package main

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
)

var sink atomic.Int64

//go:noinline
func spin(stop *atomic.Bool) {
	var n int64
	for !stop.Load() {
		n++
	}
	sink.Add(n)
}

func main() {
	fmt.Println("GOMAXPROCS", runtime.GOMAXPROCS(0))
	var stop atomic.Bool
	for i := 0; i < 4; i++ {
		go spin(&stop)
	}
	time.Sleep(10 * time.Millisecond)
	start := time.Now()
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	stop.Store(true)
	fmt.Printf("preempt ok: main ran again after %v\n", time.Since(start).Round(time.Millisecond))
}
