// Package gotoro is the application-facing API of the gotoro unikernel: the
// cores the program runs on, which one the caller is on, running a function
// on a chosen core, and a polling hint that lets a core halt while a thread
// only polls memory.
//
// The same API works in two worlds. In a gotoro guest (built with the
// "gotoro" build tag, which gotoro build sets) every core runs its own
// kernel instance and CoreID reads the per-core data directly. Hosted, in a
// plain Linux process, a core is one CPU of the process's affinity mask at
// start-up, and threads are pinned with sched_setaffinity. Hosted mode is
// what `go test -race` exercises and what benchmarks compare against.
package gotoro

import (
	"fmt"
	"runtime"
)

// Cores returns how many cores the program may use: the vCPUs of the guest,
// or hosted, the CPUs in the process's affinity mask when it started. Cores
// are numbered 0 to Cores()-1.
func Cores() int { return len(topo.cpus) }

// Go runs fn on a new goroutine locked to an OS thread pinned to core. The
// thread stays on that core until fn returns; then its former affinity is
// restored and the goroutine ends. Go panics if core is not in
// [0, Cores()).
func Go(core int, fn func()) {
	if core < 0 || core >= Cores() {
		panic(fmt.Sprintf("gotoro.Go: core %d out of range [0, %d)", core, Cores()))
	}
	go func() {
		runtime.LockOSThread()
		old, err := getAffinity()
		if err != nil {
			panic(fmt.Sprintf("gotoro.Go: %v", err))
		}
		if err := pinThread(core); err != nil {
			panic(fmt.Sprintf("gotoro.Go: %v", err))
		}
		fn()
		// Restore the thread for reuse; if that fails the thread stays
		// locked and exits with the goroutine.
		if setAffinity(old) == nil {
			runtime.UnlockOSThread()
		}
	}()
}

// Pin pins the calling goroutine's thread to core: it locks the goroutine
// to its OS thread (runtime.LockOSThread) and moves the thread there. The
// goroutine stays on that core until it calls runtime.UnlockOSThread (the
// thread's affinity then stays as set; use Go for a scoped pin).
func Pin(core int) error {
	if core < 0 || core >= Cores() {
		return fmt.Errorf("gotoro.Pin: core %d out of range [0, %d)", core, Cores())
	}
	runtime.LockOSThread()
	return pinThread(core)
}
