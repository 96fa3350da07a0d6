// Command eventfd hammers eventfd counters across cores: the answers of
// single calls (EAGAIN on an empty counter, semaphore mode, the cap at
// 0xfffffffffffffffe, EINVAL for short buffers and for 2^64-1, epoll
// readiness at both ends), threads on every core adding to one counter
// while a reader on another core waits in epoll_wait (level and edge
// triggered) or in a blocking read, in plain and semaphore mode, several
// semaphore readers at once, and writers held at the cap that a reader
// on another core releases. Every unit written must be read exactly once.
// It runs on Linux too (go run), the oracle. It prints "eventfd ok" when
// every check passed.
package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/gotoro/gotoro/internal/boottest/stress"
)

const (
	efdSemaphore = 1
	efdMax       = ^uint64(0) - 1
)

var cores = runtime.NumCPU()

func eventfd(initval uint, flags int) int {
	fd, _, e := syscall.RawSyscall(syscall.SYS_EVENTFD2, uintptr(initval), uintptr(flags|syscall.O_CLOEXEC), 0)
	if !stress.Check("eventfd2", e == 0, e) {
		os.Exit(1)
	}
	return int(fd)
}

// add writes v to fd: the error, nil when all 8 bytes went.
func add(fd int, v uint64) error {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	n, err := syscall.Write(fd, b[:])
	if err == nil && n != 8 {
		return fmt.Errorf("write returned %d", n)
	}
	return err
}

// take reads fd's counter.
func take(fd int) (uint64, error) {
	var b [8]byte
	n, err := syscall.Read(fd, b[:])
	if err == nil && n != 8 {
		return 0, fmt.Errorf("read returned %d", n)
	}
	return binary.LittleEndian.Uint64(b[:]), err
}

// ready returns fd's epoll events now.
func ready(fd int) uint32 {
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if !stress.Check("epoll_create1", err == nil, err) {
		return 0
	}
	defer syscall.Close(ep)
	syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, fd, &syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLOUT, Fd: int32(fd)})
	var ev [1]syscall.EpollEvent
	n, err := syscall.EpollWait(ep, ev[:], 0)
	if !stress.Check("epoll_wait(0)", err == nil, err) || n == 0 {
		return 0
	}
	return ev[0].Events
}

// answers checks single calls on one thread.
func answers() {
	const in, out = syscall.EPOLLIN, syscall.EPOLLOUT
	fd := eventfd(0, syscall.O_NONBLOCK)
	_, err := take(fd)
	stress.Check("read of an empty counter: EAGAIN", err == syscall.EAGAIN, err)
	stress.Check("empty counter: writable only", ready(fd) == out, ready(fd))
	stress.Check("write 3", add(fd, 3) == nil)
	stress.Check("write 4", add(fd, 4) == nil)
	stress.Check("counter 7: readable and writable", ready(fd) == in|out, ready(fd))
	v, err := take(fd)
	stress.Check("read takes all: 7", v == 7 && err == nil, v, err)
	_, err = take(fd)
	stress.Check("read after: EAGAIN", err == syscall.EAGAIN, err)
	var short [4]byte
	_, err = syscall.Read(fd, short[:])
	stress.Check("read of 4 bytes: EINVAL", err == syscall.EINVAL, err)
	_, err = syscall.Write(fd, short[:])
	stress.Check("write of 4 bytes: EINVAL", err == syscall.EINVAL, err)
	stress.Check("write 2^64-1: EINVAL", add(fd, ^uint64(0)) == syscall.EINVAL)
	stress.Check("write 0xfffffffffffffffe", add(fd, efdMax) == nil)
	stress.Check("counter at the cap: readable only", ready(fd) == in, ready(fd))
	stress.Check("write 1 at the cap: EAGAIN", add(fd, 1) == syscall.EAGAIN)
	stress.Check("write 0 at the cap", add(fd, 0) == nil)
	v, err = take(fd)
	stress.Check("read the cap", v == efdMax && err == nil, v, err)
	stress.Check("write 0xfffffffffffffffd", add(fd, efdMax-1) == nil)
	stress.Check("write 2 past the cap: EAGAIN", add(fd, 2) == syscall.EAGAIN)
	stress.Check("write 1 up to the cap", add(fd, 1) == nil)
	take(fd)
	syscall.Close(fd)

	fd = eventfd(3, syscall.O_NONBLOCK|efdSemaphore)
	for i := 0; i < 3; i++ {
		v, err := take(fd)
		stress.Check("semaphore read: 1", v == 1 && err == nil, v, err)
	}
	_, err = take(fd)
	stress.Check("semaphore read of zero: EAGAIN", err == syscall.EAGAIN, err)
	syscall.Close(fd)
	fmt.Println("answers: EAGAIN, semaphore, cap, EINVAL, readiness")
}

// writers starts one pinned writer per core adding per units of 1, each
// k times, to fd (blocking), and returns a wait for them.
func writers(fd, k int, big bool) *sync.WaitGroup {
	var wg sync.WaitGroup
	for c := 0; c < cores; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stress.Pin(c)
			v := uint64(1)
			if big {
				v = 1 << 62
			}
			for i := 0; i < k; i++ {
				if err := add(fd, v); !stress.Check("counter write", err == nil, err) {
					return
				}
			}
		}()
	}
	return &wg
}

// polled adds to one counter from every core while a reader pinned to the
// last core waits in epoll_wait (edge triggered if et) and reads it
// nonblocking until EAGAIN; the units read must be the units written.
func polled(semaphore, et bool, k int) {
	flags := syscall.O_NONBLOCK
	if semaphore {
		flags |= efdSemaphore
	}
	fd := eventfd(0, flags)
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if !stress.Check("epoll_create1", err == nil, err) {
		return
	}
	events := uint32(syscall.EPOLLIN)
	if et {
		events |= -syscall.EPOLLET & 0xFFFFFFFF
	}
	syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, fd, &syscall.EpollEvent{Events: events, Fd: int32(fd)})
	want := uint64(cores * k)
	got := make(chan uint64)
	go func() {
		stress.Pin(cores - 1)
		var sum uint64
		var ev [1]syscall.EpollEvent
		for sum < want {
			n, err := syscall.EpollWait(ep, ev[:], 10000)
			if err == syscall.EINTR {
				continue
			}
			if !stress.Check("epoll_wait", err == nil && n == 1, n, err, " with ", sum, " of ", want) {
				break
			}
			for {
				v, err := take(fd)
				if err == syscall.EAGAIN {
					break
				}
				if !stress.Check("counter read", err == nil, err) {
					break
				}
				stress.Check("semaphore read: 1", !semaphore || v == 1, v)
				sum += v
			}
		}
		got <- sum
	}()
	// The writers share the nonblocking descriptor: units of 1 never
	// meet the cap.
	writers(fd, k, false).Wait()
	sum := <-got
	mode := map[bool]string{false: "plain", true: "semaphore"}[semaphore]
	trig := map[bool]string{false: "level", true: "edge"}[et]
	stress.Check("units read ("+mode+", "+trig+")", sum == want, sum, " of ", want)
	syscall.Close(ep)
	syscall.Close(fd)
	fmt.Printf("epoll %s %s: %d cores × %d\n", mode, trig, cores, k)
}

// blocking adds to one counter from every core while readers block in
// read: one plain reader, or one semaphore reader per core.
func blocking(semaphore bool, k int) {
	flags := 0
	readers := 1
	if semaphore {
		flags, readers = efdSemaphore, cores
	}
	fd := eventfd(0, flags)
	want := uint64(cores * k)
	var sum atomic.Uint64
	var wg sync.WaitGroup
	var stop atomic.Bool
	for r := 0; r < readers; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stress.Pin(cores - 1 - r)
			for !stop.Load() {
				v, err := take(fd)
				if !stress.Check("blocking read", err == nil, err) {
					return
				}
				stress.Check("semaphore read: 1", !semaphore || v == 1, v)
				if sum.Add(v) == want {
					stop.Store(true)
					// Wake the other readers: each takes one unit of a
					// write of readers-1 and goes.
					if readers > 1 {
						add(fd, uint64(readers-1))
					}
				}
			}
		}()
	}
	writers(fd, k, false).Wait()
	wg.Wait()
	// What the wake-up write left (a reader that saw stop before it read
	// took none of it) is read back before the count is checked.
	got := sum.Load()
	syscall.SetNonblock(fd, true)
	for {
		v, err := take(fd)
		if err != nil {
			stress.Check("read of the rest", err == syscall.EAGAIN, err)
			break
		}
		got += v
	}
	if readers > 1 {
		got -= uint64(readers - 1)
	}
	mode := map[bool]string{false: "plain", true: "semaphore"}[semaphore]
	stress.Check("units read (blocking "+mode+")", got == want, got, " of ", want)
	syscall.Close(fd)
	fmt.Printf("blocking %s: %d cores × %d, %d readers\n", mode, cores, k, readers)
}

// capped has writers on every core add 2^62 at a time, so at most three
// fit under the cap and the rest wait in write, while a reader on the
// last core drains the counter with blocking reads.
func capped(k int) {
	fd := eventfd(0, 0)
	want := uint64(cores * k) // units of 2^62
	done := make(chan uint64)
	go func() {
		stress.Pin(cores - 1)
		var units uint64
		for units < want {
			v, err := take(fd)
			if !stress.Check("capped read", err == nil && v%(1<<62) == 0 && v != 0, v, err) {
				break
			}
			units += v >> 62
		}
		done <- units
	}()
	writers(fd, k, true).Wait()
	units := <-done
	stress.Check("units read (capped)", units == want, units, " of ", want)
	syscall.Close(fd)
	fmt.Printf("writers at the cap: %d cores × %d\n", cores, k)
}

func main() {
	fmt.Println("cores", cores)
	answers()
	for _, sem := range []bool{false, true} {
		for _, et := range []bool{false, true} {
			polled(sem, et, 2000)
		}
		blocking(sem, 2000)
	}
	capped(300)
	if stress.Failed() {
		fmt.Println("eventfd FAILED")
		os.Exit(1)
	}
	fmt.Println("eventfd ok")
}
