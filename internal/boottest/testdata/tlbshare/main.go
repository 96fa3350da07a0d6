// Command tlbshare writes into memory that other cores have just read as
// zeros (the shared zero page, which their TLBs may still hold) and checks
// what they see, and times how fast threads can write memory they read
// first.
//
//	tlbshare visible [rounds]  one thread on one core writes a page the
//	                           others read as zeros; right after, each of
//	                           the others, on its own core, must read the
//	                           data: a core still using its cached
//	                           translation of the zero page would read 0.
//	                           In odd rounds the readers spin for the
//	                           writer's flag, in even ones they sleep
//	                           (their cores halt idle) until woken.
//	tlbshare seq [MiB]         one locked thread per core reads a fresh
//	                           region page by page, then writes it in
//	                           order, twice; prints the time.
//
// It prints "tlbshare ok" when every check passed, and runs the same on
// Linux (go run ./internal/boottest/testdata/tlbshare visible).
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

const page = 4096

var failed atomic.Bool

func fail(format string, args ...any) {
	if failed.CompareAndSwap(false, true) {
		fmt.Printf("FAIL "+format+"\n", args...)
	}
}

// pin locks the calling goroutine to its thread and the thread to core.
func pin(core int) {
	runtime.LockOSThread()
	var mask [16]uint64
	mask[core/64] = 1 << (core % 64)
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, unsafe.Sizeof(mask), uintptr(unsafe.Pointer(&mask)))
	if e != 0 {
		fail("sched_setaffinity to core %d: %v", core, e)
	}
}

func anon(n int) []byte {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		fail("mmap: %v", err)
		os.Exit(1)
	}
	return b
}

// visible runs rounds of: readers on cores 1.. read every page of a
// fresh region (zero pages), the writer on core 0 writes one word in
// each of some pages and raises a flag, and every reader then reads the
// words. The words are written in pages read first, so each write
// replaces a zero-page entry other cores may have cached.
func visible(rounds int) {
	cores := runtime.NumCPU()
	if cores < 2 {
		fmt.Println("visible: one core, nothing to check")
		return
	}
	readers := cores - 1
	const pages = 64
	var (
		region  atomic.Pointer[[]byte]
		started atomic.Int32 // round whose region is set
		ready   atomic.Int32 // readers done reading the round's zeros
		flag    atomic.Int32 // round the writer has written
		checked atomic.Int32 // readers done checking the round
		mu      sync.Mutex
		cond    = sync.NewCond(&mu)
		stale   atomic.Int64
	)
	var wg sync.WaitGroup
	for k := 1; k <= readers; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			pin(k)
			for r := 1; r <= rounds; r++ {
				for started.Load() < int32(r) {
					runtime.Gosched()
				}
				b := *region.Load()
				var sum byte
				for i := 0; i < len(b); i += page {
					sum |= b[i]
				}
				if sum != 0 {
					fail("round %d: core %d read a fresh region as non-zero", r, k)
				}
				ready.Add(1)
				if r%2 == 0 {
					mu.Lock()
					for flag.Load() < int32(r) {
						cond.Wait()
					}
					mu.Unlock()
				} else {
					for flag.Load() < int32(r) {
					}
				}
				for p := 0; p < pages; p += 1 + r%3 {
					want := byte(r) | 1
					if got := b[p*page+r%page]; got != want {
						stale.Add(1)
						fail("round %d: core %d read %d at page %d right after the write, want %d (a stale translation of the zero page)", r, k, got, p, want)
					}
				}
				checked.Add(1)
			}
		}(k)
	}
	pin(0)
	for r := 1; r <= rounds; r++ {
		b := anon(pages * page)
		region.Store(&b)
		started.Store(int32(r))
		for ready.Load() < int32(r*readers) {
			runtime.Gosched()
		}
		for p := 0; p < pages; p += 1 + r%3 {
			b[p*page+r%page] = byte(r) | 1
		}
		mu.Lock()
		flag.Store(int32(r))
		cond.Broadcast()
		mu.Unlock()
		for checked.Load() < int32(r*readers) {
			runtime.Gosched()
		}
		if err := syscall.Munmap(b); err != nil {
			fail("munmap: %v", err)
		}
	}
	wg.Wait()
	fmt.Printf("visible: %d rounds, %d readers, %d stale reads\n", rounds, readers, stale.Load())
}

// seq: one locked thread per core reads a fresh region of mib MiB page by
// page (every page the zero page), then writes every byte in order and
// checks it, twice.
func seq(mib int) {
	cores := runtime.NumCPU()
	start := time.Now()
	var wg sync.WaitGroup
	for k := 0; k < cores; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			runtime.LockOSThread()
			for r := 0; r < 2; r++ {
				b := anon(mib << 20)
				var sum byte
				for i := 0; i < len(b); i += page {
					sum |= b[i]
				}
				if sum != 0 {
					fail("a fresh region reads as non-zero")
				}
				for i := range b {
					b[i] = byte(k + r + i>>12)
				}
				for i := range b {
					if b[i] != byte(k+r+i>>12) {
						fail("thread %d round %d byte %d: %d", k, r, i, b[i])
						break
					}
				}
				syscall.Munmap(b)
			}
		}(k)
	}
	wg.Wait()
	fmt.Printf("seq: %d threads wrote %d MiB each they read first, twice, in %v\n", cores, mib, time.Since(start).Round(time.Millisecond))
}

func main() {
	if len(os.Args) < 2 {
		fmt.Println("usage: tlbshare visible [rounds] | seq [MiB]")
		os.Exit(2)
	}
	n := map[string]int{"visible": 200, "seq": 4}[os.Args[1]]
	if len(os.Args) > 2 {
		v, err := strconv.Atoi(os.Args[2])
		if err != nil || v <= 0 {
			fmt.Printf("tlbshare: bad count %q: want a positive number\n", os.Args[2])
			os.Exit(2)
		}
		n = v
	}
	switch os.Args[1] {
	case "visible":
		visible(n)
	case "seq":
		seq(n)
	default:
		fmt.Printf("tlbshare: unknown mode %q: want visible or seq\n", os.Args[1])
		os.Exit(2)
	}
	if failed.Load() {
		fmt.Println("tlbshare FAILED")
		os.Exit(1)
	}
	fmt.Println("tlbshare ok")
}
