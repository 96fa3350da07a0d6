// Command futex hammers the kernel's futex across cores: the operations
// the Go runtime and C libraries use (wait, wake, bitsets, requeue,
// wake-op) with their exact results, words on pages not yet backed (the
// fault path), and races: a futex mutex taken by many threads, waits with
// short timeouts racing wakes, and the Go runtime's own locks under load.
// It prints "futex ok" when every check passed.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

const (
	opWait         = 0
	opWake         = 1
	opRequeue      = 3
	opCmpRequeue   = 4
	opWakeOp       = 5
	opWaitBitset   = 9
	opWakeBitset   = 10
	opPrivate      = 128
	opClockRT      = 256
	wakeOpAdd      = 1
	wakeOpArgShift = 8
	cmpEq          = 0
	cmpGt          = 4
)

var failed atomic.Bool

func check(what string, ok bool, detail ...any) {
	if !ok {
		failed.Store(true)
		fmt.Println("FAIL", what, fmt.Sprint(detail...))
	}
}

func futex(addr *uint32, op int, val uint32, ts unsafe.Pointer, addr2 *uint32, val3 uint32) (int, syscall.Errno) {
	r, _, e := syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), uintptr(op), uintptr(val), uintptr(ts), uintptr(unsafe.Pointer(addr2)), uintptr(val3))
	return int(r), e
}

// waiters counts the threads queued on w: a CMP_REQUEUE of w onto itself
// that wakes none and "moves" all reports how many it found.
func waiters(w *uint32) int {
	for {
		n, e := futex(w, opCmpRequeue|opPrivate, 0, unsafe.Pointer(uintptr(1<<30)), w, atomic.LoadUint32(w))
		if e == syscall.EAGAIN {
			continue
		}
		if e != 0 {
			check("counting waiters", false, e)
			return -1
		}
		return n
	}
}

// until polls cond for up to 10 s.
func until(what string, cond func() bool) bool {
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); {
		if cond() {
			return true
		}
		time.Sleep(100 * time.Microsecond)
	}
	check(what, false, "(timed out)")
	return false
}

// blockedWait starts a locked thread that waits on w for val with bits and
// returns a channel that receives its errno.
func blockedWait(w *uint32, val, bits uint32) chan syscall.Errno {
	ch := make(chan syscall.Errno, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var e syscall.Errno
		for {
			_, e = futex(w, opWaitBitset|opPrivate, val, nil, nil, bits)
			if e != syscall.EINTR { // SIGURG preemption
				break
			}
		}
		ch <- e
	}()
	return ch
}

func operations() {
	var word, w2 uint32
	ts := syscall.Timespec{Nsec: 1e6}

	_, e := futex(&word, opWait|opPrivate, 1, nil, nil, 0)
	check("wait on a changed value: EAGAIN", e == syscall.EAGAIN, e)
	_, e = futex(&word, opWait|opPrivate, 0, unsafe.Pointer(&ts), nil, 0)
	check("wait with a timeout: ETIMEDOUT", e == syscall.ETIMEDOUT, e)
	abs := syscall.Timespec{Sec: 1} // long past on CLOCK_MONOTONIC
	_, e = futex(&word, opWaitBitset|opPrivate, 0, unsafe.Pointer(&abs), nil, ^uint32(0))
	check("bitset wait past an absolute deadline: ETIMEDOUT", e == syscall.ETIMEDOUT, e)
	_, e = futex(&word, opWait|opClockRT, 0, unsafe.Pointer(&ts), nil, 0)
	check("CLOCK_REALTIME on plain FUTEX_WAIT: ENOSYS", e == syscall.ENOSYS, e)
	_, e = futex(&word, opWaitBitset, 0, nil, nil, 0)
	check("bitset 0: EINVAL", e == syscall.EINVAL, e)
	_, e = futex((*uint32)(unsafe.Add(unsafe.Pointer(&word), 1)), opWait, 0, nil, nil, 0)
	check("unaligned word: EINVAL", e == syscall.EINVAL, e)
	_, e = futex((*uint32)(unsafe.Pointer(uintptr(0x10))), opWait, 0, nil, nil, 0)
	check("word at 0x10: EFAULT", e == syscall.EFAULT, e)
	bad := syscall.Timespec{Nsec: 2e9}
	_, e = futex(&word, opWait, 0, unsafe.Pointer(&bad), nil, 0)
	check("timeout with nsec >= 1e9: EINVAL", e == syscall.EINVAL, e)
	n, e := futex(&word, opWake|opPrivate, 1, nil, nil, 0)
	check("wake with no waiter: 0", n == 0 && e == 0, n, e)
	_, e = futex(&word, 2, 0, nil, nil, 0) // FUTEX_FD, long gone from Linux
	check("unsupported op: ENOSYS", e == syscall.ENOSYS, e)

	// Words on pages the program has not touched: the kernel backs them.
	mem, err := syscall.Mmap(-1, 0, 4<<12, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	check("mmap", err == nil, err)
	fresh := (*uint32)(unsafe.Pointer(&mem[0]))
	_, e = futex(fresh, opWait|opPrivate, 1, nil, nil, 0)
	check("wait on an untouched page: EAGAIN", e == syscall.EAGAIN, e)
	fresh2 := (*uint32)(unsafe.Pointer(&mem[1<<12]))
	_, e = futex(fresh2, opWait|opPrivate, 0, unsafe.Pointer(&ts), nil, 0)
	check("wait on an untouched page: ETIMEDOUT", e == syscall.ETIMEDOUT, e)
	tsMem := (*syscall.Timespec)(unsafe.Pointer(&mem[2<<12]))
	*tsMem = syscall.Timespec{Nsec: 1e6}
	syscall.Madvise(mem[2<<12:3<<12], 4) // MADV_DONTNEED: the page goes away again
	_, e = futex(&word, opWait|opPrivate, 0, unsafe.Pointer(tsMem), nil, 0)
	check("timeout on a dropped page (zero: expires at once): ETIMEDOUT", e == syscall.ETIMEDOUT, e)
	op := uint32(wakeOpAdd)<<28 | cmpEq<<24 | 7<<12 | 0
	fresh3 := (*uint32)(unsafe.Pointer(&mem[3<<12]))
	n, e = futex(&word, opWakeOp|opPrivate, 1, unsafe.Pointer(uintptr(1)), fresh3, op)
	check("wake-op on an untouched page", n == 0 && e == 0 && *fresh3 == 7, n, e, *fresh3)
	syscall.Munmap(mem)
	_, e = futex(fresh, opWait|opPrivate, 0, nil, nil, 0)
	check("wait on an unmapped page: EFAULT", e == syscall.EFAULT, e)
	n, e = futex(&word, opWakeOp|opPrivate, 1, unsafe.Pointer(uintptr(1)), fresh, op)
	check("wake-op on an unmapped page: EFAULT", e == syscall.EFAULT, n, e)

	// Bitsets: a wake reaches only the waiters whose bits it shares.
	var wb uint32
	a := blockedWait(&wb, 0, 1)
	b := blockedWait(&wb, 0, 2)
	if until("two bitset waiters queued", func() bool { return waiters(&wb) == 2 }) {
		n, e = futex(&wb, opWakeBitset|opPrivate, 10, nil, nil, 2)
		check("bitset wake 2 wakes one", n == 1 && e == 0, n, e)
		check("bitset waiter 2 woke", <-b == 0)
		check("bitset waiter 1 still queued", waiters(&wb) == 1)
		n, e = futex(&wb, opWakeBitset|opPrivate, 10, nil, nil, 1)
		check("bitset wake 1 wakes one", n == 1 && e == 0, n, e)
		check("bitset waiter 1 woke", <-a == 0)
	}

	// Requeue: three waiters on word; wake one, move one to w2, leave one.
	word = 5
	chs := []chan syscall.Errno{blockedWait(&word, 5, ^uint32(0)), blockedWait(&word, 5, ^uint32(0)), blockedWait(&word, 5, ^uint32(0))}
	if until("three waiters queued", func() bool { return waiters(&word) == 3 }) {
		_, e = futex(&word, opCmpRequeue|opPrivate, 1, unsafe.Pointer(uintptr(1)), &w2, 4)
		check("cmp-requeue with a stale value: EAGAIN", e == syscall.EAGAIN, e)
		n, e = futex(&word, opCmpRequeue|opPrivate, 1, unsafe.Pointer(uintptr(1)), &w2, 5)
		check("cmp-requeue woke 1 and moved 1", n == 2 && e == 0, n, e)
		check("one left on the first word", waiters(&word) == 1)
		check("one moved to the second", waiters(&w2) == 1)
		n, e = futex(&w2, opWake|opPrivate, 10, nil, nil, 0)
		check("wake on the second word", n == 1 && e == 0, n, e)
		n, e = futex(&word, opRequeue|opPrivate, 0, unsafe.Pointer(uintptr(10)), &w2, 0)
		check("requeue moved the last one", n == 1 && e == 0, n, e)
		n, e = futex(&w2, opWake|opPrivate, 10, nil, nil, 0)
		check("wake the last one", n == 1 && e == 0, n, e)
		for _, c := range chs {
			check("requeued waiter woke", <-c == 0)
		}
	}
	_, e = futex(&word, opRequeue, 0, unsafe.Pointer(^uintptr(0)), &w2, 0)
	check("requeue of a negative count: EINVAL", e == syscall.EINVAL, e)

	// Wake-op: word2 += 1<<3 (argument as a shift); wake word2's waiter
	// only if its old value was greater than 0.
	word, w2 = 0, 0
	c1 := blockedWait(&word, 0, ^uint32(0))
	c2 := blockedWait(&w2, 0, ^uint32(0))
	if until("wake-op waiters queued", func() bool { return waiters(&word) == 1 && waiters(&w2) == 1 }) {
		op = (wakeOpAdd|wakeOpArgShift)<<28 | cmpGt<<24 | 3<<12 | 0
		n, e = futex(&word, opWakeOp|opPrivate, 1, unsafe.Pointer(uintptr(1)), &w2, op)
		check("wake-op woke the first word's waiter only", n == 1 && e == 0 && atomic.LoadUint32(&w2) == 8, n, e, w2)
		check("first waiter woke", <-c1 == 0)
		n, e = futex(&word, opWakeOp|opPrivate, 1, unsafe.Pointer(uintptr(1)), &w2, op)
		check("wake-op with old value 8 > 0 woke the second", n == 1 && e == 0 && atomic.LoadUint32(&w2) == 16, n, e, w2)
		check("second waiter woke", <-c2 == 0)
	}
	_, e = futex(&word, opWakeOp, 1, nil, &w2, 9<<24)
	check("wake-op with an unknown comparison: ENOSYS", e == syscall.ENOSYS, e)
}

// mutex is a futex lock (0 free, 1 locked, 2 locked with waiters).
type mutex struct{ v uint32 }

func (m *mutex) lock() {
	c := atomic.SwapUint32(&m.v, 1)
	if c == 0 {
		return
	}
	for atomic.SwapUint32(&m.v, 2) != 0 {
		futex(&m.v, opWait|opPrivate, 2, nil, nil, 0)
	}
}

func (m *mutex) unlock() {
	if atomic.SwapUint32(&m.v, 0) == 2 {
		futex(&m.v, opWake|opPrivate, 1, nil, nil, 0)
	}
}

// mutexStorm: threads on every core take one futex lock around a plain
// counter. A lost wake-up hangs (the test's timeout), a broken exclusion
// loses increments.
func mutexStorm(threads, rounds int, m *mutex) {
	var counter int
	var wg sync.WaitGroup
	for i := 0; i < threads; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for r := 0; r < rounds; r++ {
				m.lock()
				counter++
				if r%64 == 0 {
					runtime.Gosched()
				}
				m.unlock()
			}
		}()
	}
	wg.Wait()
	check("futex mutex counter", counter == threads*rounds, counter, " want ", threads*rounds)
}

// timeoutRace: waiters with short timeouts on one word race a waker; at
// the end no waiter may remain queued (a timed-out waiter takes itself
// off its bucket).
func timeoutRace(threads, rounds int) {
	var w uint32
	var stop atomic.Bool
	var woken, timedOut atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < threads; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			ts := syscall.Timespec{Nsec: 50_000}
			for r := 0; r < rounds; r++ {
				_, e := futex(&w, opWait|opPrivate, 0, unsafe.Pointer(&ts), nil, 0)
				switch e {
				case 0:
					woken.Add(1)
				case syscall.ETIMEDOUT:
					timedOut.Add(1)
				case syscall.EINTR, syscall.EAGAIN:
				default:
					check("timed wait", false, e)
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		for !stop.Load() {
			futex(&w, opWake|opPrivate, 1, nil, nil, 0)
		}
		close(done)
	}()
	wg.Wait()
	stop.Store(true)
	<-done
	check("no waiter left queued after the timeout race", waiters(&w) == 0)
	fmt.Printf("timeout race: %d woken, %d timed out\n", woken.Load(), timedOut.Load())
}

// runtimeLocks: the Go runtime's own futex use (channels, sync.Mutex,
// WaitGroup, GC) under load on every core.
func runtimeLocks(workers, rounds int) {
	var mu sync.Mutex
	total := 0
	ch := make(chan int)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				mu.Lock()
				total++
				mu.Unlock()
				if r%16 == 0 {
					ch <- r
				}
				_ = make([]byte, 1024)
			}
		}()
	}
	go func() { wg.Wait(); close(ch) }()
	got := 0
	for range ch {
		got++
	}
	check("sync.Mutex counter", total == workers*rounds, total)
	check("channel messages", got == workers*((rounds+15)/16), got)
}

func main() {
	fmt.Println("cores", runtime.NumCPU())
	operations()
	var m mutex
	mutexStorm(2*runtime.NumCPU()+2, 3000, &m)
	// The same lock in memory mapped by the program.
	mem, err := syscall.Mmap(-1, 0, 1<<12, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	check("mmap", err == nil, err)
	mutexStorm(runtime.NumCPU()+1, 2000, (*mutex)(unsafe.Pointer(&mem[0])))
	timeoutRace(runtime.NumCPU()+2, 300)
	runtimeLocks(4*runtime.NumCPU(), 4000)
	if failed.Load() {
		fmt.Println("futex FAILED")
		os.Exit(1)
	}
	fmt.Println("futex ok")
}
