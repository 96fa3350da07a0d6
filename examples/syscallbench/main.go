// Command syscallbench measures the cost of the system calls a Go program
// makes most: reading the clock (time.Now, which is clock_gettime when
// there is no vDSO), a trivial system call (getpid), and a futex wake with
// no waiter; reads of a /tmp file; and demand paging (a write fault on
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
