// Command kstack makes a system call the kernel does not implement, from
// a thread it names: booted with ktest=kstack, the kernel overflows that
// thread's kernel stack there and must report it (the kernel-stack-overflow
// boot case). Booted without it, the call fails with ENOSYS. With an
// argument N it first pins its thread to core N (ktest=ist-syscall
// overflows that core's exceptions' interrupt stack).
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"unsafe"
)

// unimplemented is a system call number Linux does not have either.
const unimplemented = 1000

func main() {
	runtime.LockOSThread()
	if len(os.Args) > 1 {
		core, err := strconv.Atoi(os.Args[1])
		if err != nil || core < 0 || core >= 64 {
			fmt.Println("want a core number from 0 to 63, got", os.Args[1])
			os.Exit(2)
		}
		mask := uint64(1) << core
		if _, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, 8, uintptr(unsafe.Pointer(&mask))); e != 0 {
			fmt.Println("sched_setaffinity:", e)
			os.Exit(1)
		}
		fmt.Println("pinned to core", core)
	}
	fmt.Printf("calling system call %d on thread %d\n", unimplemented, syscall.Gettid())
	_, _, e := syscall.Syscall(unimplemented, 0, 0, 0)
	fmt.Println("returned:", e)
	if e != syscall.ENOSYS {
		os.Exit(1)
	}
}
