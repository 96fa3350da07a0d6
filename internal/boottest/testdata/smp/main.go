// Command smp checks the guest's multi-core behaviour: the core count the
// Go runtime sees, gotoro.Go placing work on the asked core, per-thread
// affinity, and that every core does work under a parallel load.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/gotoro/gotoro"
)

func main() {
	want := 0
	if len(os.Args) > 1 {
		fmt.Sscan(os.Args[1], &want)
	}
	fail := false
	check := func(ok bool, format string, args ...any) {
		if !ok {
			fail = true
			fmt.Printf("FAIL: "+format+"\n", args...)
		}
	}
	fmt.Printf("NumCPU=%d GOMAXPROCS=%d Cores=%d\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), gotoro.Cores())
	check(runtime.NumCPU() == want, "NumCPU %d, want %d", runtime.NumCPU(), want)
	check(runtime.GOMAXPROCS(0) == want, "GOMAXPROCS %d, want %d", runtime.GOMAXPROCS(0), want)
	check(gotoro.Cores() == want, "Cores %d, want %d", gotoro.Cores(), want)

	// gotoro.Go runs on the asked core.
	var wg sync.WaitGroup
	got := make([]int, want)
	for c := 0; c < want; c++ {
		wg.Add(1)
		gotoro.Go(c, func() {
			defer wg.Done()
			id := gotoro.CoreID()
			for i := 0; i < 1000; i++ {
				if gotoro.CoreID() != id {
					id = -1
				}
				if i%100 == 0 {
					runtime.Gosched()
				}
			}
			got[c] = id
		})
	}
	wg.Wait()
	for c, id := range got {
		check(id == c, "Go(%d) ran on core %d", c, id)
	}
	fmt.Printf("Go(core) placement: %v\n", got)

	// sched_getaffinity / sched_setaffinity per thread.
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		last := want - 1
		var mask [1]uint64
		mask[0] = 1 << last
		_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, 8, uintptr(unsafe.Pointer(&mask)))
		check(e == 0, "sched_setaffinity: %v", e)
		check(gotoro.CoreID() == last, "after sched_setaffinity to %d: on core %d", last, gotoro.CoreID())
		var back [1]uint64
		r, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, 8, uintptr(unsafe.Pointer(&back)))
		check(e == 0 && r == 8 && back[0] == mask[0], "sched_getaffinity = %#x (%d, %v), want %#x", back[0], r, e, mask[0])
		mask[0] = 1 << 40 // no such core
		_, _, e = syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, 8, uintptr(unsafe.Pointer(&mask)))
		check(e == syscall.EINVAL, "sched_setaffinity to a missing core: %v, want EINVAL", e)
		mask[0] = 1<<want - 1 // give the thread back to every core
		_, _, e = syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, 8, uintptr(unsafe.Pointer(&mask)))
		check(e == 0, "sched_setaffinity to all cores: %v", e)
	}()
	<-done

	// A parallel CPU-bound load: every core takes part.
	var mu sync.Mutex
	seen := map[int]int{}
	var lw sync.WaitGroup
	for w := 0; w < 4*want; w++ {
		lw.Add(1)
		go func() {
			defer lw.Done()
			end := time.Now().Add(200 * time.Millisecond)
			x := uint64(w)
			for time.Now().Before(end) {
				for i := 0; i < 10000; i++ {
					x = x*6364136223846793005 + 1442695040888963407
				}
				mu.Lock()
				seen[gotoro.CoreID()]++
				mu.Unlock()
			}
			_ = x
		}()
	}
	lw.Wait()
	fmt.Printf("work per core: %v\n", seen)
	for c := 0; c < want; c++ {
		check(seen[c] > 0, "core %d did no work under a parallel load", c)
	}
	if fail {
		os.Exit(1)
	}
	fmt.Println("smp ok")
}
