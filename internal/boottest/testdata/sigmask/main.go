// Command sigmask checks the signal masks of ppoll, pselect6, epoll_pwait
// and epoll_pwait2 through golang.org/x/sys/unix: the mask is the
// thread's for the wait alone and restored after it, atomically with
// respect to signal delivery. A signal the thread blocks but the mask
// does not, pending before the wait or sent during it, ends the wait
// with EINTR and its handler runs; a signal the mask blocks stays pending
// through the wait (which times out) and is delivered once the thread's
// own mask is back; a wait that finds a descriptor ready returns it and
// leaves a signal its own mask blocks pending. After each call the
// thread's mask is its own again. Usage:
//
//	sigmask
//
// Each check names the result it saw, so the guest's lines must equal the
// ones Linux, the oracle, prints. The end prints "sigmask ok" if no check
// failed, else exits 1.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"time"
	"unsafe"

	"github.com/gotoro/gotoro/internal/guestcheck"
	"golang.org/x/sys/unix"
)

// A wait on a descriptor that is never ready (the read end of an empty
// pipe), with a timeout and a signal mask.
type waitCall struct {
	name string
	call func(mask *unix.Sigset_t, timeout time.Duration) (int, error)
}

var (
	pipeR, pipeW int
	epfd         int
	usr1         = make(chan os.Signal, 16)
)

func main() {
	guestcheck.KeepGoing()
	runtime.LockOSThread()
	signal.Notify(usr1, unix.SIGUSR1)
	var p [2]int
	guestcheck.Must("pipe", unix.Pipe(p[:]))
	pipeR, pipeW = p[0], p[1]
	epfd = guestcheck.Value(unix.EpollCreate1(0))
	guestcheck.Must("epoll_ctl", unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, pipeR, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(pipeR)}))
	for _, w := range []waitCall{
		{"ppoll", ppoll},
		{"pselect6", pselect},
		{"epoll_pwait", epollPwait},
		{"epoll_pwait2", epollPwait2},
	} {
		testPendingBefore(w)
		testSentDuring(w)
		testBlockedByMask(w)
		testReady(w)
		testNoWait(w, 0)
	}
	testNoWait(waitCall{"epoll_pwait2 (1 ns)", epollPwait2}, time.Nanosecond)
	testBadMasks()
	guestcheck.Done("sigmask ok")
}

// ppoll is called directly: unix.Ppoll passes a mask size of 0, which
// Linux refuses (EINVAL) whenever there is a mask.
func ppoll(mask *unix.Sigset_t, d time.Duration) (int, error) {
	ts := unix.NsecToTimespec(int64(d))
	fds := []unix.PollFd{{Fd: int32(pipeR), Events: unix.POLLIN}}
	n, _, e := unix.Syscall6(unix.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), 1, uintptr(unsafe.Pointer(&ts)), uintptr(unsafe.Pointer(mask)), 8, 0)
	return result(n, e)
}

func pselect(mask *unix.Sigset_t, d time.Duration) (int, error) {
	ts := unix.NsecToTimespec(int64(d))
	var r unix.FdSet
	r.Set(pipeR)
	return unix.Pselect(pipeR+1, &r, nil, nil, &ts, mask)
}

func epollPwait(mask *unix.Sigset_t, d time.Duration) (int, error) {
	var ev [1]unix.EpollEvent
	n, _, e := unix.Syscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&ev[0])), 1, uintptr(d/time.Millisecond), uintptr(unsafe.Pointer(mask)), 8)
	return result(n, e)
}

func epollPwait2(mask *unix.Sigset_t, d time.Duration) (int, error) {
	var ev [1]unix.EpollEvent
	ts := unix.NsecToTimespec(int64(d))
	n, _, e := unix.Syscall6(unix.SYS_EPOLL_PWAIT2, uintptr(epfd), uintptr(unsafe.Pointer(&ev[0])), 1, uintptr(unsafe.Pointer(&ts)), uintptr(unsafe.Pointer(mask)), 8)
	return result(n, e)
}

func result(n uintptr, e unix.Errno) (int, error) {
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}

// set returns a signal set of sigs; all: every signal but those.
func set(all bool, sigs ...unix.Signal) *unix.Sigset_t {
	var s unix.Sigset_t
	if all {
		s.Val[0] = ^uint64(0)
	}
	for _, g := range sigs {
		s.Val[0] ^= 1 << (uint(g) - 1)
	}
	return &s
}

// threadMask returns the calling thread's signal mask (the first word).
func threadMask() uint64 {
	var old unix.Sigset_t
	guestcheck.Must("rt_sigprocmask", unix.PthreadSigmask(unix.SIG_BLOCK, nil, &old))
	return old.Val[0]
}

func setMask(s *unix.Sigset_t) {
	guestcheck.Must("rt_sigprocmask", unix.PthreadSigmask(unix.SIG_SETMASK, s, nil))
}

// raise sends SIGUSR1 to thread tid after d.
func raise(tid int, d time.Duration) {
	time.Sleep(d)
	guestcheck.Must("tgkill", unix.Tgkill(unix.Getpid(), tid, unix.SIGUSR1))
}

// drain drops SIGUSR1 deliveries a check before left.
func drain() {
	for {
		select {
		case <-usr1:
		default:
			return
		}
	}
}

// delivered reports whether SIGUSR1 reached the handler within d.
func delivered(d time.Duration) bool {
	select {
	case <-usr1:
		return true
	case <-time.After(d):
		return false
	}
}

func outcome(n int, err error) string {
	if err != nil {
		return "error " + err.Error()
	}
	return fmt.Sprintf("%d", n)
}

const bit1 = 1 << (unix.SIGUSR1 - 1)

// testPendingBefore: SIGUSR1 is blocked by the thread and pending before
// the wait; the wait's mask unblocks it.
func testPendingBefore(w waitCall) {
	drain()
	p := func(s string) string { return w.name + ": pending before, unblocked by the mask: " + s }
	base := threadMask()
	setMask(set(false, unix.SIGUSR1))
	guestcheck.Must("tgkill", unix.Tgkill(unix.Getpid(), unix.Gettid(), unix.SIGUSR1))
	guestcheck.Check(p("not delivered while blocked"), !delivered(100*time.Millisecond), "delivered")
	n, err := w.call(set(true, unix.SIGUSR1), 3*time.Second)
	guestcheck.Check(p(outcome(n, err)), true, "")
	guestcheck.Check(p("the handler ran"), delivered(2*time.Second), "not delivered")
	guestcheck.Check(p("the thread's mask is back"), threadMask() == base|bit1, "%#x, want %#x", threadMask(), base|bit1)
	setMask(&unix.Sigset_t{Val: [16]uint64{base}})
}

// testSentDuring: SIGUSR1 is blocked by the thread and sent by another
// thread during the wait; the wait's mask unblocks it.
func testSentDuring(w waitCall) {
	drain()
	p := func(s string) string { return w.name + ": sent during the wait, unblocked by the mask: " + s }
	base := threadMask()
	setMask(set(false, unix.SIGUSR1))
	go raise(unix.Gettid(), 200*time.Millisecond)
	start := time.Now()
	n, err := w.call(set(true, unix.SIGUSR1), 5*time.Second)
	took := time.Since(start)
	guestcheck.Check(p(outcome(n, err)), true, "")
	guestcheck.Check(p("the wait ended before its timeout"), took < 4*time.Second, "%v", took)
	guestcheck.Check(p("the handler ran"), delivered(2*time.Second), "not delivered")
	guestcheck.Check(p("the thread's mask is back"), threadMask() == base|bit1, "%#x, want %#x", threadMask(), base|bit1)
	setMask(&unix.Sigset_t{Val: [16]uint64{base}})
}

// testBlockedByMask: the thread does not block SIGUSR1, the wait's mask
// blocks every signal; SIGUSR1 sent during the wait waits pending and is
// delivered after it.
func testBlockedByMask(w waitCall) {
	drain()
	p := func(s string) string { return w.name + ": sent during the wait, blocked by the mask: " + s }
	base := threadMask()
	guestcheck.Check(p("the thread does not block SIGUSR1"), base&bit1 == 0, "%#x", base)
	done := make(chan bool)
	tid := unix.Gettid()
	go func() { raise(tid, 100*time.Millisecond); done <- true }()
	n, err := w.call(set(true), 800*time.Millisecond)
	<-done
	guestcheck.Check(p(outcome(n, err)), true, "")
	guestcheck.Check(p("the handler ran after the wait"), delivered(2*time.Second), "not delivered")
	guestcheck.Check(p("the thread's mask is back"), threadMask() == base, "%#x, want %#x", threadMask(), base)
}

// testReady: a descriptor is ready and SIGUSR1, blocked by the thread, is
// pending and unblocked by the mask: the wait returns the descriptor and
// the signal stays pending under the thread's mask.
func testReady(w waitCall) {
	drain()
	p := func(s string) string { return w.name + ": ready, a signal pending: " + s }
	base := threadMask()
	guestcheck.Value(unix.Write(pipeW, []byte("x")))
	setMask(set(false, unix.SIGUSR1))
	guestcheck.Must("tgkill", unix.Tgkill(unix.Getpid(), unix.Gettid(), unix.SIGUSR1))
	n, err := w.call(set(true, unix.SIGUSR1), 3*time.Second)
	guestcheck.Check(p(outcome(n, err)), true, "")
	if err != nil {
		// The handler ran at the wait's end.
		guestcheck.Check(p("delivered at the wait"), delivered(2*time.Second), "not delivered")
	} else {
		guestcheck.Check(p("not delivered while the thread blocks it"), !delivered(200*time.Millisecond), "delivered")
	}
	guestcheck.Check(p("the thread's mask is back"), threadMask() == base|bit1, "%#x, want %#x", threadMask(), base|bit1)
	setMask(&unix.Sigset_t{Val: [16]uint64{base}})
	if err == nil {
		guestcheck.Check(p("delivered once unblocked"), delivered(2*time.Second), "not delivered")
	}
	b := make([]byte, 1)
	guestcheck.Value(unix.Read(pipeR, b))
}

// testNoWait: a wait with a zero (or 1 ns) timeout that finds nothing
// ready while SIGUSR1, blocked by the thread and unblocked by the mask,
// is pending: poll and select say EINTR (Linux's do_poll and do_select
// look for a signal before the timeout), epoll_wait with no timeout
// returns 0 at once, and with one looks for a signal first.
func testNoWait(w waitCall, d time.Duration) {
	drain()
	p := func(s string) string {
		return fmt.Sprintf("%s: timeout %v, a signal pending: %s", w.name, d, s)
	}
	base := threadMask()
	setMask(set(false, unix.SIGUSR1))
	guestcheck.Must("tgkill", unix.Tgkill(unix.Getpid(), unix.Gettid(), unix.SIGUSR1))
	n, err := w.call(set(true, unix.SIGUSR1), d)
	guestcheck.Check(p(outcome(n, err)), true, "")
	if err != nil {
		guestcheck.Check(p("delivered at the wait"), delivered(2*time.Second), "not delivered")
	} else {
		guestcheck.Check(p("not delivered while the thread blocks it"), !delivered(200*time.Millisecond), "delivered")
	}
	guestcheck.Check(p("the thread's mask is back"), threadMask() == base|bit1, "%#x, want %#x", threadMask(), base|bit1)
	setMask(&unix.Sigset_t{Val: [16]uint64{base}})
	if err == nil {
		guestcheck.Check(p("delivered once unblocked"), delivered(2*time.Second), "not delivered")
	}
}

// testBadMasks: a mask of the wrong size or at a bad address.
func testBadMasks() {
	ts := unix.Timespec{}
	fds := []unix.PollFd{{Fd: int32(pipeR), Events: unix.POLLIN}}
	bad := uintptr(8) // never mapped
	for _, c := range []struct {
		name       string
		mask, size uintptr
	}{
		{"a NULL mask of size 0", 0, 0},
		{"a NULL mask of size 4", 0, 4},
		{"a mask of size 4", uintptr(unsafe.Pointer(set(true))), 4},
		{"a mask of size 16", uintptr(unsafe.Pointer(set(true))), 16},
		{"a mask at a bad address", bad, 8},
	} {
		_, _, e := unix.Syscall6(unix.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), 1, uintptr(unsafe.Pointer(&ts)), c.mask, c.size, 0)
		guestcheck.Check("ppoll: "+c.name+": "+e.Error(), true, "")
		var ev [1]unix.EpollEvent
		_, _, e = unix.Syscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&ev[0])), 1, 0, c.mask, c.size)
		guestcheck.Check("epoll_pwait: "+c.name+": "+e.Error(), true, "")
		_, _, e = unix.Syscall6(unix.SYS_EPOLL_PWAIT2, uintptr(epfd), uintptr(unsafe.Pointer(&ev[0])), 1, uintptr(unsafe.Pointer(&ts)), c.mask, c.size)
		guestcheck.Check("epoll_pwait2: "+c.name+": "+e.Error(), true, "")
		var r unix.FdSet
		r.Set(pipeR)
		pack := [2]uintptr{c.mask, c.size}
		_, _, e = unix.Syscall6(unix.SYS_PSELECT6, uintptr(pipeR+1), uintptr(unsafe.Pointer(&r)), 0, 0, uintptr(unsafe.Pointer(&ts)), uintptr(unsafe.Pointer(&pack)))
		guestcheck.Check("pselect6: "+c.name+": "+e.Error(), true, "")
	}
}
