// Command faults makes page faults on every core at once and changes the
// address space under them: threads (goroutines locked to their threads,
// and plain goroutines) grow the heap, touch big fresh mmap regions —
// reading them first (the zero page), then writing — while others map,
// protect, discard (MADV_DONTNEED) and unmap regions of their own, others
// read(2) from /tmp files and pipes into buffers never touched, and
// others touch a region while another thread unmaps it: such a touch must
// be a SIGSEGV the program handles (a recovered panic), and the region
// mapped again must read as zeros (no page left mapped). Reads into
// untouched memory the program may not write, and writes from memory it
// may not read, are EFAULT; memory made PROT_NONE after it was touched
// is EFAULT to read(2) and write(2) (protnone.go). Every byte is checked. It prints "faults ok" when every check passed; it runs the
// same on Linux (go run ./internal/boottest/testdata/faults).
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/gotoro/gotoro/internal/boottest/stress"
)

const page = 4096

// fill writes seed-derived bytes into b; verify checks them.
func fill(b []byte, seed byte) {
	for i := range b {
		b[i] = seed + byte(i) + byte(i>>12)
	}
}

func verify(b []byte, seed byte) int {
	for i := range b {
		if b[i] != seed+byte(i)+byte(i>>12) {
			return i
		}
	}
	return -1
}

// zeros returns the index of the first byte of b that is not zero, or -1.
func zeros(b []byte) int {
	for i, c := range b {
		if c != 0 {
			return i
		}
	}
	return -1
}

func anon(n int) []byte {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if !stress.Check("mmap", err == nil, err) {
		return nil
	}
	return b
}

// run starts f on n goroutines, the even ones locked to their threads.
func run(wg *sync.WaitGroup, n int, f func(k int)) {
	for k := 0; k < n; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if k%2 == 0 {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
			}
			f(k)
		}()
	}
}

// heapGrowth: fresh heap allocations (large ones come straight from new
// spans, faulted in on first touch), written and checked in full.
func heapGrowth(k, rounds int) {
	for r := 0; r < rounds; r++ {
		b := make([]byte, (2+r%3)<<20)
		seed := byte(k*31 + r)
		fill(b, seed)
		if i := verify(b, seed); i >= 0 {
			stress.Check("heap bytes", false, "goroutine ", k, " round ", r, " byte ", i)
			return
		}
		runtime.KeepAlive(b)
	}
}

// touchRegions: a big fresh region read first (every page the zero page),
// then written and checked, then unmapped.
func touchRegions(k, rounds int) {
	for r := 0; r < rounds; r++ {
		b := anon(4 << 20)
		if b == nil {
			return
		}
		for i := 0; i < len(b); i += page {
			if b[i] != 0 {
				stress.Check("fresh region reads as zeros", false, "goroutine ", k, " offset ", i)
				break
			}
		}
		if i := zeros(b); i >= 0 {
			stress.Check("fresh region reads as zeros", false, "goroutine ", k, " offset ", i)
		}
		seed := byte(k*7 + r)
		fill(b, seed)
		if i := verify(b, seed); i >= 0 {
			stress.Check("region bytes", false, "goroutine ", k, " round ", r, " byte ", i)
		}
		stress.Check("munmap", syscall.Munmap(b) == nil)
	}
}

// churn: regions mapped, written, made read-only, discarded and unmapped.
func churn(k, rounds int) {
	for r := 0; r < rounds; r++ {
		b := anon(64 * page)
		if b == nil {
			return
		}
		seed := byte(k*13 + r)
		fill(b, seed)
		stress.Check("mprotect read-only", syscall.Mprotect(b[16*page:48*page], syscall.PROT_READ) == nil)
		if i := verify(b, seed); i >= 0 {
			stress.Check("bytes after mprotect", false, "byte ", i)
		}
		stress.Check("mprotect read-write", syscall.Mprotect(b[16*page:48*page], syscall.PROT_READ|syscall.PROT_WRITE) == nil)
		stress.Check("madvise DONTNEED", syscall.Madvise(b[8*page:24*page], syscall.MADV_DONTNEED) == nil)
		if i := zeros(b[8*page : 24*page]); i >= 0 {
			stress.Check("discarded pages read as zeros", false, "byte ", i)
		}
		if i := verify(b[:8*page], seed); i >= 0 {
			stress.Check("pages before the discarded ones kept", false, "byte ", i)
		}
		fill(b[8*page:24*page], seed+1)
		if i := verify(b[8*page:24*page], seed+1); i >= 0 {
			stress.Check("discarded pages written again", false, "byte ", i)
		}
		stress.Check("munmap", syscall.Munmap(b) == nil)
	}
}

// fileReads: read(2) from a /tmp file and from a pipe into regions
// nothing has touched, checked byte for byte.
func fileReads(dir string, k, rounds int) {
	const size = 256 << 10
	want := make([]byte, size)
	fill(want, byte(k*5))
	name := filepath.Join(dir, fmt.Sprintf("f%d", k))
	if !stress.Check("write "+name, os.WriteFile(name, want, 0o600) == nil) {
		return
	}
	f, err := os.Open(name)
	if !stress.Check("open "+name, err == nil, err) {
		return
	}
	defer f.Close()
	var p [2]int
	if !stress.Check("pipe", syscall.Pipe(p[:]) == nil) {
		return
	}
	defer syscall.Close(p[0])
	go func() {
		defer syscall.Close(p[1])
		for r := 0; r < rounds; r++ {
			for off := 0; off < 64<<10; {
				n, err := syscall.Write(p[1], want[off:64<<10])
				if n <= 0 || err != nil {
					stress.Check("pipe write", false, n, err)
					return
				}
				off += n
			}
		}
	}()
	for r := 0; r < rounds; r++ {
		b := anon(size)
		if b == nil {
			return
		}
		n, err := syscall.Pread(int(f.Fd()), b, 0)
		if stress.Check("pread into an untouched region", n == size && err == nil, n, err) {
			if !bytes.Equal(b, want) {
				stress.Check("pread bytes", false, name)
			}
		}
		// The pipe's 64 KiB into a fresh part of the region.
		c := b[128<<10 : 192<<10]
		stress.Check("madvise DONTNEED", syscall.Madvise(c, syscall.MADV_DONTNEED) == nil)
		for off := 0; off < len(c); {
			n, err := syscall.Read(p[0], c[off:])
			if n <= 0 || err != nil {
				stress.Check("pipe read", false, n, err)
				return
			}
			off += n
		}
		if !bytes.Equal(c, want[:64<<10]) {
			stress.Check("pipe bytes", false, k)
		}
		stress.Check("munmap", syscall.Munmap(b) == nil)
	}
}

// badTargets: read(2) from a /tmp file, /dev/zero and a pipe into
// untouched memory the program may not write (read-only, PROT_NONE) is
// EFAULT, leaves the memory as it was and the pipe's data in the pipe;
// write(2) to a pipe from untouched PROT_NONE memory is EFAULT.
func badTargets(dir string) {
	name := filepath.Join(dir, "bad")
	want := make([]byte, 3*page)
	fill(want, 9)
	if !stress.Check("write "+name, os.WriteFile(name, want, 0o600) == nil) {
		return
	}
	fd, err := syscall.Open(name, syscall.O_RDONLY, 0)
	if !stress.Check("open "+name, err == nil, err) {
		return
	}
	defer syscall.Close(fd)
	zero, err := syscall.Open("/dev/zero", syscall.O_RDONLY, 0)
	if !stress.Check("open /dev/zero", err == nil, err) {
		return
	}
	defer syscall.Close(zero)
	var p [2]int
	if !stress.Check("pipe", syscall.Pipe(p[:]) == nil) {
		return
	}
	defer syscall.Close(p[0])
	defer syscall.Close(p[1])
	msg := want[:100]
	if n, err := syscall.Write(p[1], msg); !stress.Check("pipe write", n == len(msg) && err == nil, n, err) {
		return
	}
	for _, prot := range []int{syscall.PROT_READ, syscall.PROT_NONE} {
		b, err := syscall.Mmap(-1, 0, 4*page, prot, syscall.MAP_PRIVATE|syscall.MAP_ANON)
		if !stress.Check("mmap", err == nil, err) {
			return
		}
		_, err = syscall.Pread(fd, b[:3*page], 0)
		stress.Check("pread into memory it may not write: EFAULT", err == syscall.EFAULT, "prot ", prot, ": ", err)
		_, err = syscall.Read(zero, b[:2*page])
		stress.Check("read /dev/zero into memory it may not write: EFAULT", err == syscall.EFAULT, "prot ", prot, ": ", err)
		_, err = syscall.Read(p[0], b[:len(msg)])
		stress.Check("pipe read into memory it may not write: EFAULT", err == syscall.EFAULT, "prot ", prot, ": ", err)
		if prot == syscall.PROT_READ {
			if i := zeros(b); i >= 0 {
				stress.Check("memory a failed read may not write is untouched", false, "byte ", i)
			}
		} else {
			_, err = syscall.Write(p[1], b[:len(msg)])
			stress.Check("pipe write from memory it may not read: EFAULT", err == syscall.EFAULT, err)
		}
		stress.Check("munmap", syscall.Munmap(b) == nil)
	}
	got := make([]byte, 200)
	n, err := syscall.Read(p[0], got)
	stress.Check("the pipe keeps what a failed read did not take", n == len(msg) && err == nil && bytes.Equal(got[:n], msg), n, err)
}

// touch reads and writes one byte at p and reports whether it faulted.
func touch(p *byte, v byte) (faulted bool) {
	defer func() {
		if e := recover(); e != nil {
			faulted = true
		}
	}()
	*p = v
	return *p != v
}

const (
	mapFixedNoReplace = 0x100000
	raceBase          = 0x2000_0000_0000
)

// unmapRace: one thread touches the pages of a region over and over while
// another unmaps it. Touches before the unmap see what was written,
// touches after it fault (a handled SIGSEGV), and the range mapped again
// reads as zeros.
func unmapRace(rounds int) (faults, touches int64) {
	debug.SetPanicOnFault(true)
	for r := 0; r < rounds; r++ {
		const n = 256 * page
		// At an address of its own, far below where mmap places
		// mappings, so that nothing else is mapped into the hole.
		hint := uintptr(raceBase + r*(n+page))
		addr, _, e := syscall.Syscall6(syscall.SYS_MMAP, hint, n, syscall.PROT_READ|syscall.PROT_WRITE,
			syscall.MAP_PRIVATE|syscall.MAP_ANON|mapFixedNoReplace, ^uintptr(0), 0)
		if !stress.Check("mmap at a hint", e == 0 && addr == hint, e) {
			return
		}
		base := *(*unsafe.Pointer)(unsafe.Pointer(&addr)) // not Go memory
		var stop, started atomic.Bool
		var wg sync.WaitGroup
		var seen atomic.Int64
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			debug.SetPanicOnFault(true)
			gone := false
			for i := 0; !stop.Load(); i++ {
				p := (*byte)(unsafe.Add(base, (i*page+i)%n))
				faulted := touch(p, byte(i|1))
				atomic.AddInt64(&touches, 1)
				started.Store(true)
				if faulted {
					atomic.AddInt64(&faults, 1)
					gone = true
				} else if gone {
					stress.Check("a touch after a fault succeeded", false, "round ", r)
					return
				}
				seen.Add(1)
			}
		}()
		for !started.Load() {
			runtime.Gosched()
		}
		for seen.Load() < int64(r%5)*50 {
			runtime.Gosched()
		}
		_, _, e = syscall.Syscall(syscall.SYS_MUNMAP, addr, n, 0)
		stress.Check("munmap under toucher", e == 0, e)
		// Let the toucher run into the hole.
		for s := seen.Load(); seen.Load() < s+20; {
			runtime.Gosched()
		}
		stop.Store(true)
		wg.Wait()
		if !touch((*byte)(base), 1) {
			stress.Check("a touch after munmap faults", false, "round ", r)
		}
		// Map the range again: a page a racing fault left would show here.
		addr, _, e = syscall.Syscall6(syscall.SYS_MMAP, uintptr(base), n, syscall.PROT_READ|syscall.PROT_WRITE,
			syscall.MAP_PRIVATE|syscall.MAP_ANON|mapFixedNoReplace, ^uintptr(0), 0)
		if !stress.Check("mmap the range again", e == 0 && addr == uintptr(base), e) {
			continue
		}
		again := unsafe.Slice((*byte)(base), n)
		if i := zeros(again); i >= 0 {
			stress.Check("no page left mapped after munmap", false, "round ", r, " offset ", i)
		}
		syscall.Syscall(syscall.SYS_MUNMAP, addr, n, 0)
	}
	return faults, touches
}

func main() {
	dir, err := os.MkdirTemp("", "faults")
	if err != nil {
		fmt.Println("FAIL mkdtemp", err)
		os.Exit(1)
	}
	cores := runtime.NumCPU()
	fmt.Println("cores", cores)
	badTargets(dir)
	protectTouched()
	var wg sync.WaitGroup
	run(&wg, cores+1, func(k int) { heapGrowth(k, 12) })
	run(&wg, cores, func(k int) { touchRegions(k, 4) })
	run(&wg, 2, func(k int) { churn(k, 40) })
	run(&wg, cores, func(k int) { fileReads(dir, k, 8) })
	var faults, touches int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		faults, touches = unmapRace(20)
	}()
	wg.Wait()
	fmt.Printf("unmap race: 20 rounds, %d faults handled\n", faults)
	_ = touches
	os.RemoveAll(dir)
	if stress.Failed() {
		fmt.Println("faults FAILED")
		os.Exit(1)
	}
	fmt.Println("faults ok")
}
