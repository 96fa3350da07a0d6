// Command snapclock prints its arguments, an environment variable, the
// wall clock and how long ago (by the monotonic clock) its package
// initialization ran. TestSnapshot checks with it that a run started from
// a snapshot taken at main.main has the wall clock of now, not of the
// snapshot, and a monotonic clock that went on from the snapshot.
package main

import (
	"fmt"
	"os"
	"time"
)

var start = time.Now()

func main() {
	fmt.Printf("args %q env %q\n", os.Args[1:], os.Getenv("SNAP"))
	fmt.Printf("wall %d\n", time.Now().UnixNano())
	fmt.Printf("since-init %d\n", time.Since(start).Nanoseconds())
}
