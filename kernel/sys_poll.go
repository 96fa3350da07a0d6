package kernel

import (
	"sync/atomic"
	"unsafe"

	"github.com/gotoro/gotoro/kernel/ktime"
)

// poll, ppoll, select and pselect6: the descriptors' readiness (their
// kind's readiness, as epoll sees it) looked at in one scan, and a sleep
// until any readiness changes (epollSleep: every kind's change calls
// epollNotify), a signal, the timeout or the next expiry of a polled
// timerfd (timerDeadline). A regular file, directory or device without
// readiness of its own is always ready (Linux's DEFAULT_POLLMASK). The
// signal masks of ppoll and pselect6 are the thread's for the wait
// (sigmask_wait.go). A signal ends the wait with EINTR, as on Linux once
// a handler ran. ppoll, select and pselect6
// write the time left back, as Linux does.

const (
	pollIn    = 0x001
	pollPri   = 0x002
	pollOut   = 0x004
	pollErr   = 0x008
	pollHup   = 0x010
	pollNval  = 0x020
	pollRdnrm = 0x040
	pollWrnrm = 0x100

	// pollDefault is what a file without readiness of its own answers.
	pollDefault = pollIn | pollOut | pollRdnrm | pollWrnrm

	// The events select counts as readable, writable and exceptional.
	selectIn  = pollIn | pollRdnrm | pollHup | pollErr
	selectOut = pollOut | pollWrnrm | pollErr
	selectEx  = pollPri
)

// pollReady returns the events file f is ready for, and lowers deadline
// (0: none) to f's next timer expiry if it is a timerfd.
func pollReady(f *file, deadline *int64) uint32 {
	r := f.ops().readiness(f)
	if r == 0 && f.is(kindSeekable) {
		r = pollDefault
	}
	if pollNormBits(f.kind) {
		if r&pollIn != 0 {
			r |= pollRdnrm
		}
		if r&pollOut != 0 {
			r |= pollWrnrm
		}
	}
	if f.kind == fkTimerfd || f.kind == fkEpoll {
		*deadline = timerfdDeadline(f, *deadline)
	}
	return r
}

// pollNormBits reports whether Linux's poll operation of kind k answers
// POLLRDNORM with POLLIN and POLLWRNORM with POLLOUT: sockets, the
// terminal, inotify and epoll do (pipes and FIFOs say so themselves;
// eventfd and timerfd do not, on Linux either).
func pollNormBits(k fileKind) bool {
	switch k {
	case fkSocket, fkUnix, fkVsock, fkConsole, fkInotify, fkEpoll:
		return true
	}
	return false
}

// pollWait runs scan until it finds something (n > 0), the deadline (0:
// none) passes, or a signal comes: scan returns how many descriptors are
// ready (or -errno) and the earliest timer expiry among them (0: none).
// once: do not sleep at all. (Results, not a pointer: a pointer passed
// to a function value would move the caller's variable to the heap.)
func pollWait(deadline int64, once bool, scan func() (n, timers int64)) int64 {
	for {
		seq := atomic.LoadUint64(&epollSeq)
		vsockPoll()
		n, timers := scan()
		if n != 0 {
			return n
		}
		if signalDeliverable() {
			// Before the timeout, as Linux's do_poll and do_select:
			// even a zero timeout says EINTR (a ppoll mask may have
			// unblocked a pending signal).
			return -EINTR
		}
		if once || deadline != 0 && ktime.Now() >= deadline {
			return 0
		}
		sleep := deadline
		if timers != 0 && (sleep == 0 || timers < sleep) {
			sleep = timers
		}
		if epollSleep(seq, netPolledDeadline(sleep)) == wakeSignal {
			return -EINTR
		}
	}
}

func sysPoll(fds, nfds, timeout, _, _, _ uintptr) int64 {
	ms := int64(int32(timeout))
	deadline := int64(0)
	if ms > 0 {
		deadline = ktime.Now() + ms*1e6
	}
	return pollFDs(fds, nfds, deadline, ms == 0)
}

func sysPpoll(fds, nfds, tsp, sigmask, sigsize, _ uintptr) int64 {
	deadline, once, e := readTimeout(tsp)
	if e != 0 {
		return e
	}
	if e := waitMaskSet(sigmask, sigsize); e != 0 {
		return e
	}
	r := waitMaskDone(pollFDs(fds, nfds, deadline, once))
	return timeLeft(tsp, deadline, false, r)
}

// readTimeout reads the timespec at p (NULL: wait without limit) as a
// deadline; once is set for a zero timeout.
func readTimeout(p uintptr) (deadline int64, once bool, e int64) {
	if p == 0 {
		return 0, false, 0
	}
	ns, e := readTimespec(p)
	if e != 0 {
		return 0, false, e
	}
	if ns == 0 {
		return 0, true, 0
	}
	return ktime.Now() + ns, false, 0
}

// timeLeft writes the time left until deadline back to the user's
// timespec (or timeval) at p, as Linux does for ppoll, select and
// pselect6, and returns r; a write to a bad address turns a success
// into EFAULT only where Linux does (never: it ignores it).
func timeLeft(p uintptr, deadline int64, tv bool, r int64) int64 {
	if p == 0 || deadline == 0 {
		return r
	}
	left := max(deadline-ktime.Now(), 0)
	if b, ok := userBytes(p, 16, true); ok {
		if tv {
			*(*timeval)(unsafe.Pointer(&b[0])) = timeval{left / 1e9, left % 1e9 / 1e3}
		} else {
			*(*timespec)(unsafe.Pointer(&b[0])) = timespec{left / 1e9, left % 1e9}
		}
	}
	return r
}

// pollFDs is poll on the user's nfds pollfd entries at fds.
func pollFDs(fds, nfds uintptr, deadline int64, once bool) int64 {
	if nfds > maxFDs {
		return -EINVAL
	}
	if _, ok := userBytes(fds, nfds*8, true); !ok && nfds > 0 {
		return -EFAULT
	}
	return pollWait(deadline, once, func() (int64, int64) {
		// Looked up again at each scan: the memory may have gone while
		// the call slept.
		b, ok := userBytes(fds, nfds*8, true)
		if !ok && nfds > 0 {
			return -EFAULT, 0
		}
		n, timers := int64(0), int64(0)
		for i := uintptr(0); i < nfds; i++ {
			e := b[i*8:]
			fd := *(*int32)(unsafe.Pointer(&e[0]))
			events := uint32(*(*uint16)(unsafe.Pointer(&e[4])))
			var rev uint32
			if fd >= 0 {
				if _, f := fdGet(uintptr(fd)); f == nil {
					rev = pollNval
				} else {
					rev = pollReady(f, &timers) & (events | pollErr | pollHup)
				}
			}
			*(*uint16)(unsafe.Pointer(&e[6])) = uint16(rev)
			if rev != 0 {
				n++
			}
		}
		return n, timers
	})
}

// fdSets are the three descriptor sets of select, in kernel memory.
type fdSets [3][maxFDs / 64]uint64

func sysSelect(nfds, rp, wp, ep, tvp, _ uintptr) int64 {
	deadline, once := int64(0), false
	if tvp != 0 {
		b, ok := userBytes(tvp, 16, false)
		if !ok {
			return -EFAULT
		}
		ns, e := selectTimeoutNs(*(*timeval)(unsafe.Pointer(&b[0])))
		if e != 0 {
			return e
		}
		once = ns == 0
		if !once {
			deadline = ktime.Now() + ns
		}
	}
	r := selectFDs(int64(int32(nfds)), [3]uintptr{rp, wp, ep}, deadline, once)
	return timeLeft(tvp, deadline, true, r)
}

// selectTimeoutNs returns select's timeout tv in ns. As Linux does, the
// whole seconds in usec move to sec first (usec 1,500,000 is 1.5 s, and
// sec 1 with usec -1,000,000 is no wait); what is then negative is
// EINVAL.
func selectTimeoutNs(tv timeval) (int64, int64) {
	return timespecNs(timespec{tv.sec + tv.usec/1e6, tv.usec % 1e6 * 1e3})
}

func sysPselect6(nfds, rp, wp, ep, tsp, sig uintptr) int64 {
	deadline, once, e := readTimeout(tsp)
	if e != 0 {
		return e
	}
	if sig != 0 {
		// {const sigset_t *ss; size_t ss_len}
		b, ok := userBytes(sig, 16, false)
		if !ok {
			return -EFAULT
		}
		d := *(*[2]uintptr)(unsafe.Pointer(&b[0]))
		if e := waitMaskSet(d[0], d[1]); e != 0 {
			return e
		}
	}
	r := waitMaskDone(selectFDs(int64(int32(nfds)), [3]uintptr{rp, wp, ep}, deadline, once))
	return timeLeft(tsp, deadline, false, r)
}

// selectFDs is select on the user's three fd_sets (any may be NULL) of
// nfds descriptors.
func selectFDs(nfds int64, sets [3]uintptr, deadline int64, once bool) int64 {
	if nfds < 0 {
		return -EINVAL
	}
	nfds = min(nfds, maxFDs)
	words := uintptr(nfds+63) / 64
	var in fdSets
	for k, p := range sets {
		if p == 0 || words == 0 {
			continue
		}
		b, ok := userBytes(p, words*8, false)
		if !ok {
			return -EFAULT
		}
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&in[k][0])), words*8), b)
	}
	// Every descriptor named must be open.
	for fd := int64(0); fd < nfds; fd++ {
		if (in[0][fd/64]|in[1][fd/64]|in[2][fd/64])&(1<<(fd%64)) != 0 {
			if _, f := fdGet(uintptr(fd)); f == nil {
				return -EBADF
			}
		}
	}
	var out fdSets
	r := pollWait(deadline, once, func() (int64, int64) {
		out = fdSets{}
		n, timers := int64(0), int64(0)
		for fd := int64(0); fd < nfds; fd++ {
			w, bit := fd/64, uint64(1)<<(fd%64)
			if (in[0][w]|in[1][w]|in[2][w])&bit == 0 {
				continue
			}
			_, f := fdGet(uintptr(fd))
			if f == nil {
				return -EBADF, 0 // closed while the call slept
			}
			rev := pollReady(f, &timers)
			for k, want := range [3]uint32{selectIn, selectOut, selectEx} {
				if in[k][w]&bit != 0 && rev&want != 0 {
					out[k][w] |= bit
					n++
				}
			}
		}
		return n, timers
	})
	if r < 0 {
		return r
	}
	for k, p := range sets {
		if p == 0 || words == 0 {
			continue
		}
		b, ok := userBytes(p, words*8, true)
		if !ok {
			return -EFAULT
		}
		copy(b, unsafe.Slice((*byte)(unsafe.Pointer(&out[k][0])), words*8))
	}
	return r
}
