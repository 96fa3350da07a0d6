// Command signals checks signal delivery: os/signal receiving signals the
// program sends itself (kill and tgkill), a handled SIGSEGV turned into a
// panic and recovered, and asynchronous preemption (SIGURG) of goroutines
// that spin without function calls on every core, which the kernel must
// deliver to a thread running on another core (an inter-processor
// interrupt). It prints "signals ok" at the end.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
)

var sink atomic.Int64

//go:noinline
func spin(stop *atomic.Bool) {
	var n int64
	for !stop.Load() {
		n++
	}
	sink.Add(n)
}

func fail(format string, args ...any) {
	fmt.Printf("FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	// 1. Notify: every signal sent is seen (one at a time, so none coalesce).
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1, syscall.SIGUSR2)
	for i := 0; i < 100; i++ {
		sig := syscall.SIGUSR1
		if i%2 == 1 {
			sig = syscall.SIGUSR2
		}
		if i%4 < 2 {
			syscall.Kill(os.Getpid(), sig)
		} else {
			syscall.Tgkill(os.Getpid(), syscall.Gettid(), sig)
		}
		select {
		case got := <-c:
			if got != sig {
				fail("sent %v, received %v", sig, got)
			}
		case <-time.After(10 * time.Second):
			fail("signal %d (%v) not delivered", i, sig)
		}
	}
	signal.Stop(c)
	fmt.Println("notify ok: 100 signals")

	// 2. A nil dereference is a recoverable panic (SIGSEGV through the
	// runtime's handler).
	func() {
		defer func() {
			if r := recover(); r == nil {
				fail("no panic from a nil dereference")
			}
		}()
		var p *int
		fmt.Println(*p)
	}()
	fmt.Println("sigsegv ok")

	// 3. Spinning goroutines on every core: the garbage collector must stop
	// them, which only asynchronous preemption can do.
	n := runtime.GOMAXPROCS(0)
	var stop atomic.Bool
	for i := 0; i < n; i++ {
		go spin(&stop)
	}
	time.Sleep(20 * time.Millisecond)
	start := time.Now()
	for i := 0; i < 5; i++ {
		runtime.GC()
	}
	d := time.Since(start)
	stop.Store(true)
	fmt.Printf("preempt ok: 5 GCs with %d spinning goroutines on %d Ps in %v\n", n, n, d.Round(time.Millisecond))
	fmt.Println("signals ok")
}
