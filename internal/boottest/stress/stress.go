// Package stress holds what the boot tests' stress programs
// (internal/boottest/testdata/pipes, sockets, faults) share: a failure
// record that lets a program go on checking after the first failure,
// pinning a thread to a core, and a reproducible byte stream for checked
// data. Each program still runs alone, natively (`go run`) or in a guest.
package stress

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"syscall"
	"unsafe"
)

var failed atomic.Bool

// Check prints "FAIL what detail" and records the failure when ok is
// false; it returns ok.
func Check(what string, ok bool, detail ...any) bool {
	if !ok {
		failed.Store(true)
		fmt.Println("FAIL", what, fmt.Sprint(detail...))
	}
	return ok
}

// Failed reports whether any Check failed.
func Failed() bool { return failed.Load() }

// Pin locks the calling goroutine to its thread and the thread to core c
// (modulo the number of cores). The goroutine must not unlock: its thread
// ends with it.
func Pin(c int) {
	runtime.LockOSThread()
	mask := uint64(1) << (c % runtime.NumCPU())
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, 8, uintptr(unsafe.Pointer(&mask)))
	Check("sched_setaffinity", e == 0, e)
}

// Stream is a reproducible byte stream (xorshift): the same seed gives the
// same bytes, so a reader can check what a writer on another core sent.
type Stream struct{ x uint64 }

// NewStream returns the stream named by seed.
func NewStream(seed uint64) *Stream { return &Stream{x: seed*0x9E3779B97F4A7C15 | 1} }

// Next returns the stream's next 64 bits.
func (s *Stream) Next() uint64 {
	s.x ^= s.x << 13
	s.x ^= s.x >> 7
	s.x ^= s.x << 17
	return s.x
}

// Fill fills b with the stream's next bytes.
func (s *Stream) Fill(b []byte) {
	for i := range b {
		b[i] = byte(s.Next() >> 32)
	}
}

// Chunk returns a write or read size from s: mostly up to 4 KiB, one in
// eight up to 16 KiB, one in sixteen up to large.
func Chunk(s *Stream, large int) int {
	v := s.Next()
	switch v % 16 {
	case 0:
		return 1 + int(v>>8)%large
	case 1, 2:
		return 1 + int(v>>8)%(16<<10)
	}
	return 1 + int(v>>8)%4096
}

// FillNonblock writes to fd, nonblocking for the while, until it takes no
// more (a full pipe or socket buffer), and returns how many bytes it took.
func FillNonblock(fd int) int {
	syscall.SetNonblock(fd, true)
	buf := make([]byte, 4096)
	total := 0
	for {
		n, err := syscall.Write(fd, buf)
		if err == syscall.EAGAIN {
			break
		}
		if !Check("fill", err == nil, err) {
			break
		}
		total += n
	}
	syscall.SetNonblock(fd, false)
	return total
}
