package main

import (
	"fmt"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/gotoro/gotoro"
)

const rounds = 2000

// benchWake measures how long a thread on core 1 takes to wake a thread
// blocked on core 0 and back (futex ping-pong, and the gotoro polling hint),
// and reports the one-way latency: the round-trip time over two.
func benchWake() error {
	if gotoro.Cores() < 2 {
		return fmt.Errorf("wake needs at least 2 cores, have %d", gotoro.Cores())
	}
	report("wake/futex", pingPong(futexWaitFor, futexSet), "us")
	report("wake/pollhint", pingPong(pollWaitFor, pollSet), "us")
	return nil
}

// pingPong runs rounds exchanges between threads pinned to cores 0 and 1
// and returns the average one-way hand-off time in µs.
func pingPong(wait func(w *atomic.Uint32, want uint32), set func(w *atomic.Uint32, v uint32, core int)) float64 {
	var turn atomic.Uint32 // 0: core 0's turn, 1: core 1's turn
	done := make(chan time.Duration)
	gotoro.Go(1, func() {
		for i := 0; i < rounds; i++ {
			wait(&turn, 1)
			set(&turn, 0, 0)
		}
		done <- 0
	})
	gotoro.Go(0, func() {
		start := time.Now()
		for i := 0; i < rounds; i++ {
			set(&turn, 1, 1)
			wait(&turn, 0)
		}
		done <- time.Since(start)
	})
	d := <-done
	d += <-done
	return float64(d.Nanoseconds()) / 1000 / (2 * rounds)
}

func futexWaitFor(w *atomic.Uint32, want uint32) {
	for {
		v := w.Load()
		if v == want {
			return
		}
		syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(w)), 0|128, uintptr(v), 0, 0, 0)
	}
}

func futexSet(w *atomic.Uint32, v uint32, _ int) {
	w.Store(v)
	syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(w)), 1|128, 1, 0, 0, 0)
}

func pollWaitFor(w *atomic.Uint32, want uint32) {
	for w.Load() != want {
		t := gotoro.PollPrepare()
		if w.Load() == want {
			t.Cancel()
			return
		}
		gotoro.PollWait(t, time.Millisecond)
	}
}

func pollSet(w *atomic.Uint32, v uint32, core int) {
	w.Store(v)
	gotoro.Wake(core)
}
