package kernel

import (
	"unsafe"

	"github.com/gotoro/gotoro/kernel/ktime"
)

// timerfd: a timer read through a descriptor (timerfd_create,
// timerfd_settime, timerfd_gettime). The timer is kept as a deadline in
// its clock's time, and its expirations are counted when someone looks
// (read, epoll, gettime), from the clock: n expirations of an interval
// timer are one division, never n wake-ups, so an interval of 1 ns costs
// what any other does and its overruns are counted as Linux counts them.
// Nothing runs when a timer expires: whoever waits for it sleeps with the
// next expiry as its own deadline (a reader in read, an epoll_wait through
// timerfdEpollDeadline), on its own core, where the scheduler's timer
// wakes it (sched.go: checkTimers, armTimer) — a timer set on one core
// for a reader on another needs no cross-core timer. A change (settime,
// close of the last reference is not one: a reader holds its own) wakes
// the waiters through fileChanged, whose wake-up of a thread on another
// core is the scheduler's inbox and IPI.
//
// Everything here runs under the big kernel lock.

// Flags of timerfd_create and timerfd_settime.
const (
	tfdNonblock       = oNonblock
	tfdCloexec        = oCloexec
	tfdTimerAbstime   = 1
	tfdTimerCancelSet = 2
)

// Clocks a timerfd may use beyond those clockNow knows (sys_misc.go).
const (
	clockRealtimeAlarm = 8
	clockBoottimeAlarm = 9
)

// timerState is one timerfd's timer.
type timerState struct {
	clock    int32 // clockRealtime, clockMonotonic or clockBoottime
	armed    bool  // next is a coming expiry
	cancel   bool  // TFD_TIMER_CANCEL_ON_SET: epoch is the wall clock's offset when set
	canceled bool  // the wall clock was set since: reads fail with ECANCELED
	next     int64 // the next expiry, in the clock's time
	interval int64 // ns; 0 for a one-shot timer
	epoch    int64
	ticks    uint64 // expirations not yet read
	// fired counts the expiries that woke epoll, edge-triggered epoll's
	// generation. As on Linux, where an interval timer's hrtimer is
	// restarted only by a read or gettime, an expiry while expired is
	// set (one not yet read) counts in ticks but is no new edge.
	fired   uint64
	expired bool
}

// timers[i] is the timer of description i when it is a timerfd.
var timers [maxFiles]timerState

// timerOf returns the timer of timerfd f.
func timerOf(f *file) *timerState { return &timers[efdIndex(f)] }

// timerNow reads clock clk.
func timerNow(clk int32) int64 {
	if clk == clockRealtime {
		return ktime.EpochNs() + ktime.Now()
	}
	return ktime.Now()
}

// satAdd is a+b for non-negative a and b, saturated at the largest int64.
func satAdd(a, b int64) int64 {
	if a > 1<<63-1-b {
		return 1<<63 - 1
	}
	return a + b
}

// update counts the expirations up to now: an interval timer moves its
// next expiry past now (the skipped ones count, as overruns do on Linux),
// a one-shot timer disarms.
func (s *timerState) update() {
	if s.cancel && !s.canceled && ktime.EpochNs() != s.epoch {
		s.canceled = true // the wall clock was set (SetWallClock)
	}
	if s.armed {
		s.advance(timerNow(s.clock))
	}
}

// advance counts the expirations of an armed timer up to now (update).
func (s *timerState) advance(now int64) {
	if !s.armed || now < s.next {
		return
	}
	n := uint64(1)
	if s.interval > 0 {
		n += uint64((now - s.next) / s.interval)
		step := s.interval * int64(n)
		if step/int64(n) != s.interval {
			step = 1<<63 - 1
		}
		s.next = satAdd(s.next, step)
	} else {
		s.armed = false
	}
	s.ticks += n
	if !s.expired {
		s.fired++
		s.expired = true
	}
}

// monoDeadline returns the next expiry as a scheduler deadline (ns since
// boot), at most timerSleepMax ahead, or 0 when the timer is not armed.
func (s *timerState) monoDeadline() int64 {
	if !s.armed {
		return 0
	}
	d := s.next
	if s.clock == clockRealtime {
		d -= ktime.EpochNs()
	}
	now := ktime.Now()
	if d-now > timerSleepMax {
		d = now + timerSleepMax // wake, look again, sleep on
	}
	return max(d, 1)
}

// timerSleepMax bounds one sleep until an expiry, so that a deadline far
// ahead never overflows the local timer's programming.
const timerSleepMax = 1 << 50 // ~13 days

// itimerspec is struct itimerspec: the interval, then the value.
type itimerspec struct {
	interval, value timespec
}

// current returns what timerfd_gettime reports: the time to the next
// expiry (0 when disarmed) and the interval.
func (s *timerState) current() itimerspec {
	s.update()
	if s.interval > 0 {
		s.expired = false // Linux restarts the timer: its next expiry is an edge
	}
	var left int64
	if s.armed {
		left = max(s.next-timerNow(s.clock), 1)
	}
	return itimerspec{
		interval: timespec{s.interval / 1e9, s.interval % 1e9},
		value:    timespec{left / 1e9, left % 1e9},
	}
}

func sysTimerfdCreate(clk, flags, _, _, _, _ uintptr) int64 {
	return timerfdCreate(int32(clk), uint32(flags))
}

// timerfdCreate makes a timerfd on clock clk. The alarm clocks are their
// plain clocks here: they need CAP_WAKE_ALARM, which the program (root)
// has, and there is no suspend for them to wake the machine from.
func timerfdCreate(clk int32, flags uint32) int64 {
	if int32(flags)&^(tfdNonblock|tfdCloexec) != 0 {
		return -EINVAL
	}
	switch clk {
	case clockRealtime, clockMonotonic, clockBoottime:
	case clockRealtimeAlarm:
		clk = clockRealtime
	case clockBoottimeAlarm:
		clk = clockBoottime
	default:
		return -EINVAL
	}
	fd, f := newFD(fkTimerfd, oRdwr|flags)
	if f != nil {
		timers[efdIndex(f)] = timerState{clock: clk}
	}
	return fd
}

// timerfdGet returns the timerfd behind fd, or the errno: EBADF for no
// descriptor, EINVAL for another kind.
func timerfdGet(fd uintptr) (*file, int64) {
	_, f := fdGet(fd)
	if f == nil {
		return nil, -EBADF
	}
	if f.kind != fkTimerfd {
		return nil, -EINVAL
	}
	return f, 0
}

// readItimerspec reads the user's itimerspec at p as ns: EFAULT for a bad
// pointer, EINVAL for a negative or unnormalised field.
func readItimerspec(p uintptr) (interval, value int64, e int64) {
	b, ok := userBytes(p, 32, false)
	if !ok {
		return 0, 0, -EFAULT
	}
	its := *(*itimerspec)(unsafe.Pointer(&b[0]))
	if interval, e = timespecNs(its.interval); e != 0 {
		return 0, 0, e
	}
	value, e = timespecNs(its.value)
	return interval, value, e
}

// writeItimerspec stores its at the user's p.
func writeItimerspec(p uintptr, its itimerspec) int64 {
	b, ok := userBytes(p, 32, true)
	if !ok {
		return -EFAULT
	}
	*(*itimerspec)(unsafe.Pointer(&b[0])) = its
	return 0
}

// sysTimerfdSettime arms (value > 0) or disarms (value 0) the timer,
// relative to now or, with TFD_TIMER_ABSTIME, at a time of its clock; an
// expiry already past counts at once. Linux's order of errors: the new
// value's address, the flags, the values, the descriptor; the old value
// is stored last (a bad address for it fails after the timer is set).
func sysTimerfdSettime(fd, flags, newp, oldp, _, _ uintptr) int64 {
	interval, value, e := readItimerspec(newp)
	if e == -EFAULT {
		return e
	}
	if int64(flags)&^(tfdTimerAbstime|tfdTimerCancelSet) != 0 {
		return -EINVAL
	}
	if e != 0 {
		return e
	}
	f, e := timerfdGet(fd)
	if e != 0 {
		return e
	}
	s := timerOf(f)
	old := s.current()
	s.ticks, s.canceled, s.expired, s.armed = 0, false, false, value > 0
	s.interval = interval
	s.cancel = s.clock == clockRealtime && flags&tfdTimerAbstime != 0 && flags&tfdTimerCancelSet != 0
	s.epoch = ktime.EpochNs()
	if flags&tfdTimerAbstime != 0 {
		s.next = value
	} else {
		s.next = satAdd(timerNow(s.clock), value)
	}
	s.update() // an expiry already past
	fileChanged(f)
	if oldp != 0 {
		return writeItimerspec(oldp, old)
	}
	return 0
}

func sysTimerfdGettime(fd, cur, _, _, _, _ uintptr) int64 {
	f, e := timerfdGet(fd)
	if e != 0 {
		return e
	}
	return writeItimerspec(cur, timerOf(f).current())
}

// timerfdEpollDeadline returns the earlier of deadline (0: none) and the
// next expiry of the timerfds epoll instance in watches, so that an
// epoll_wait sleeping on them wakes when one expires.
func timerfdEpollDeadline(in *epollInst, deadline int64) int64 {
	for i := 0; i < in.n; i++ {
		if it := &in.items[i]; !it.off {
			deadline = timerfdDeadline(&files[it.file], deadline)
		}
	}
	return deadline
}

// timerfdDeadline returns the earlier of deadline (0: none) and f's next
// expiry if f is a timerfd, or its timerfds' if f is an epoll instance
// (poll and select, sys_poll.go; nested instances).
func timerfdDeadline(f *file, deadline int64) int64 {
	if f.kind == fkEpoll {
		return timerfdEpollDeadline(&epolls[f.ep], deadline)
	}
	if f.kind != fkTimerfd {
		return deadline
	}
	if d := timerOf(f).monoDeadline(); d != 0 && (deadline == 0 || d < deadline) {
		return d
	}
	return deadline
}
