// Command freshmem checks that every page of anonymous memory reads as
// zero the first time it is written, over most of the guest's RAM: the
// kernel hands pages untouched since boot out without clearing them
// (kernel/mm: a fresh guest's RAM is zero), so a page that firmware, the
// image loader or the kernel's own boot wrote, or one freed and handed
// out again without being cleared, shows up here as a non-zero byte. It
// maps MiB megabytes (the first argument; without one, all the memory
// /proc/meminfo says is free but 16 MiB, for the Go runtime's own use, so
// that pages at the top of RAM are checked too), writes one byte of each page
// from every core at once and checks the rest of the page; then dirties
// every page, discards half with madvise(MADV_DONTNEED) (they must read
// as zero again), unmaps the rest, maps the same size anew and checks it
// the same way (freed pages must come back cleared).
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unsafe"
)

const page = 4096

// firstTouch writes the first byte of each page of b whose index modulo n
// is g and checks that the page's other bytes are zero, returning the
// offset in b of the first non-zero byte found, or -1.
func firstTouch(b []byte, g, n int) int {
	for off := g * page; off < len(b); off += n * page {
		b[off] = 1
		w := (*[page / 8]uint64)(unsafe.Pointer(&b[off]))
		for i, v := range w {
			if i == 0 {
				v &^= 0xff // the byte written
			}
			if v != 0 {
				for k := 8 * i; ; k++ {
					if k > 0 && b[off+k] != 0 {
						return off + k
					}
				}
			}
		}
	}
	return -1
}

// checkFresh maps size bytes and has every core first-touch its share.
func checkFresh(what string, size int) []byte {
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		fail("%s: mmap %d MiB: %v", what, size>>20, err)
	}
	n := runtime.GOMAXPROCS(0) * 2
	bad := make([]int, n)
	var wg sync.WaitGroup
	for g := 0; g < n; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			bad[g] = firstTouch(b, g, n)
		}(g)
	}
	wg.Wait()
	for _, off := range bad {
		if off >= 0 {
			fail("%s: byte %d of a freshly written page (offset %#x of %d MiB) is %#x, want 0",
				what, off%page, off, size>>20, b[off])
		}
	}
	fmt.Printf("%s: %d MiB, every page zero at its first write\n", what, size>>20)
	return b
}

// freeMiB returns MemFree of /proc/meminfo in MiB.
func freeMiB() int {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		fail("reading /proc/meminfo: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "MemFree:" {
			kib, err := strconv.Atoi(f[1])
			if err != nil {
				fail("MemFree in /proc/meminfo: %q", l)
			}
			return kib >> 10
		}
	}
	fail("no MemFree in /proc/meminfo")
	return 0
}

func fail(format string, args ...any) {
	fmt.Printf("FAIL "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	runtime.GOMAXPROCS(runtime.NumCPU())
	mib := freeMiB() - 16
	if len(os.Args) > 1 {
		var err error
		if mib, err = strconv.Atoi(os.Args[1]); err != nil || mib <= 0 {
			fail("usage: freshmem [MiB]: %q is not a positive number", os.Args[1])
		}
	}
	if mib < 8 {
		fail("only %d MiB free to check: give the guest more memory", mib+16)
	}
	size := mib << 20
	b := checkFresh("fresh", size)
	for i := range b {
		b[i] = 0xA5
	}
	half := size / 2
	if err := syscall.Madvise(b[:half], syscall.MADV_DONTNEED); err != nil {
		fail("madvise: %v", err)
	}
	for off := 0; off < half; off += page / 2 {
		if b[off] != 0 {
			fail("discarded: byte %d of page %d is %#x after MADV_DONTNEED, want 0", off%page, off/page, b[off])
		}
	}
	if discarded := firstTouch(b[:half], 0, 1); discarded >= 0 {
		fail("discarded: offset %#x is %#x after MADV_DONTNEED and a write, want 0", discarded, b[discarded])
	}
	fmt.Printf("discarded: %d MiB, zero again\n", half>>20)
	if err := syscall.Munmap(b); err != nil {
		fail("munmap: %v", err)
	}
	b = checkFresh("reused", size)
	if err := syscall.Munmap(b); err != nil {
		fail("munmap: %v", err)
	}
	fmt.Println("freshmem ok")
}
