// Command kstack makes a system call the kernel does not implement, from
// a thread it names: booted with ktest=kstack, the kernel overflows that
// thread's kernel stack there and must report it (the kernel-stack-overflow
// boot case). Booted without it, the call fails with ENOSYS.
package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
)

// unimplemented is a system call number Linux does not have either.
const unimplemented = 1000

func main() {
	runtime.LockOSThread()
	fmt.Printf("calling system call %d on thread %d\n", unimplemented, syscall.Gettid())
	_, _, e := syscall.Syscall(unimplemented, 0, 0, 0)
	fmt.Println("returned:", e)
	if e != syscall.ENOSYS {
		os.Exit(1)
	}
}
