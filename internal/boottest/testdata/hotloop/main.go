// Command hotloop spends its time in one known function, hotSpin, for the
// profiler's tests; it prints a checksum so the work cannot be optimized away.
// With an argument N it runs N seconds (default 5).
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// hotSpin is the function the profiler must find at the top.
//
//go:noinline
func hotSpin(n int) uint64 {
	x := uint64(1)
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
		x ^= x >> 29
	}
	return x
}

func main() {
	secs := 5
	if len(os.Args) > 1 {
		secs, _ = strconv.Atoi(os.Args[1])
	}
	fmt.Println("hotloop: start")
	var sum uint64
	end := time.Now().Add(time.Duration(secs) * time.Second)
	for time.Now().Before(end) {
		sum += hotSpin(1 << 16)
	}
	fmt.Printf("hotloop: done %x\n", sum)
}
