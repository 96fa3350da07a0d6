package gotoro

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestCoresMatchesNumCPU(t *testing.T) {
	if Cores() != runtime.NumCPU() {
		t.Fatalf("Cores() = %d, runtime.NumCPU() = %d", Cores(), runtime.NumCPU())
	}
}

func TestGoRunsOnTheCore(t *testing.T) {
	var wg sync.WaitGroup
	got := make([][]int, Cores())
	for c := 0; c < Cores(); c++ {
		wg.Add(1)
		Go(c, func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				got[c] = append(got[c], CoreID())
				runtime.Gosched()
			}
		})
	}
	wg.Wait()
	for c, ids := range got {
		for _, id := range ids {
			if id != c {
				t.Fatalf("Go(%d): CoreID() = %d inside fn", c, id)
			}
		}
	}
}

func TestGoOutOfRangePanics(t *testing.T) {
	for _, c := range []int{-1, Cores()} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Go(%d): no panic", c)
				}
			}()
			Go(c, func() {})
		}()
	}
}

func TestPin(t *testing.T) {
	done := make(chan error)
	go func() {
		defer runtime.UnlockOSThread()
		last := Cores() - 1
		if err := Pin(last); err != nil {
			done <- err
			return
		}
		if id := CoreID(); id != last {
			t.Errorf("after Pin(%d): CoreID() = %d", last, id)
		}
		done <- Pin(Cores())
	}()
	if err := <-done; err == nil {
		t.Errorf("Pin(Cores()): want an error")
	}
}

func TestPollWaitTimesOut(t *testing.T) {
	start := time.Now()
	tk := PollPrepare()
	if PollWait(tk, 2*time.Millisecond) {
		t.Errorf("PollWait reported a Wake nobody sent")
	}
	if d := time.Since(start); d < 2*time.Millisecond {
		t.Errorf("PollWait returned after %v, before its 2ms timeout", d)
	}
}

func TestWakeEndsPollWait(t *testing.T) {
	core := Cores() - 1
	ready := make(chan struct{})
	woke := make(chan bool)
	Go(core, func() {
		tk := PollPrepare()
		close(ready)
		woke <- PollWait(tk, 0)
	})
	<-ready
	Wake(core)
	if !<-woke {
		t.Fatalf("PollWait after Wake: reported no wake")
	}
}

func TestWakeWithoutWaiterDoesNothing(t *testing.T) {
	Wake(-1)
	Wake(Cores()) // out of range: ignored
	before := polls[0].seq.Load()
	Wake(0)
	if polls[0].waiters.Load() == 0 && polls[0].seq.Load() != before {
		t.Errorf("Wake with no waiter moved the event count")
	}
}

func BenchmarkCoreID(b *testing.B) {
	for i := 0; i < b.N; i++ {
		CoreID()
	}
}

func TestCancelWithdrawsTheTicket(t *testing.T) {
	core := Cores() - 1
	done := make(chan int32)
	Go(core, func() {
		tk := PollPrepare()
		tk.Cancel()
		done <- polls[core].waiters.Load()
	})
	if n := <-done; n != 0 {
		t.Errorf("waiters after Cancel = %d, want 0", n)
	}
}
