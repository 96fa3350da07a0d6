// Command wake stresses cross-core wake-ups, the path where a lost
// interrupt shows as a hang: threads pinned to two cores hand a turn back
// and forth, each waiting in the kernel until the other wakes it.
//
//	wake [-rounds N] futex|poll|mixed|all
//
// futex: a raw futex wait/wake ping-pong. poll: the same with the gotoro
// polling hint (PollPrepare/PollWait/Wake; no timeout, so a lost wake-up
// hangs instead of being covered by the timeout). Every pair of cores runs
// in both directions; with four cores two disjoint pairs run at once.
// mixed: many goroutines on every core passing tokens around a ring with
// timers and sleeps in between.
//
// Nothing in the futex and poll stress arms a timer on the cores involved,
// so a wake-up interrupt that is lost is not rescued by a later tick: the
// program stops making progress, which the host notices. Progress lines
// are printed every few hundred rounds for that reason.
package main

import (
	"flag"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/gotoro/gotoro"
)

var rounds = flag.Int("rounds", 2000, "hand-offs per direction and pair of cores")

func main() {
	flag.Parse()
	mode := flag.Arg(0)
	if mode == "" {
		mode = "all"
	}
	n := gotoro.Cores()
	if n < 2 {
		fmt.Println("FAIL: wake needs at least 2 cores, have", n)
		os.Exit(1)
	}
	fmt.Printf("wake: %d cores, %d rounds\n", n, *rounds)
	ok := true
	switch mode {
	case "futex":
		ok = stress("futex", n, futexWaitFor, futexSet)
	case "poll":
		ok = stress("poll", n, pollWaitFor, pollSet)
	case "mixed":
		ok = mixed(n)
	case "all":
		ok = stress("futex", n, futexWaitFor, futexSet) && stress("poll", n, pollWaitFor, pollSet) && mixed(n)
	default:
		fmt.Println("usage: wake [-rounds N] futex|poll|mixed|all")
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
	fmt.Println("wake ok")
}

// schedule returns rounds of disjoint core pairs such that every pair of
// the n cores meets once (a round-robin tournament; n odd gets a bye).
func schedule(n int) [][][2]int {
	ids := make([]int, 0, n+1)
	for i := 0; i < n; i++ {
		ids = append(ids, i)
	}
	if n%2 == 1 {
		ids = append(ids, -1)
	}
	m := len(ids)
	var out [][][2]int
	for r := 0; r < m-1; r++ {
		var pairs [][2]int
		for i := 0; i < m/2; i++ {
			a, b := ids[i], ids[m-1-i]
			if a >= 0 && b >= 0 {
				pairs = append(pairs, [2]int{min(a, b), max(a, b)})
			}
		}
		out = append(out, pairs)
		// Rotate all but the first.
		last := ids[m-1]
		copy(ids[2:], ids[1:m-1])
		ids[1] = last
	}
	return out
}

// waitFn waits until *w == want and reports how many times it slept in
// the kernel (and was woken) on the way.
type waitFn func(w *atomic.Uint32, want uint32) int
type setFn func(w *atomic.Uint32, v uint32, core int)

// stress runs the ping-pong for every pair of cores in both directions.
func stress(name string, n int, wait waitFn, set setFn) bool {
	for _, pairs := range schedule(n) {
		for dir := 0; dir < 2; dir++ {
			var wg sync.WaitGroup
			res := make([]string, len(pairs))
			for i, p := range pairs {
				from, to := p[0], p[1]
				if dir == 1 {
					from, to = to, from
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					res[i] = pingPong(name, from, to, wait, set)
				}()
			}
			wg.Wait()
			for _, r := range res {
				fmt.Println(r)
			}
		}
	}
	return true
}

// pingPong hands a turn from core from to core to and back *rounds times.
// The thread on from starts each round; the round trip is timed there.
func pingPong(name string, from, to int, wait waitFn, set setFn) string {
	var turn atomic.Uint32 // 0: from's turn, 1: to's turn
	rtts := make([]time.Duration, 0, *rounds)
	done := make(chan bool, 2)
	var slept atomic.Int64
	gotoro.Go(to, func() {
		n := 0
		for i := 0; i < *rounds; i++ {
			n += wait(&turn, 1)
			set(&turn, 0, from)
		}
		slept.Add(int64(n))
		done <- true
	})
	gotoro.Go(from, func() {
		n := 0
		for i := 0; i < *rounds; i++ {
			s := time.Now()
			set(&turn, 1, to)
			n += wait(&turn, 0)
			rtts = append(rtts, time.Since(s))
			if (i+1)%500 == 0 && i+1 < *rounds {
				fmt.Printf("%s %d->%d: round %d\n", name, from, to, i+1)
			}
		}
		slept.Add(int64(n))
		done <- true
	})
	<-done
	<-done
	slices.Sort(rtts)
	return fmt.Sprintf("%s %d->%d: %d rounds, %d sleeps, round trip median %v max %v", name, from, to, len(rtts), slept.Load(),
		rtts[len(rtts)/2].Round(time.Microsecond), rtts[len(rtts)-1].Round(time.Microsecond))
}

func futexWaitFor(w *atomic.Uint32, want uint32) int {
	n := 0
	for {
		v := w.Load()
		if v == want {
			return n
		}
		_, _, e := syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(w)), 0|128, uintptr(v), 0, 0, 0)
		if e == 0 {
			n++
		}
	}
}

func futexSet(w *atomic.Uint32, v uint32, _ int) {
	w.Store(v)
	syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(w)), 1|128, 1, 0, 0, 0)
}

func pollWaitFor(w *atomic.Uint32, want uint32) int {
	n := 0
	for w.Load() != want {
		t := gotoro.PollPrepare()
		if w.Load() == want {
			t.Cancel()
			return n
		}
		if gotoro.PollWait(t, 0) {
			n++
		}
	}
	return n
}

func pollSet(w *atomic.Uint32, v uint32, core int) {
	w.Store(v)
	gotoro.Wake(core)
}

// mixed runs 32 goroutines per core in a ring: each receives a token,
// sleeps or waits for a timer for up to 2 ms now and then, and passes the
// token on; tokens go round many times while the runtime moves goroutines
// between its Ms on all cores. It checks that every hop happened and
// reports how late the timers were.
func mixed(n int) bool {
	runtime.GOMAXPROCS(n)
	const perCore, tokens = 32, 8
	g := perCore * n
	hops := *rounds * 4
	chans := make([]chan int, g)
	for i := range chans {
		chans[i] = make(chan int, tokens)
	}
	var total atomic.Int64
	var late atomic.Int64 // worst timer lateness, ns
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < g; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewSource(int64(i)))
			next := chans[(i+1)%g]
			for {
				var tok int
				select {
				case tok = <-chans[i]:
				case <-stop:
					return
				}
				total.Add(1)
				if tok >= hops {
					continue // this token is done
				}
				if r.Intn(4) == 0 {
					d := time.Duration(r.Intn(2000)) * time.Microsecond
					s := time.Now()
					if r.Intn(2) == 0 {
						time.Sleep(d)
					} else {
						<-time.NewTimer(d).C
					}
					if l := int64(time.Since(s) - d); l > late.Load() {
						late.Store(l)
					}
				}
				next <- tok + 1
			}
		}()
	}
	start := time.Now()
	for t := 0; t < tokens; t++ {
		chans[t*g/tokens] <- 0
	}
	want := int64(tokens * (hops + 1))
	for total.Load() < want {
		time.Sleep(5 * time.Millisecond)
		if time.Since(start) > 10*time.Minute {
			fmt.Printf("FAIL: mixed: %d of %d hops after %v\n", total.Load(), want, time.Since(start))
			return false
		}
	}
	close(stop)
	wg.Wait()
	fmt.Printf("mixed: %d goroutines on %d cores, %d hops in %v, worst timer lateness %v\n",
		g, n, total.Load(), time.Since(start).Round(time.Millisecond), time.Duration(late.Load()).Round(time.Microsecond))
	return true
}
