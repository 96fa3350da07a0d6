// Command cpubench is a fixed amount of CPU-bound work (integer hashing),
// timed by the guest itself: it prints "cpubench: N ns". gotoro bench prof
// runs it with and without the profiler to measure the profiler's cost.
// An optional argument sets the number of rounds (default 40000, about 5 s under TCG here).
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

//go:noinline
func round(seed uint64) uint64 {
	x := seed
	for i := 0; i < 1<<16; i++ {
		x = x*6364136223846793005 + 1442695040888963407
		x ^= x >> 31
	}
	return x
}

func main() {
	rounds := 40000
	if len(os.Args) > 1 {
		if n, err := strconv.Atoi(os.Args[1]); err == nil && n > 0 {
			rounds = n
		}
	}
	start := time.Now()
	var sum uint64
	for i := 0; i < rounds; i++ {
		sum += round(uint64(i))
	}
	fmt.Printf("cpubench: %d ns (checksum %x)\n", time.Since(start).Nanoseconds(), sum)
}
