// Command fault takes a fault the Go runtime cannot handle: it resets the
// SIGSEGV handler to the default with a raw system call, then dereferences
// nil. The kernel must print its fault report and stop with its fault
// status.
package main

import (
	"fmt"
	"syscall"
	"unsafe"
)

type sigactiont struct {
	handler, flags, restorer, mask uintptr
}

//go:noinline
func crash(p *int) { *p = 42 }

func main() {
	var sa sigactiont // SIG_DFL
	if _, _, e := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(syscall.SIGSEGV), uintptr(unsafe.Pointer(&sa)), 0, 8, 0, 0); e != 0 {
		fmt.Println("rt_sigaction:", e)
		return
	}
	fmt.Println("about to fault")
	crash(nil)
	fmt.Println("FAIL: still running")
}
