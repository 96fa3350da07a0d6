// Command zeropage checks that memory the program reads but never writes
// costs no memory, as on Linux, where such reads map the shared zero
// page: copying a never-written 256 MiB allocation into another backs
// only the copy; writing into read pages afterwards gives each its own
// page with the data written (on every core at once, each goroutine
// reading and then writing pages of one block, then checking them all);
// a file read into a buffer that was only read fills it. It prints VmRSS
// growth in MiB rounded to tens, so that the guest's lines match Linux's.
// It runs in the guest and, with "native", on Linux.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/gotoro/gotoro/internal/guestcheck"
)

func rssMiB() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n >> 10
		}
	}
	return -1
}

const size = 256 << 20

func main() {
	runtime.GOMAXPROCS(runtime.NumCPU())
	// A fresh allocation of this size comes straight from mmap: untouched.
	src := make([]byte, size)
	before := rssMiB()
	dst := make([]byte, size)
	copy(dst, src) // reads every page of src, writes every page of dst
	grew := rssMiB() - before
	guestcheck.Check("copying a never-written allocation backs only the copy", grew >= size>>20-16 && grew < size>>20+64,
		"VmRSS grew by %d MiB, want about %d", grew, size>>20)
	var sum byte
	for i := 0; i < size; i += 4096 {
		sum |= src[i]
	}
	guestcheck.Check("it reads as zeros", sum == 0, "%d", sum)
	grew = rssMiB() - before
	guestcheck.Check("reading it again costs nothing", grew < size>>20+64, "VmRSS grew by %d MiB", grew)

	// Read, then write, on every core: each page gets its own copy with
	// what was written.
	// (64 MiB of it: on several cores each new page costs a TLB
	// shootdown, which TCG makes slow.)
	const rw = 64 << 20
	n := runtime.GOMAXPROCS(0) * 2
	var wg sync.WaitGroup
	for g := 0; g < n; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for p := g * 4096; p < rw; p += n * 4096 {
				if src[p] != 0 || src[p+4095] != 0 {
					panic("not zero")
				}
				src[p] = byte(g + 1)
				src[p+4095] = byte(p >> 12)
			}
		}(g)
	}
	wg.Wait()
	bad := 0
	for p := 0; p < rw; p += 4096 {
		g := (p / 4096) % n
		if src[p] != byte(g+1) || src[p+4095] != byte(p>>12) || src[p+1] != 0 {
			bad++
		}
	}
	guestcheck.Check("pages written after reads hold what was written", bad == 0, "%d bad pages", bad)
	grew = rssMiB() - before
	guestcheck.Check("and are backed now", grew >= (size+rw)>>20-16, "VmRSS grew by %d MiB", grew)

	// The kernel writes into a page that was only read: a file read.
	buf := make([]byte, 1<<20)
	var z byte
	for i := 0; i < len(buf); i += 4096 {
		z |= buf[i]
	}
	f, err := os.CreateTemp("", "zeropage")
	if err != nil {
		fmt.Println("FAIL:", err)
		os.Exit(1)
	}
	defer os.Remove(f.Name())
	want := make([]byte, len(buf))
	for i := range want {
		want[i] = byte(i*7 + 1)
	}
	f.Write(want)
	m, err := f.ReadAt(buf, 0)
	guestcheck.Check("a file read into pages that were only read", err == nil && m == len(buf) && string(buf) == string(want) && z == 0, "%d %v", m, err)
	runtime.KeepAlive(dst)
	fmt.Println("zeropage ok")
}
