// Command syscallbench measures the cost of the system calls a Go program
// makes most: reading the clock (time.Now, which is clock_gettime when
// there is no vDSO), a trivial system call (getpid), and a futex wake with
// no waiter; reads of a /tmp file; fstat of a /tmp file against a /tmp
// directory (the file's st_blocks is its pages, counted by a page-table
// walk); and demand paging (a write fault on
// fresh anonymous memory, with its share of the munmap). Run it natively and in the guest and compare the ratios:
//
//	go run ./examples/syscallbench
//	go run ./cmd/gotoro run -accel tcg ./examples/syscallbench
package main

import (
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// measure runs f n times (after n/10 to warm up) and prints its time per
// call.
func measure(name string, n int, f func()) {
	for i := 0; i < n/10; i++ {
		f()
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		f()
	}
	d := time.Since(start)
	fmt.Printf("%-28s %10.1f ns/op\n", name, float64(d.Nanoseconds())/float64(n))
}

func main() {
	const n = 200000
	var word uint32
	measure("time.Now", n, func() { _ = time.Now() })
	measure("getpid (raw syscall)", n, func() { syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0) })
	measure("futex wake, no waiter", n, func() {
		syscall.RawSyscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(&word)), 1|128, 1, 0, 0, 0)
	})
	preads(n / 4)
	fstats(n / 4)
	faults(n / 20)
	measure("empty loop body", n, func() {})
}

// preads measures reading a /tmp file (a tmpfs file in the guest, which
// the kernel reads without its big lock) with pread: 4 KiB at a time
// through the file, as the smpbench files benchmark does, and 1 byte,
// which leaves the path without the copy.
func preads(n int) {
	f, err := os.CreateTemp("", "syscallbench-")
	if err != nil {
		fmt.Println("pread:", err)
		return
	}
	defer os.Remove(f.Name())
	defer f.Close()
	const size = 256 << 10
	if _, err := f.Write(make([]byte, size)); err != nil {
		fmt.Println("pread:", err)
		return
	}
	fd := int(f.Fd())
	buf := make([]byte, 4<<10)
	off := int64(0)
	measure("pread 4 KiB, /tmp file", n, func() {
		if _, err := syscall.Pread(fd, buf, off); err != nil {
			panic(err)
		}
		off = (off + int64(len(buf))) % size
	})
	measure("pread 1 byte, /tmp file", n, func() {
		if _, err := syscall.Pread(fd, buf[:1], 0); err != nil {
			panic(err)
		}
	})
}

// fstats measures fstat of a 1 MiB /tmp file, whose st_blocks the guest
// counts by walking the file's page tables, against fstat of a /tmp
// directory, which has no pages to count, and prints the ratio.
func fstats(n int) {
	dir, err := os.MkdirTemp("", "syscallbench-")
	if err != nil {
		fmt.Println("fstat:", err)
		return
	}
	defer os.RemoveAll(dir)
	f, err := os.Create(dir + "/f")
	if err != nil {
		fmt.Println("fstat:", err)
		return
	}
	defer f.Close()
	if _, err := f.Write(make([]byte, 1<<20)); err != nil {
		fmt.Println("fstat:", err)
		return
	}
	d, err := os.Open(dir)
	if err != nil {
		fmt.Println("fstat:", err)
		return
	}
	defer d.Close()
	var st syscall.Stat_t
	stat := func(fd int) func() {
		return func() {
			if err := syscall.Fstat(fd, &st); err != nil {
				panic(err)
			}
		}
	}
	// Alternating rounds, so that a change of the machine's load falls
	// on both alike.
	var file, dirNs time.Duration
	fileStat, dirStat := stat(int(f.Fd())), stat(int(d.Fd()))
	for r := 0; r < 20; r++ {
		file += timed(n/20, fileStat)
		dirNs += timed(n/20, dirStat)
	}
	fmt.Printf("%-28s %10.1f ns/op\n", "fstat, 1 MiB /tmp file", float64(file.Nanoseconds())/float64(n/20*20))
	fmt.Printf("%-28s %10.1f ns/op\n", "fstat, /tmp directory", float64(dirNs.Nanoseconds())/float64(n/20*20))
	fmt.Printf("%-28s %10.2f\n", "fstat file/directory", float64(file)/float64(dirNs))
}

// timed returns how long n calls of f take.
func timed(n int, f func()) time.Duration {
	start := time.Now()
	for i := 0; i < n; i++ {
		f()
	}
	return time.Since(start)
}

// faults measures demand paging: mmap 4 MiB of anonymous memory, write
// one byte per page (each write a page fault that backs the page with a
// zeroed one), munmap it (which frees the pages after a TLB shootdown),
// again until n pages were touched. The figure is per page, munmap's
// share included.
func faults(n int) {
	const region = 4 << 20
	page := os.Getpagesize()
	touch := func() {
		m, err := syscall.Mmap(-1, 0, region, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
		if err != nil {
			panic(err)
		}
		for i := 0; i < region; i += page {
			m[i] = 1
		}
		if err := syscall.Munmap(m); err != nil {
			panic(err)
		}
	}
	perRegion := region / page
	rounds := max(n/perRegion, 1)
	touch() // warm up
	start := time.Now()
	for i := 0; i < rounds; i++ {
		touch()
	}
	d := time.Since(start)
	fmt.Printf("%-28s %10.1f ns/op\n", "page fault, 4 KiB write", float64(d.Nanoseconds())/float64(rounds*perRegion))
}
