// Command ktrace makes a few system calls whose trace lines
// TestKernelTrace looks for: an open that fails, a write, a signal handled
// (rt_sigreturn) and a call the kernel does not implement (acct).
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if _, err := syscall.Open("/no/such/file", syscall.O_RDONLY, 0); err != syscall.ENOENT {
		fmt.Println("FAIL open:", err)
		os.Exit(1)
	}
	os.Stdout.WriteString("traced\n")
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1)
	syscall.Kill(syscall.Getpid(), syscall.SIGUSR1)
	<-ch
	if _, _, e := syscall.Syscall(syscall.SYS_ACCT, 0, 0, 0); e != syscall.ENOSYS {
		fmt.Println("FAIL acct:", e)
		os.Exit(1)
	}
}
