//go:build !gotoro

package gotoro

import (
	"syscall"
	"unsafe"
)

// CoreID returns the core the calling thread runs on, or -1 if the thread
// has been moved to a CPU outside the process's start-up mask. The answer
// can be stale as soon as it is returned unless the thread is pinned (Go,
// Pin).
func CoreID() int {
	cpu := osCPU()
	if c, ok := topo.coreOf[cpu]; ok {
		return c
	}
	return -1
}

// getcpu returns the OS CPU number through the getcpu system call.
func getcpu() int {
	var cpu uint32
	_, _, e := syscall.RawSyscall(sysGetcpu, uintptr(unsafe.Pointer(&cpu)), 0, 0)
	if e != 0 {
		return 0
	}
	return int(cpu)
}
