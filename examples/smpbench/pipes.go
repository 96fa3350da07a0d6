package main

import (
	"fmt"
	"syscall"
	"time"

	"github.com/gotoro/gotoro"
)

// Pipe benchmarks.
//
// Pairs: each of two threads owns a pipe and moves 4 KiB through it with
// a write and a read (the pipe never fills, so nothing blocks): system
// calls on two independent objects, as in the files benchmark.
// "Sequential" is one thread working both pipes in turn; "parallel" is two
// threads on cores 0 and 1, one pipe each. The ratio parallel/sequential
// is near 1 when the kernel serialises the calls, near the native
// process's ratio when pipes have their own locks.
//
// Ping-pong: threads on cores 0 and 1 hand a byte back and forth through
// two pipes; every read blocks, so the time is a cross-core wake-up
// through a pipe, reported one way.
const (
	pipeChunk  = 4 << 10
	pipeRounds = 4000
	pipeTrips  = 2000
)

func benchPipes() error {
	if gotoro.Cores() < 2 {
		return fmt.Errorf("pipes needs at least 2 cores, have %d", gotoro.Cores())
	}
	var fds [2][2]int
	for i := range fds {
		if err := syscall.Pipe2(fds[i][:], syscall.O_CLOEXEC); err != nil {
			return fmt.Errorf("pipe2: %w", err)
		}
		defer syscall.Close(fds[i][0])
		defer syscall.Close(fds[i][1])
	}
	bs, bp, err := seqPar(func(i int) error { return moveChunks(fds[i], "pipe") })
	if err != nil {
		return err
	}
	reportSeqPar("pipes", bs, bp, 2*2*pipeRounds)

	best := time.Duration(1 << 62)
	for i := 0; i < 3; i++ {
		d, err := pipePingPong(fds[0], fds[1])
		if err != nil {
			return err
		}
		best = min(best, d)
	}
	report("pipes/pingpong", float64(best.Nanoseconds())/1000/(2*pipeTrips), "us")
	return nil
}

// moveChunks writes pipeChunk bytes to p[1] and reads them from p[0],
// pipeRounds times: the two ends of a pipe or of a connection.
func moveChunks(p [2]int, what string) error {
	buf := make([]byte, pipeChunk)
	for r := 0; r < pipeRounds; r++ {
		if n, err := syscall.Write(p[1], buf); n != pipeChunk || err != nil {
			return fmt.Errorf("%s write: %d bytes, %v", what, n, err)
		}
		for got := 0; got < pipeChunk; { // a socket may return less
			n, err := syscall.Read(p[0], buf[got:])
			if n <= 0 || err != nil {
				return fmt.Errorf("%s read: %d bytes, %v", what, n, err)
			}
			got += n
		}
	}
	return nil
}

// pipePingPong sends a byte from core 0 to core 1 through a and back
// through b pipeTrips times and returns the time taken.
func pipePingPong(a, b [2]int) (time.Duration, error) {
	var errs [2]error
	done := make(chan time.Duration, 2)
	gotoro.Go(1, func() {
		buf := make([]byte, 1)
		for i := 0; i < pipeTrips && errs[1] == nil; i++ {
			if n, err := syscall.Read(a[0], buf); n != 1 || err != nil {
				errs[1] = fmt.Errorf("ping-pong read on core 1: %d bytes, %v", n, err)
			} else if n, err := syscall.Write(b[1], buf); n != 1 || err != nil {
				errs[1] = fmt.Errorf("ping-pong write on core 1: %d bytes, %v", n, err)
			}
		}
		done <- 0
	})
	gotoro.Go(0, func() {
		buf := make([]byte, 1)
		start := time.Now()
		for i := 0; i < pipeTrips && errs[0] == nil; i++ {
			if n, err := syscall.Write(a[1], buf); n != 1 || err != nil {
				errs[0] = fmt.Errorf("ping-pong write on core 0: %d bytes, %v", n, err)
			} else if n, err := syscall.Read(b[0], buf); n != 1 || err != nil {
				errs[0] = fmt.Errorf("ping-pong read on core 0: %d bytes, %v", n, err)
			}
		}
		done <- time.Since(start)
	})
	d := <-done
	d += <-done
	if errs[0] != nil {
		return d, errs[0]
	}
	return d, errs[1]
}
