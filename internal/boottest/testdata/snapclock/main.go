// Command snapclock prints its arguments, an environment variable, the
// wall clock, how long ago (by the monotonic clock) its package
// initialization ran and the first byte of main.main's code. TestSnapshot
// checks with it that a run started from a snapshot taken at main.main has
// the wall clock of now, not of the snapshot, a monotonic clock that went
// on from the snapshot, and main.main's real first byte (not the kernel's
// INT3). With SNAP=exit-in-init it exits with status 7 in its
// initialization, before main.main.
package main

import (
	"fmt"
	"os"
	"reflect"
	"time"
	"unsafe"
)

var start = time.Now()

func init() {
	if os.Getenv("SNAP") == "exit-in-init" {
		fmt.Println("exiting in init")
		os.Exit(7)
	}
}

func main() {
	fmt.Printf("args %q env %q\n", os.Args[1:], os.Getenv("SNAP"))
	fmt.Printf("wall %d\n", time.Now().UnixNano())
	fmt.Printf("since-init %d\n", time.Since(start).Nanoseconds())
	fmt.Printf("main-code %d\n", *(*byte)(unsafe.Pointer(reflect.ValueOf(main).Pointer())))
}
