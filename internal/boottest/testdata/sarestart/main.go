// Command sarestart checks that a blocking read (and a blocking write) a
// signal interrupts goes on when the signal's handler was installed with SA_RESTART (the Go
// runtime installs all its handlers so) or the signal is ignored, instead
// of failing with EINTR: raw syscall.Read does not retry EINTR.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
)

func main() {
	usr1 := make(chan os.Signal, 100)
	signal.Notify(usr1, syscall.SIGUSR1)
	signal.Ignore(syscall.SIGUSR2)
	ok := true
	for _, kind := range []string{"pipe", "socketpair"} {
		for _, sig := range []syscall.Signal{syscall.SIGUSR1, syscall.SIGUSR2} {
			ok = readThroughSignals(kind, sig, usr1) && ok
		}
	}
	ok = writeThroughSignals(syscall.SIGUSR1) && ok
	if !ok {
		os.Exit(1)
	}
	fmt.Println("sarestart ok")
}

// readThroughSignals blocks a thread in read(2) on kind's read end, hits
// that thread with sig 20 times, then writes: the read must return what
// was written.
func readThroughSignals(kind string, sig syscall.Signal, usr1 chan os.Signal) bool {
	var fds [2]int
	var err error
	if kind == "pipe" {
		err = syscall.Pipe(fds[:])
	} else {
		fds, err = syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	}
	if err != nil {
		fmt.Println("FAIL:", kind, err)
		return false
	}
	defer syscall.Close(fds[0])
	defer syscall.Close(fds[1])
	done, ok := hitWhileBlocked(kind+" read", sig, func() (int, error) {
		return syscall.Read(fds[0], make([]byte, 64))
	})
	if !ok {
		return false
	}
	msg := []byte("after the signals")
	if _, err := syscall.Write(fds[1], msg); err != nil {
		fmt.Println("FAIL: write:", err)
		return false
	}
	r := <-done
	if r.err != nil || r.n != len(msg) {
		fmt.Printf("FAIL: %s read with %v: n=%d err=%v, want %d bytes\n", kind, sig, r.n, r.err, len(msg))
		return false
	}
	if sig == syscall.SIGUSR1 {
		got := 0
		for len(usr1) > 0 {
			<-usr1
			got++
		}
		if got == 0 {
			fmt.Println("FAIL: no", sig, "reached the program")
			return false
		}
	}
	fmt.Printf("ok %s read restarted through %d %v\n", kind, hits, sig)
	return true
}

// writeThroughSignals blocks a thread in write(2) of a full pipe, hits
// that thread with sig 20 times, then drains the pipe: the write must go
// in whole. (A kernel that restarted it as another call — read, say, on
// the write end — fails it.)
func writeThroughSignals(sig syscall.Signal) bool {
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		fmt.Println("FAIL: pipe:", err)
		return false
	}
	defer syscall.Close(fds[0])
	defer syscall.Close(fds[1])
	if err := syscall.SetNonblock(fds[1], true); err != nil {
		fmt.Println("FAIL: set nonblocking:", err)
		return false
	}
	filled := 0
	chunk := make([]byte, 4096)
	for {
		n, err := syscall.Write(fds[1], chunk)
		if err == syscall.EAGAIN {
			break
		}
		if err != nil {
			fmt.Println("FAIL: filling the pipe:", err)
			return false
		}
		filled += n
	}
	if err := syscall.SetNonblock(fds[1], false); err != nil {
		fmt.Println("FAIL: set blocking:", err)
		return false
	}
	done, ok := hitWhileBlocked("pipe write", sig, func() (int, error) {
		return syscall.Write(fds[1], make([]byte, 4096))
	})
	if !ok {
		return false
	}
	buf := make([]byte, 64<<10)
	for got := 0; got < filled+4096; {
		n, err := syscall.Read(fds[0], buf)
		if err != nil || n == 0 {
			fmt.Println("FAIL: draining the pipe:", n, err)
			return false
		}
		got += n
	}
	r := <-done
	if r.err != nil || r.n != 4096 {
		fmt.Printf("FAIL: pipe write with %v: n=%d err=%v, want 4096 bytes\n", sig, r.n, r.err)
		return false
	}
	fmt.Printf("ok pipe write restarted through %d %v\n", hits, sig)
	return true
}

// hits is how many times a blocked call is hit by its signal.
const hits = 20

// result is what a blocked call returned.
type result struct {
	n   int
	err error
}

// hitWhileBlocked runs call on a thread of its own, lets it block, hits
// that thread with sig hits times and returns the channel its result
// will arrive on. It prints a FAIL and returns false if tgkill fails or
// the call returned while it was being hit (what names the call).
func hitWhileBlocked(what string, sig syscall.Signal, call func() (int, error)) (<-chan result, bool) {
	tids := make(chan int)
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tids <- syscall.Gettid()
		n, err := call()
		done <- result{n, err}
	}()
	tid := <-tids
	time.Sleep(20 * time.Millisecond) // let it block
	for i := 0; i < hits; i++ {
		if err := syscall.Tgkill(syscall.Getpid(), tid, sig); err != nil {
			fmt.Println("FAIL: tgkill:", err)
			return nil, false
		}
		time.Sleep(2 * time.Millisecond)
	}
	select {
	case r := <-done:
		fmt.Printf("FAIL: %s with %v returned early: n=%d err=%v\n", what, sig, r.n, r.err)
		return nil, false
	default:
	}
	return done, true
}
