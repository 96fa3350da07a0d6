// Command snapclock prints its arguments, an environment variable, the
// wall clock, how long ago (by the monotonic clock) its package
// initialization ran and the first byte of main.main's code. TestSnapshot
// checks with it that a run started from a snapshot taken at main.main has
// the wall clock of now, not of the snapshot, a monotonic clock that went
// on from the snapshot, and main.main's real first byte (not the kernel's
// INT3). With SNAP=exit-in-init it exits with status 7 in its
// initialization, before main.main. Its initialization also arms two
// timerfds an hour ahead with TFD_TIMER_ABSTIME|TFD_TIMER_CANCEL_ON_SET,
// one on CLOCK_REALTIME, one on CLOCK_MONOTONIC, and main.main prints
// what a nonblocking read of each answers: at the snapshot point the
// kernel sets the wall clock from the host's (after the save, or the
// restore), which cancels the first (ECANCELED) and not the second
// (EAGAIN); a run without a snapshot reads EAGAIN from both.
package main

import (
	"fmt"
	"os"
	"reflect"
	"syscall"
	"time"
	"unsafe"
)

var start = time.Now()

// cancelOnSet holds the two timerfds (realtime, monotonic), or -1.
var cancelOnSet = [2]int{-1, -1}

func init() {
	if os.Getenv("SNAP") == "exit-in-init" {
		fmt.Println("exiting in init")
		os.Exit(7)
	}
	for i, clk := range []int{0, 1} { // CLOCK_REALTIME, CLOCK_MONOTONIC
		fd, _, e := syscall.Syscall(syscall.SYS_TIMERFD_CREATE, uintptr(clk), syscall.O_NONBLOCK, 0)
		if e != 0 {
			fmt.Println("timerfd_create:", e)
			continue
		}
		var ts syscall.Timespec
		syscall.Syscall(syscall.SYS_CLOCK_GETTIME, uintptr(clk), uintptr(unsafe.Pointer(&ts)), 0)
		its := [4]int64{0, 0, ts.Sec + 3600, ts.Nsec} // interval 0, value an hour ahead
		const abstime, cancelOnSetFlag = 1, 2
		if _, _, e := syscall.Syscall6(syscall.SYS_TIMERFD_SETTIME, fd, abstime|cancelOnSetFlag, uintptr(unsafe.Pointer(&its)), 0, 0, 0); e != 0 {
			fmt.Println("timerfd_settime:", e)
			continue
		}
		cancelOnSet[i] = int(fd)
	}
}

// timerfdRead names what a nonblocking read of timerfd fd answers.
func timerfdRead(fd int) string {
	var b [8]byte
	_, err := syscall.Read(fd, b[:])
	switch err {
	case nil:
		return "expired"
	case syscall.ECANCELED:
		return "ECANCELED"
	case syscall.EAGAIN:
		return "EAGAIN"
	}
	return fmt.Sprint(err)
}

func main() {
	fmt.Printf("args %q env %q\n", os.Args[1:], os.Getenv("SNAP"))
	fmt.Printf("wall %d\n", time.Now().UnixNano())
	fmt.Printf("since-init %d\n", time.Since(start).Nanoseconds())
	fmt.Printf("main-code %d\n", *(*byte)(unsafe.Pointer(reflect.ValueOf(main).Pointer())))
	fmt.Printf("timerfd-cancel-on-set realtime %s monotonic %s\n", timerfdRead(cancelOnSet[0]), timerfdRead(cancelOnSet[1]))
}
