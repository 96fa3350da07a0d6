// Command hotcores keeps two cores busy in two different functions, core 0
// in spinCore0 and core 1 in spinCore1, for the profiler's per-vCPU test.
// With an argument N it runs N seconds (default 5). It needs two cores: with
// fewer it says so and exits at once.
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/gotoro/gotoro"
)

//go:noinline
func spinCore0(n int) uint64 {
	x := uint64(3)
	for i := 0; i < n; i++ {
		x = x*2862933555777941757 + 3037000493
	}
	return x
}

//go:noinline
func spinCore1(n int) uint64 {
	x := uint64(5)
	for i := 0; i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

func main() {
	secs := 5
	if len(os.Args) > 1 {
		secs, _ = strconv.Atoi(os.Args[1])
	}
	if n := gotoro.Cores(); n < 2 {
		fmt.Printf("hotcores: only %d cores\n", n)
		return
	}
	fmt.Println("hotcores: start")
	end := time.Now().Add(time.Duration(secs) * time.Second)
	var wg sync.WaitGroup
	sums := make([]uint64, 2)
	for core, spin := range []func(int) uint64{spinCore0, spinCore1} {
		wg.Add(1)
		gotoro.Go(core, func() {
			defer wg.Done()
			for time.Now().Before(end) {
				sums[core] += spin(1 << 16)
			}
		})
	}
	wg.Wait()
	fmt.Printf("hotcores: done %x %x\n", sums[0], sums[1])
}
