// Command timerfd checks timerfd_create, timerfd_settime and
// timerfd_gettime through golang.org/x/sys/unix, as a user's event loop
// calls them: the clocks (and the alarm clocks' answer), the flags,
// relative and absolute one-shot and interval timers, the expiration
// count a read returns (overruns included), nonblocking and blocking
// reads, epoll readiness level- and edge-triggered, gettime's remaining
// time, disarming, a reader on another thread (another core with two) that
// the timer is set for after it blocked, a close while a reader blocks,
// fstat and /proc/self/fd, the errors, and two hostile uses: 10,000
// timerfds made and closed, and an interval of 1 ns. The same program runs
// natively on Linux, the oracle: both must print the same checks; a
// check's line says nothing that differs between runs (counts that depend
// on timing are checked against bounds measured around the calls). The
// end prints "timerfd ok" if no check failed, else exits 1.
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/gotoro/gotoro/internal/guestcheck"
	"golang.org/x/sys/unix"
)

func main() {
	guestcheck.KeepGoing()
	testCreate()
	testOneShot()
	testAbsolute()
	testInterval()
	testDisarm()
	testErrors()
	testEpoll()
	testPoll()
	testSelect()
	testNestedEpoll()
	testPollMasks()
	testOtherThread()
	testCloseWhileReading()
	testDescribe()
	testMany()
	testNanosecondInterval()
	guestcheck.Done("timerfd ok")
}

const ms = int64(time.Millisecond)

func mono() int64 {
	var ts unix.Timespec
	guestcheck.Must("clock_gettime", unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts))
	return ts.Nano()
}

func now(clk int) int64 {
	var ts unix.Timespec
	guestcheck.Must("clock_gettime", unix.ClockGettime(int32(clk), &ts))
	return ts.Nano()
}

func spec(interval, value int64) *unix.ItimerSpec {
	return &unix.ItimerSpec{Interval: unix.NsecToTimespec(interval), Value: unix.NsecToTimespec(value)}
}

// readCount reads a timerfd's 8-byte expiration count.
func readCount(fd int) (uint64, error) {
	var b [8]byte
	n, err := unix.Read(fd, b[:])
	if err != nil {
		return 0, err
	}
	if n != 8 {
		return 0, fmt.Errorf("read %d bytes", n)
	}
	return *(*uint64)(unsafe.Pointer(&b[0])), nil
}

func create(clk, flags int) int {
	return guestcheck.Value(unix.TimerfdCreate(clk, flags))
}

var clocks = []struct {
	name string
	id   int
}{{"CLOCK_REALTIME", unix.CLOCK_REALTIME}, {"CLOCK_MONOTONIC", unix.CLOCK_MONOTONIC}, {"CLOCK_BOOTTIME", unix.CLOCK_BOOTTIME}}

// capWakeAlarm reports whether the program may use the alarm clocks:
// CAP_WAKE_ALARM in /proc/self/status's CapEff, or root where the file
// says nothing of capabilities.
func capWakeAlarm() bool {
	f, err := os.Open("/proc/self/status")
	if err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "CapEff:"); ok {
				c, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
				return err == nil && c&(1<<35) != 0
			}
		}
	}
	return os.Geteuid() == 0
}

func testCreate() {
	for _, c := range clocks {
		fd, err := unix.TimerfdCreate(c.id, 0)
		guestcheck.Check("create "+c.name, err == nil, "%v", err)
		if err == nil {
			unix.Close(fd)
		}
	}
	for _, clk := range []int{unix.CLOCK_REALTIME_ALARM, unix.CLOCK_BOOTTIME_ALARM} {
		fd, err := unix.TimerfdCreate(clk, unix.TFD_NONBLOCK)
		if capWakeAlarm() {
			guestcheck.Check(fmt.Sprintf("create alarm clock %d with CAP_WAKE_ALARM", clk), err == nil, "%v", err)
			if err == nil {
				guestcheck.Must("settime alarm", unix.TimerfdSettime(fd, 0, spec(0, ms), nil))
				time.Sleep(5 * time.Millisecond)
				n, err := readCount(fd)
				guestcheck.Check(fmt.Sprintf("alarm clock %d expires", clk), err == nil && n == 1, "%d, %v", n, err)
				unix.Close(fd)
			}
		} else {
			guestcheck.Expect(fmt.Sprintf("create alarm clock %d without CAP_WAKE_ALARM: EPERM", clk), err, unix.EPERM)
		}
	}
	for _, clk := range []int{unix.CLOCK_PROCESS_CPUTIME_ID, unix.CLOCK_THREAD_CPUTIME_ID, unix.CLOCK_MONOTONIC_RAW, unix.CLOCK_REALTIME_COARSE, 42, -1} {
		_, err := unix.TimerfdCreate(clk, 0)
		guestcheck.Expect(fmt.Sprintf("create clock %d: EINVAL", clk), err, unix.EINVAL)
	}
	for _, fl := range []int{1, unix.O_RDWR, unix.O_APPEND, unix.TFD_TIMER_ABSTIME} {
		_, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, fl)
		guestcheck.Expect(fmt.Sprintf("create flags %#x: EINVAL", fl), err, unix.EINVAL)
	}
	fd := create(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	fdfl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	guestcheck.Check("TFD_CLOEXEC sets FD_CLOEXEC", fdfl&unix.FD_CLOEXEC != 0, "F_GETFD %#x", fdfl)
	fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	guestcheck.Check("TFD_NONBLOCK: F_GETFL is O_RDWR|O_NONBLOCK", fl == unix.O_RDWR|unix.O_NONBLOCK, "F_GETFL %#x", fl)
	_, err := readCount(fd)
	guestcheck.Expect("read of a disarmed nonblocking timerfd: EAGAIN", err, unix.EAGAIN)
	unix.Close(fd)
	fd = create(unix.CLOCK_MONOTONIC, 0)
	fdfl, _ = unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	fl, _ = unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	guestcheck.Check("no flags: no FD_CLOEXEC, F_GETFL O_RDWR", fdfl == 0 && fl == unix.O_RDWR, "F_GETFD %#x F_GETFL %#x", fdfl, fl)
	unix.Close(fd)
}

// testOneShot arms a relative one-shot timer on each clock and reads it
// blocking: one expiration, not before its time; then gettime says 0.
func testOneShot() {
	for _, c := range clocks {
		fd := create(c.id, 0)
		var cur unix.ItimerSpec
		start := mono()
		guestcheck.Must("settime", unix.TimerfdSettime(fd, 0, spec(0, 30*ms), nil))
		guestcheck.Must("gettime", unix.TimerfdGettime(fd, &cur))
		left := cur.Value.Nano()
		guestcheck.Check(c.name+": gettime after arming: 0 < value <= 30ms, interval 0",
			left > 0 && left <= 30*ms && cur.Interval.Nano() == 0, "%+v", cur)
		n, err := readCount(fd)
		took := mono() - start
		guestcheck.Check(c.name+": blocking read returns 1 expiration", err == nil && n == 1, "%d, %v", n, err)
		guestcheck.Check(c.name+": not before 30ms", took >= 29*ms, "after %v", time.Duration(took))
		guestcheck.Must("gettime", unix.TimerfdGettime(fd, &cur))
		guestcheck.Check(c.name+": gettime after expiry: 0, 0", cur.Value.Nano() == 0 && cur.Interval.Nano() == 0, "%+v", cur)
		guestcheck.Must("set nonblocking", unix.SetNonblock(fd, true))
		_, err = readCount(fd)
		guestcheck.Expect(c.name+": a second read: EAGAIN", err, unix.EAGAIN)
		unix.Close(fd)
	}
}

// testAbsolute arms absolute timers in the future and in the past.
func testAbsolute() {
	for _, c := range clocks {
		fd := create(c.id, unix.TFD_NONBLOCK)
		at := now(c.id) + 30*ms
		guestcheck.Must("settime", unix.TimerfdSettime(fd, unix.TFD_TIMER_ABSTIME, spec(0, at), nil))
		_, err := readCount(fd)
		guestcheck.Expect(c.name+": absolute 30ms ahead: not yet (EAGAIN)", err, unix.EAGAIN)
		for now(c.id) < at {
			time.Sleep(5 * time.Millisecond)
		}
		n, err := readCount(fd)
		guestcheck.Check(c.name+": absolute: expired once", err == nil && n == 1, "%d, %v", n, err)
		// In the past, with an interval of 100ms: the first expiry and
		// the 9 intervals since count at once. (A booted guest's
		// monotonic clock may be younger than 950ms: negative is EINVAL.)
		for now(c.id) < 2*int64(time.Second) {
			time.Sleep(50 * time.Millisecond)
		}
		guestcheck.Must("settime", unix.TimerfdSettime(fd, unix.TFD_TIMER_ABSTIME, spec(100*ms, now(c.id)-950*ms), nil))
		n, err = readCount(fd)
		guestcheck.Check(c.name+": absolute 950ms ago, interval 100ms: 10 expirations", err == nil && n == 10, "%d, %v", n, err)
		// TFD_TIMER_CANCEL_ON_SET is accepted with ABSTIME on any clock;
		// nobody sets the clock here, so the timer runs as any other.
		err = unix.TimerfdSettime(fd, unix.TFD_TIMER_ABSTIME|unix.TFD_TIMER_CANCEL_ON_SET, spec(0, now(c.id)-ms), nil)
		guestcheck.Expect(c.name+": ABSTIME|CANCEL_ON_SET accepted", err, nil)
		n, err = readCount(fd)
		guestcheck.Check(c.name+": CANCEL_ON_SET timer expires (clock not set)", err == nil && n == 1, "%d, %v", n, err)
		err = unix.TimerfdSettime(fd, unix.TFD_TIMER_CANCEL_ON_SET, spec(0, 0), nil)
		guestcheck.Expect(c.name+": CANCEL_ON_SET without ABSTIME accepted", err, nil)
		unix.Close(fd)
	}
}

// testInterval checks the count of an interval timer against the time
// measured around it, and gettime's remaining time.
func testInterval() {
	fd := create(unix.CLOCK_MONOTONIC, 0)
	t0 := mono()
	guestcheck.Must("settime", unix.TimerfdSettime(fd, 0, spec(10*ms, 10*ms), nil))
	t1 := mono()
	time.Sleep(105 * time.Millisecond)
	t2 := mono()
	n, err := readCount(fd)
	t3 := mono()
	lo, hi := uint64((t2-t1)/(10*ms)), uint64((t3-t0)/(10*ms))
	guestcheck.Check("interval 10ms: the count matches the time passed", err == nil && n >= lo && n <= hi && n >= 10,
		"%d not in [%d, %d], %v", n, lo, hi, err)
	var cur unix.ItimerSpec
	guestcheck.Must("gettime", unix.TimerfdGettime(fd, &cur))
	guestcheck.Check("interval: gettime: 0 < value <= 10ms, interval 10ms",
		cur.Value.Nano() > 0 && cur.Value.Nano() <= 10*ms && cur.Interval.Nano() == 10*ms, "%+v", cur)
	n, err = readCount(fd) // blocks until the next one
	guestcheck.Check("interval: a blocking read waits for the next expiry", err == nil && n >= 1, "%d, %v", n, err)
	// Only an interval: the value 0 disarms.
	guestcheck.Must("settime", unix.TimerfdSettime(fd, 0, spec(10*ms, 0), nil))
	guestcheck.Must("gettime", unix.TimerfdGettime(fd, &cur))
	guestcheck.Check("interval without value: disarmed, gettime 0", cur.Value.Nano() == 0, "%+v", cur)
	unix.Close(fd)
}

// testDisarm disarms an armed timer: settime's old value, and no
// expiry after.
func testDisarm() {
	fd := create(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK)
	guestcheck.Must("settime", unix.TimerfdSettime(fd, 0, spec(7*ms, 40*ms), nil))
	var old unix.ItimerSpec
	guestcheck.Must("disarm", unix.TimerfdSettime(fd, 0, spec(0, 0), &old))
	guestcheck.Check("disarm: the old value is the time left and the interval",
		old.Value.Nano() > 0 && old.Value.Nano() <= 40*ms && old.Interval.Nano() == 7*ms, "%+v", old)
	time.Sleep(60 * time.Millisecond)
	_, err := readCount(fd)
	guestcheck.Expect("disarmed: nothing expires (EAGAIN)", err, unix.EAGAIN)
	var cur unix.ItimerSpec
	guestcheck.Must("gettime", unix.TimerfdGettime(fd, &cur))
	guestcheck.Check("disarmed: gettime 0, 0", cur.Value.Nano() == 0 && cur.Interval.Nano() == 0, "%+v", cur)
	// Re-arming resets the count: an expired one-shot's unread count is
	// gone.
	guestcheck.Must("settime", unix.TimerfdSettime(fd, unix.TFD_TIMER_ABSTIME, spec(0, 1), nil))
	guestcheck.Must("settime", unix.TimerfdSettime(fd, 0, spec(0, time.Hour.Nanoseconds()), nil))
	_, err = readCount(fd)
	guestcheck.Expect("settime drops unread expirations", err, unix.EAGAIN)
	unix.Close(fd)
}

func testErrors() {
	fd := create(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK)
	bad := []struct {
		name string
		its  unix.ItimerSpec
	}{
		{"value nsec 1e9", unix.ItimerSpec{Value: unix.Timespec{Sec: 1, Nsec: 1e9}}},
		{"interval nsec 1e9", unix.ItimerSpec{Interval: unix.Timespec{Nsec: 1e9}, Value: unix.Timespec{Sec: 1}}},
		{"negative value nsec", unix.ItimerSpec{Value: unix.Timespec{Nsec: -1}}},
		{"negative value sec", unix.ItimerSpec{Value: unix.Timespec{Sec: -1}}},
		{"negative interval sec", unix.ItimerSpec{Interval: unix.Timespec{Sec: -1}, Value: unix.Timespec{Sec: 1}}},
	}
	for _, b := range bad {
		guestcheck.Expect("settime "+b.name+": EINVAL", unix.TimerfdSettime(fd, 0, &b.its, nil), unix.EINVAL)
	}
	guestcheck.Expect("settime flags 4: EINVAL", unix.TimerfdSettime(fd, 4, spec(0, ms), nil), unix.EINVAL)
	guestcheck.Expect("settime bad fd: EBADF", unix.TimerfdSettime(999, 0, spec(0, ms), nil), unix.EBADF)
	guestcheck.Expect("settime closed fd -1: EBADF", unix.TimerfdSettime(-1, 0, spec(0, ms), nil), unix.EBADF)
	var p [2]int
	guestcheck.Must("pipe", unix.Pipe(p[:]))
	guestcheck.Expect("settime on a pipe: EINVAL", unix.TimerfdSettime(p[0], 0, spec(0, ms), nil), unix.EINVAL)
	var cur unix.ItimerSpec
	guestcheck.Expect("gettime on a pipe: EINVAL", unix.TimerfdGettime(p[0], &cur), unix.EINVAL)
	guestcheck.Expect("gettime bad fd: EBADF", unix.TimerfdGettime(999, &cur), unix.EBADF)
	unix.Close(p[0])
	unix.Close(p[1])
	_, _, e := unix.Syscall6(unix.SYS_TIMERFD_SETTIME, uintptr(fd), 0, 0, 0, 0, 0)
	guestcheck.Expect("settime NULL new value: EFAULT", errnoOf(e), unix.EFAULT)
	_, _, e = unix.Syscall(unix.SYS_TIMERFD_GETTIME, uintptr(fd), 0, 0)
	guestcheck.Expect("gettime NULL: EFAULT", errnoOf(e), unix.EFAULT)
	_, _, e = unix.Syscall6(unix.SYS_TIMERFD_SETTIME, uintptr(fd), 0, uintptr(unsafe.Pointer(spec(0, time.Hour.Nanoseconds()))), 8, 0, 0)
	guestcheck.Expect("settime bad old-value pointer: EFAULT", errnoOf(e), unix.EFAULT)
	guestcheck.Must("gettime", unix.TimerfdGettime(fd, &cur))
	guestcheck.Check("... after setting the timer", cur.Value.Sec > 3500, "%+v", cur)
	var small [4]byte
	_, err := unix.Read(fd, small[:])
	guestcheck.Expect("read of 4 bytes: EINVAL", err, unix.EINVAL)
	_, err = unix.Write(fd, make([]byte, 8))
	guestcheck.Expect("write: EINVAL", err, unix.EINVAL)
	unix.Close(fd)
}

func errnoOf(e unix.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

// testEpoll checks readiness through epoll, level- and edge-triggered.
func testEpoll() {
	ep := guestcheck.Value(unix.EpollCreate1(unix.EPOLL_CLOEXEC))
	defer unix.Close(ep)
	fd := create(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK)
	guestcheck.Must("epoll_ctl", unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}))
	ev := make([]unix.EpollEvent, 4)
	n, _ := epollWait(ep, ev, 0)
	guestcheck.Check("epoll: a disarmed timerfd is not ready", n == 0, "%d events", n)
	start := mono()
	guestcheck.Must("settime", unix.TimerfdSettime(fd, 0, spec(0, 30*ms), nil))
	n, err := epollWait(ep, ev, 5000)
	took := mono() - start
	guestcheck.Check("epoll: waits for the expiry, EPOLLIN", err == nil && n == 1 && ev[0].Events == unix.EPOLLIN && ev[0].Fd == int32(fd) && took >= 29*ms,
		"%d events %+v after %v, %v", n, ev[:max(n, 0)], time.Duration(took), err)
	n, _ = epollWait(ep, ev, 0)
	guestcheck.Check("epoll level-triggered: still ready until read", n == 1, "%d events", n)
	readCount(fd)
	n, _ = epollWait(ep, ev, 0)
	guestcheck.Check("epoll: read makes it not ready", n == 0, "%d events", n)
	n, _ = epollWait(ep, ev, 20)
	guestcheck.Check("epoll: a timeout with the timer expired and read", n == 0, "%d events", n)

	// Edge-triggered: an expiry is an edge; an interval timer's next
	// expiry is another only after a read (Linux restarts the timer
	// there), not while the first is unread.
	guestcheck.Must("epoll_ctl mod", unix.EpollCtl(ep, unix.EPOLL_CTL_MOD, fd, &unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLET, Fd: int32(fd)}))
	guestcheck.Must("settime", unix.TimerfdSettime(fd, 0, spec(200*ms, 30*ms), nil))
	n, _ = epollWait(ep, ev, 5000)
	guestcheck.Check("epoll edge-triggered: the first expiry", n == 1, "%d events", n)
	n, _ = epollWait(ep, ev, 0)
	guestcheck.Check("epoll edge-triggered: no second report of it", n == 0, "%d events", n)
	n, _ = epollWait(ep, ev, 300)
	guestcheck.Check("epoll edge-triggered: unread, the next expiry is no new edge", n == 0, "%d events", n)
	c, err := readCount(fd)
	guestcheck.Check("epoll edge-triggered: the read counts the unread expirations", err == nil && c >= 2, "%d, %v", c, err)
	n, _ = epollWait(ep, ev, 5000)
	guestcheck.Check("epoll edge-triggered: after a read the next expiry is an edge", n == 1, "%d events", n)
	unix.Close(fd)
	n, _ = epollWait(ep, ev, 0)
	guestcheck.Check("epoll: a closed timerfd leaves the set", n == 0, "%d events", n)
}

// testOtherThread blocks a reader on its own OS thread before the timer
// is armed; another thread arms it. With two cores the two threads run on
// different ones: the wake-up of the settime and the expiry on the
// reader's core must both arrive.
func testOtherThread() {
	for _, abs := range []bool{false, true} {
		fd := create(unix.CLOCK_MONOTONIC, 0)
		got := make(chan string)
		go func() {
			runtime.LockOSThread()
			n, err := readCount(fd)
			got <- fmt.Sprintf("%d %v", n, err)
		}()
		time.Sleep(30 * time.Millisecond) // the reader blocks first
		if abs {
			guestcheck.Must("settime", unix.TimerfdSettime(fd, unix.TFD_TIMER_ABSTIME, spec(0, now(unix.CLOCK_MONOTONIC)+20*ms), nil))
		} else {
			guestcheck.Must("settime", unix.TimerfdSettime(fd, 0, spec(0, 20*ms), nil))
		}
		select {
		case s := <-got:
			guestcheck.Check(fmt.Sprintf("a reader on another thread wakes (absolute %v)", abs), s == "1 <nil>", "%s", s)
		case <-time.After(10 * time.Second):
			guestcheck.Check(fmt.Sprintf("a reader on another thread wakes (absolute %v)", abs), false, "still blocked after 10s")
		}
		unix.Close(fd)
	}
	// Many expiries for a reader on another thread, set in the past and
	// at intervals: the reader sees each.
	fd := create(unix.CLOCK_MONOTONIC, 0)
	got := make(chan uint64)
	go func() {
		runtime.LockOSThread()
		total := uint64(0)
		for total < 5 {
			n, err := readCount(fd)
			if err != nil {
				break
			}
			total += n
		}
		got <- total
	}()
	guestcheck.Must("settime", unix.TimerfdSettime(fd, 0, spec(15*ms, 15*ms), nil))
	select {
	case n := <-got:
		guestcheck.Check("another thread reads an interval timer", n >= 5, "%d", n)
	case <-time.After(10 * time.Second):
		guestcheck.Check("another thread reads an interval timer", false, "still blocked after 10s")
	}
	unix.Close(fd)
}

// testCloseWhileReading closes the descriptor a reader blocks on: the
// read goes on and returns the expiry, as on Linux.
func testCloseWhileReading() {
	fd := create(unix.CLOCK_MONOTONIC, 0)
	guestcheck.Must("settime", unix.TimerfdSettime(fd, 0, spec(0, 150*ms), nil))
	got := make(chan string)
	go func() {
		runtime.LockOSThread()
		n, err := readCount(fd)
		got <- fmt.Sprintf("%d %v", n, err)
	}()
	time.Sleep(30 * time.Millisecond)
	guestcheck.Expect("close while a reader blocks", unix.Close(fd), nil)
	select {
	case s := <-got:
		guestcheck.Check("the blocked read returns the expiry after the close", s == "1 <nil>", "%s", s)
	case <-time.After(10 * time.Second):
		guestcheck.Check("the blocked read returns the expiry after the close", false, "still blocked after 10s")
	}
	// The number is free again: a new timerfd reuses it.
	fd2 := create(unix.CLOCK_MONOTONIC, 0)
	guestcheck.Check("the closed number is reused", fd2 == fd, "got %d, closed %d", fd2, fd)
	unix.Close(fd2)
}

func testDescribe() {
	fd := create(unix.CLOCK_MONOTONIC, 0)
	var st unix.Stat_t
	guestcheck.Must("fstat", unix.Fstat(fd, &st))
	guestcheck.Check("fstat: mode 0600 with no file type, size 0", st.Mode == 0o600 && st.Size == 0, "mode %#o size %d", st.Mode, st.Size)
	l, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
	guestcheck.Check("/proc/self/fd link: anon_inode:[timerfd]", err == nil && l == "anon_inode:[timerfd]", "%q, %v", l, err)
	off, err := unix.Seek(fd, 10, 0)
	guestcheck.Check("lseek: 0 (noop_llseek)", err == nil && off == 0, "%d, %v", off, err)
	var fs unix.Statfs_t
	guestcheck.Must("fstatfs", unix.Fstatfs(fd, &fs))
	guestcheck.Check("fstatfs: anon_inode_fs", fs.Type == 0x09041934, "%#x", fs.Type)
	unix.Close(fd)
}

// testMany makes and closes 10,000 timerfds, armed, each read once.
func testMany() {
	first := -1
	for i := 0; i < 10000; i++ {
		fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
		if err != nil {
			guestcheck.Check("10000 timerfds made and closed", false, "#%d: %v", i, err)
			return
		}
		if first < 0 {
			first = fd
		}
		if fd != first {
			guestcheck.Check("10000 timerfds made and closed", false, "#%d got fd %d, the first %d", i, fd, first)
			unix.Close(fd)
			return
		}
		if err := unix.TimerfdSettime(fd, unix.TFD_TIMER_ABSTIME, spec(ms, 1), nil); err != nil {
			guestcheck.Check("10000 timerfds made and closed", false, "#%d settime: %v", i, err)
			return
		}
		if n, err := readCount(fd); err != nil || n == 0 {
			guestcheck.Check("10000 timerfds made and closed", false, "#%d read %d, %v", i, n, err)
			return
		}
		unix.Close(fd)
	}
	guestcheck.Check("10000 timerfds made and closed", true, "")
}

// testNanosecondInterval arms an interval of 1 ns: the core goes on
// running (a sleep, another thread), the count is the time passed in ns,
// and a blocking read returns at once.
func testNanosecondInterval() {
	fd := create(unix.CLOCK_MONOTONIC, 0)
	t0 := mono()
	guestcheck.Must("settime", unix.TimerfdSettime(fd, 0, spec(1, 1), nil))
	t1 := mono()
	done := make(chan bool)
	go func() { time.Sleep(20 * time.Millisecond); done <- true }()
	<-done
	t2 := mono()
	n, err := readCount(fd)
	t3 := mono()
	guestcheck.Check("interval 1ns: the count is the ns passed (overruns)",
		err == nil && n >= uint64(t2-t1) && n <= uint64(t3-t0)+1, "%d not in [%d, %d], %v", n, t2-t1, t3-t0, err)
	n, err = readCount(fd)
	guestcheck.Check("interval 1ns: a blocking read returns at once", err == nil && n >= 1, "%d, %v", n, err)
	ep := guestcheck.Value(unix.EpollCreate1(0))
	guestcheck.Must("epoll_ctl", unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLET}))
	ev := make([]unix.EpollEvent, 1)
	k := 0
	for i := 0; i < 100; i++ {
		if m, _ := epollWait(ep, ev, 1000); m == 1 {
			k++
		}
		readCount(fd)
	}
	guestcheck.Check("interval 1ns: edge-triggered epoll reports an edge after each read", k == 100, "%d of 100", k)
	unix.Close(ep)
	unix.Close(fd)
}

// testPoll checks poll and ppoll on timerfds, beside a pipe, a /proc
// file, a negative and a closed descriptor.
func testPoll() {
	fd := create(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK)
	defer unix.Close(fd)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := poll(fds, 0)
	guestcheck.Check("poll: a disarmed timerfd, no wait: 0", n == 0 && err == nil && fds[0].Revents == 0, "%d %+v %v", n, fds, err)
	start := mono()
	n, err = poll(fds, 50)
	took := mono() - start
	guestcheck.Check("poll: the timeout passes (50ms)", n == 0 && err == nil && took >= 49*ms, "%d %v after %v", n, err, time.Duration(took))
	guestcheck.Must("settime", unix.TimerfdSettime(fd, 0, spec(0, 30*ms), nil))
	start = mono()
	n, err = poll(fds, -1)
	took = mono() - start
	guestcheck.Check("poll: waits for the expiry: POLLIN", n == 1 && err == nil && fds[0].Revents == unix.POLLIN && took >= 29*ms,
		"%d %+v %v after %v", n, fds, err, time.Duration(took))
	fds[0].Events = unix.POLLOUT
	n, _ = poll(fds, 0)
	guestcheck.Check("poll: a timerfd is never writable", n == 0 && fds[0].Revents == 0, "%d %+v", n, fds)
	readCount(fd)

	var p [2]int
	guestcheck.Must("pipe", unix.Pipe(p[:]))
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	status := guestcheck.Value(unix.Open("/proc/self/status", unix.O_RDONLY, 0))
	defer unix.Close(status)
	set := []unix.PollFd{
		{Fd: int32(fd), Events: unix.POLLIN},
		{Fd: int32(p[0]), Events: unix.POLLIN},
		{Fd: int32(p[1]), Events: unix.POLLOUT | unix.POLLIN},
		{Fd: -1, Events: unix.POLLIN},
		{Fd: 999, Events: unix.POLLIN},
		{Fd: int32(status), Events: unix.POLLIN | unix.POLLOUT},
	}
	n, err = poll(set, 0)
	guestcheck.Check("poll: a pipe's write end, a closed fd (POLLNVAL), a /proc file, a negative fd ignored",
		n == 3 && err == nil && set[0].Revents == 0 && set[1].Revents == 0 && set[2].Revents == unix.POLLOUT &&
			set[3].Revents == 0 && set[4].Revents == unix.POLLNVAL && set[5].Revents == unix.POLLIN|unix.POLLOUT,
		"%d %+v %v", n, set, err)
	unix.Write(p[1], []byte("x"))
	guestcheck.Must("settime", unix.TimerfdSettime(fd, unix.TFD_TIMER_ABSTIME, spec(0, 1), nil))
	n, _ = poll(set[:2], 0)
	guestcheck.Check("poll: both ready", n == 2 && set[0].Revents == unix.POLLIN && set[1].Revents == unix.POLLIN, "%d %+v", n, set[:2])
	readCount(fd)

	ts := unix.NsecToTimespec(5 * time.Second.Nanoseconds())
	guestcheck.Must("settime", unix.TimerfdSettime(fd, 0, spec(0, 30*ms), nil))
	fds[0].Events = unix.POLLIN
	n, err = ppoll(fds, &ts, nil)
	guestcheck.Check("ppoll: waits for the expiry; the time left is written back",
		n == 1 && err == nil && ts.Nano() > 0 && ts.Nano() < 5*time.Second.Nanoseconds(), "%d %v %+v", n, err, ts)
	readCount(fd)
	bad := unix.Timespec{Nsec: 1e9}
	_, err = ppoll(fds, &bad, nil)
	guestcheck.Expect("ppoll: nsec 1e9: EINVAL", err, unix.EINVAL)
	_, _, e := unix.Syscall(unix.SYS_POLL, 8, 1, 0)
	guestcheck.Expect("poll: a bad address: EFAULT", errnoOf(e), unix.EFAULT)

	// A poller on another thread, woken by a timer set after it slept.
	got := make(chan string)
	go func() {
		runtime.LockOSThread()
		f := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		start := mono()
		n, err := poll(f, 20000)
		slow := ""
		if d := mono() - start; d > 10*time.Second.Nanoseconds() {
			slow = fmt.Sprintf(" after %v", time.Duration(d)) // the timeout, not the timer, ended it
		}
		got <- fmt.Sprintf("%d %#x %v%s", n, f[0].Revents, err, slow)
	}()
	time.Sleep(30 * time.Millisecond)
	guestcheck.Must("settime", unix.TimerfdSettime(fd, 0, spec(0, 20*ms), nil))
	s := <-got
	guestcheck.Check("poll on another thread wakes for the timer set after it slept", s == "1 0x1 <nil>", "%s", s)
	readCount(fd)
}

// testSelect checks select and pselect6 on timerfds.
func testSelect() {
	fd := create(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK)
	defer unix.Close(fd)
	var r unix.FdSet
	r.Set(fd)
	tv := unix.Timeval{}
	n, err := sel(fd+1, &r, nil, nil, &tv)
	guestcheck.Check("select: a disarmed timerfd, no wait: 0, the set cleared", n == 0 && err == nil && !r.IsSet(fd), "%d %v", n, err)
	guestcheck.Must("settime", unix.TimerfdSettime(fd, 0, spec(0, 30*ms), nil))
	r.Set(fd)
	var w unix.FdSet
	w.Set(fd)
	tv = unix.NsecToTimeval(5 * time.Second.Nanoseconds())
	start := mono()
	n, err = rawSelect(fd+1, &r, &w, &tv)
	took := mono() - start
	guestcheck.Check("select: waits for the expiry: readable, not writable, the time left written back",
		n == 1 && err == nil && r.IsSet(fd) && !w.IsSet(fd) && took >= 29*ms && tv.Nano() > 0 && tv.Nano() < 5*time.Second.Nanoseconds(),
		"%d %v r %v w %v after %v, tv %+v", n, err, r.IsSet(fd), w.IsSet(fd), time.Duration(took), tv)
	readCount(fd)
	var b unix.FdSet
	b.Set(60) // closed; below 64, the smallest descriptor table Linux has
	tv = unix.Timeval{}
	_, err = sel(61, &b, nil, nil, &tv)
	guestcheck.Expect("select: a closed descriptor in a set: EBADF", err, unix.EBADF)
	_, err = sel(-1, nil, nil, nil, &tv)
	guestcheck.Expect("select: nfds -1: EINVAL", err, unix.EINVAL)
	// select(2) itself (golang.org/x/sys/unix's Select is pselect6 on
	// some versions): whole seconds in usec count as seconds.
	tv = unix.Timeval{Usec: -1}
	_, err = rawSelect(0, nil, nil, &tv)
	guestcheck.Expect("select: usec -1: EINVAL", err, unix.EINVAL)
	tv = unix.Timeval{Sec: 1, Usec: -1e6}
	n, err = rawSelect(0, nil, nil, &tv)
	guestcheck.Check("select: sec 1, usec -1e6: no wait", n == 0 && err == nil, "%d %v", n, err)
	tv = unix.Timeval{Sec: -1, Usec: 1_020_000}
	start = mono()
	n, err = rawSelect(0, nil, nil, &tv)
	took = mono() - start
	guestcheck.Check("select: sec -1, usec 1,020,000: a 20ms sleep", n == 0 && err == nil && took >= 19*ms && took < 900*ms, "%d %v after %v", n, err, time.Duration(took))
	ts0 := unix.Timespec{Nsec: 1e9}
	_, err = rawPselect(0, nil, &ts0)
	guestcheck.Expect("pselect6: nsec 1e9: EINVAL", err, unix.EINVAL)
	tv = unix.Timeval{Usec: 20000}
	start = mono()
	n, err = rawSelect(0, nil, nil, &tv)
	took = mono() - start
	guestcheck.Check("select: no sets, a 20ms sleep", n == 0 && err == nil && took >= 19*ms && tv.Usec == 0 && tv.Sec == 0, "%d %v after %v, tv %+v", n, err, time.Duration(took), tv)

	guestcheck.Must("settime", unix.TimerfdSettime(fd, 0, spec(0, 30*ms), nil))
	r.Zero()
	r.Set(fd)
	ts := unix.NsecToTimespec(5 * time.Second.Nanoseconds())
	n, err = rawPselect(fd+1, &r, &ts)
	guestcheck.Check("pselect6: waits for the expiry", n == 1 && err == nil && r.IsSet(fd) && ts.Nano() > 0 && ts.Nano() < 5*time.Second.Nanoseconds(), "%d %v %+v", n, err, ts)
	readCount(fd)
}

// testNestedEpoll checks that an epoll instance is pollable: poll and an
// outer epoll see it readable while it has an event (a timerfd's expiry
// wakes a poll on it), and nesting ends in ELOOP where Linux's does (a
// loop, or a chain of more than four links).
func testNestedEpoll() {
	fd := create(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK)
	defer unix.Close(fd)
	in := guestcheck.Value(unix.EpollCreate1(0))
	defer unix.Close(in)
	guestcheck.Must("epoll_ctl", unix.EpollCtl(in, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN}))
	fds := []unix.PollFd{{Fd: int32(in), Events: unix.POLLIN | unix.POLLOUT}}
	n, err := poll(fds, 0)
	guestcheck.Check("poll: an epoll instance with nothing ready: 0", n == 0 && err == nil && fds[0].Revents == 0, "%d %+v %v", n, fds, err)
	guestcheck.Must("settime", unix.TimerfdSettime(fd, 0, spec(0, 30*ms), nil))
	start := mono()
	n, err = poll(fds, 5000)
	took := mono() - start
	guestcheck.Check("poll: an epoll instance holding a timerfd wakes at its expiry: POLLIN",
		n == 1 && err == nil && fds[0].Revents == unix.POLLIN && took >= 29*ms && took < 4*time.Second.Nanoseconds(), "%d %+v %v after %v", n, fds, err, time.Duration(took))
	out := guestcheck.Value(unix.EpollCreate1(0))
	defer unix.Close(out)
	guestcheck.Expect("epoll_ctl: an instance into another", unix.EpollCtl(out, unix.EPOLL_CTL_ADD, in, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(in)}), nil)
	evs := make([]unix.EpollEvent, 4)
	n, err = epollWait(out, evs, 0)
	guestcheck.Check("epoll_wait: the inner instance is readable", n == 1 && err == nil && evs[0].Fd == int32(in) && evs[0].Events == unix.EPOLLIN, "%d %v %+v", n, err, evs[:max(n, 0)])
	readCount(fd)
	n, err = epollWait(out, evs, 0)
	guestcheck.Check("epoll_wait: ... and not once its timerfd is read", n == 0 && err == nil, "%d %v", n, err)
	guestcheck.Expect("epoll_ctl: a loop: ELOOP", unix.EpollCtl(in, unix.EPOLL_CTL_ADD, out, &unix.EpollEvent{Events: unix.EPOLLIN}), unix.ELOOP)
	d := guestcheck.Value(unix.Dup(in))
	defer unix.Close(d)
	guestcheck.Expect("epoll_ctl: an instance into itself through a dup: EINVAL", unix.EpollCtl(in, unix.EPOLL_CTL_ADD, d, &unix.EpollEvent{Events: unix.EPOLLIN}), unix.EINVAL)
	chain := []int{in, out}
	var errs []error
	for i := 0; i < 4; i++ {
		e := guestcheck.Value(unix.EpollCreate1(0))
		defer unix.Close(e)
		errs = append(errs, unix.EpollCtl(e, unix.EPOLL_CTL_ADD, chain[len(chain)-1], &unix.EpollEvent{Events: unix.EPOLLIN}))
		chain = append(chain, e)
	}
	guestcheck.Check("epoll_ctl: a chain of four links, a fifth ELOOP", errs[0] == nil && errs[1] == nil && errs[2] == nil && errs[3] == unix.ELOOP, "%v", errs)
}

// testPollMasks checks the events poll reports for files other than
// timerfds, as Linux's poll operations answer: a pipe's ends once the
// other end is gone, and the default mask of files without a poll
// operation of their own (/dev/null, /proc files) with POLLRDNORM and
// POLLWRNORM.
func testPollMasks() {
	const pollRdnorm, pollWrnorm = 0x40, 0x100 // not in golang.org/x/sys/unix
	const all = unix.POLLIN | unix.POLLOUT | pollRdnorm | pollWrnorm | unix.POLLPRI
	var p [2]int
	guestcheck.Must("pipe2", unix.Pipe2(p[:], unix.O_NONBLOCK))
	unix.Close(p[1])
	fds := []unix.PollFd{{Fd: int32(p[0]), Events: all}}
	n, err := poll(fds, 0)
	guestcheck.Check("poll: a pipe's read end, no writer, no bytes: POLLHUP alone", n == 1 && err == nil && fds[0].Revents == unix.POLLHUP, "%d %v %#x", n, err, fds[0].Revents)
	unix.Close(p[0])
	guestcheck.Must("pipe2", unix.Pipe2(p[:], unix.O_NONBLOCK))
	unix.Write(p[1], []byte("x"))
	unix.Close(p[1])
	fds[0].Fd = int32(p[0])
	n, err = poll(fds, 0)
	guestcheck.Check("poll: ... with a byte left: POLLIN|POLLRDNORM|POLLHUP", n == 1 && err == nil && fds[0].Revents == unix.POLLIN|pollRdnorm|unix.POLLHUP, "%d %v %#x", n, err, fds[0].Revents)
	unix.Close(p[0])
	guestcheck.Must("pipe2", unix.Pipe2(p[:], unix.O_NONBLOCK))
	unix.Close(p[0])
	fds[0] = unix.PollFd{Fd: int32(p[1]), Events: unix.POLLOUT}
	n, err = poll(fds, 0)
	guestcheck.Check("poll: a pipe's write end, no reader, room: POLLOUT|POLLERR", n == 1 && err == nil && fds[0].Revents == unix.POLLOUT|unix.POLLERR, "%d %v %#x", n, err, fds[0].Revents)
	unix.Close(p[1])
	guestcheck.Must("pipe2", unix.Pipe2(p[:], unix.O_NONBLOCK))
	chunk := make([]byte, 4096)
	for {
		if _, err := unix.Write(p[1], chunk); err != nil {
			break
		}
	}
	unix.Close(p[0])
	fds[0].Fd = int32(p[1])
	n, err = poll(fds, 0)
	guestcheck.Check("poll: ... full, no reader: POLLERR alone", n == 1 && err == nil && fds[0].Revents == unix.POLLERR, "%d %v %#x", n, err, fds[0].Revents)
	unix.Close(p[1])

	sp := guestcheck.Value(unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0))
	unix.Write(sp[1], []byte("x"))
	fds[0] = unix.PollFd{Fd: int32(sp[0]), Events: unix.POLLIN | unix.POLLOUT | pollRdnorm | pollWrnorm}
	n, err = poll(fds, 0)
	guestcheck.Check("poll: a unix stream socket with a byte: POLLIN|POLLOUT|POLLRDNORM|POLLWRNORM",
		n == 1 && err == nil && fds[0].Revents == unix.POLLIN|unix.POLLOUT|pollRdnorm|pollWrnorm, "%d %v %#x", n, err, fds[0].Revents)
	unix.Close(sp[0])
	unix.Close(sp[1])
	ino := guestcheck.Value(unix.InotifyInit1(unix.IN_NONBLOCK))
	dir := guestcheck.Value(os.MkdirTemp("", "pollmask"))
	defer os.RemoveAll(dir)
	guestcheck.Value(unix.InotifyAddWatch(ino, dir, unix.IN_CREATE))
	guestcheck.Must("create", os.WriteFile(dir+"/f", nil, 0o600))
	fds[0] = unix.PollFd{Fd: int32(ino), Events: all}
	n, err = poll(fds, 0)
	guestcheck.Check("poll: inotify with an event: POLLIN|POLLRDNORM", n == 1 && err == nil && fds[0].Revents == unix.POLLIN|pollRdnorm, "%d %v %#x", n, err, fds[0].Revents)
	ep := guestcheck.Value(unix.EpollCreate1(0))
	guestcheck.Must("epoll_ctl", unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, ino, &unix.EpollEvent{Events: unix.EPOLLIN}))
	fds[0] = unix.PollFd{Fd: int32(ep), Events: all}
	n, err = poll(fds, 0)
	guestcheck.Check("poll: an epoll instance with an event: POLLIN|POLLRDNORM", n == 1 && err == nil && fds[0].Revents == unix.POLLIN|pollRdnorm, "%d %v %#x", n, err, fds[0].Revents)
	unix.Close(ep)
	unix.Close(ino)

	for _, name := range []string{"/dev/null", "/dev/zero", "/dev/urandom", "/proc/self/status"} {
		fd, err := unix.Open(name, unix.O_RDONLY, 0)
		if err != nil {
			guestcheck.Check("open "+name, false, "%v", err)
			continue
		}
		fds[0] = unix.PollFd{Fd: int32(fd), Events: all}
		n, err = poll(fds, 0)
		want := int16(unix.POLLIN | unix.POLLOUT | pollRdnorm | pollWrnorm)
		guestcheck.Check("poll: "+name+": POLLIN|POLLOUT|POLLRDNORM|POLLWRNORM", n == 1 && err == nil && fds[0].Revents == want, "%d %v %#x", n, err, fds[0].Revents)
		unix.Close(fd)
	}
}

// rawSelect is select(2) itself: golang.org/x/sys/unix's Select passes a
// copy of the timeout, and the time left Linux writes back is checked.
func rawSelect(nfd int, r, w *unix.FdSet, tv *unix.Timeval) (int, error) {
	for {
		n, _, e := unix.Syscall6(unix.SYS_SELECT, uintptr(nfd), uintptr(unsafe.Pointer(r)), uintptr(unsafe.Pointer(w)), 0, uintptr(unsafe.Pointer(tv)), 0)
		if e != unix.EINTR {
			return int(n), errnoOf(e)
		}
	}
}

// rawPselect is pselect6(2) without a signal mask, likewise.
func rawPselect(nfd int, r *unix.FdSet, ts *unix.Timespec) (int, error) {
	for {
		n, _, e := unix.Syscall6(unix.SYS_PSELECT6, uintptr(nfd), uintptr(unsafe.Pointer(r)), 0, 0, uintptr(unsafe.Pointer(ts)), 0)
		if e != unix.EINTR {
			return int(n), errnoOf(e)
		}
	}
}

// The waits below go on after EINTR, as a program must: the Go runtime's
// signals (its preemption's SIGURG) end a wait early, natively and in the
// guest alike, and the checks measure the whole wait from their own
// start. ppoll, select and pselect6 carry the time left in their
// argument; poll and epoll_wait start their timeout again.

func epollWait(ep int, ev []unix.EpollEvent, ms int) (int, error) {
	for {
		n, err := unix.EpollWait(ep, ev, ms)
		if err != unix.EINTR {
			return n, err
		}
	}
}

func poll(fds []unix.PollFd, ms int) (int, error) {
	for {
		n, err := unix.Poll(fds, ms)
		if err != unix.EINTR {
			return n, err
		}
	}
}

func ppoll(fds []unix.PollFd, ts *unix.Timespec, sig *unix.Sigset_t) (int, error) {
	for {
		n, err := unix.Ppoll(fds, ts, sig)
		if err != unix.EINTR {
			return n, err
		}
	}
}

func sel(nfd int, r, w, e *unix.FdSet, tv *unix.Timeval) (int, error) {
	for {
		n, err := unix.Select(nfd, r, w, e, tv)
		if err != unix.EINTR {
			return n, err
		}
	}
}
