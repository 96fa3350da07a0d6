package kernel

import (
	"sync/atomic"
	"unsafe"

	"github.com/gotoro/gotoro/kernel/ktime"
)

// epoll, as far as the Go runtime's netpoller uses it: level- and
// edge-triggered and one-shot registrations, and waits with a timeout.
// What a file is ready for is its kind's readiness operation, and its
// kind's gen operation tells an edge-triggered registration whether
// anything changed since it last reported. Regular files cannot be
// registered (EPERM), which makes os.File fall back to blocking I/O as on
// Linux.

const (
	epollIn      = 0x001
	epollOut     = 0x004
	epollErr     = 0x008
	epollHup     = 0x010
	epollRdhup   = 0x2000
	epollOneshot = 1 << 30
	epollET      = 1 << 31

	epollCtlAdd = 1
	epollCtlDel = 2
	epollCtlMod = 3

	maxEpolls     = 16
	maxEpollItems = 256
)

type epollItem struct {
	fd      int32
	file    int32
	events  uint32
	data    uint64
	seenGen uint64
	off     bool // EPOLLONESHOT fired
}

type epollInst struct {
	used  bool
	n     int
	items [maxEpollItems]epollItem
}

var epolls [maxEpolls]epollInst

// fileChanged records a readiness change of f and wakes the threads
// waiting on it or on any epoll instance.
func fileChanged(f *file) {
	f.gen++
	key := uintptr(unsafe.Pointer(f))
	wakeKey(key)
	epollNotify()
}

// epollWaitKey returns the wait key of threads blocked in epoll_wait.
func epollWaitKey() uintptr { return uintptr(unsafe.Pointer(&epolls)) }

// epollSeq counts readiness changes that may concern an epoll waiter
// (epollNotify). Pipes change without the big kernel lock, so a waiter's
// scan and its sleep are no longer one step for them: epoll_wait reads
// the count before it scans and looks again once it is marked blocked
// (epollSleep); a change in between ends the sleep at once.
var epollSeq uint64

// epollWaiters counts the threads in epollSleep, so that a change skips
// the scan of the thread table when nobody is in epoll_wait. A waiter
// adds itself before it reads epollSeq again; epollNotify reads it after
// raising epollSeq: either the waiter sees the new count and scans
// again, or the notifier sees the waiter counted (and marked blocked).
var epollWaiters int32

// epollNotify wakes the threads in epoll_wait after a readiness change
// (made before the call). The count goes up before the waiters are
// looked for: a waiter not yet marked blocked sees the new count.
func epollNotify() {
	atomic.AddUint64(&epollSeq, 1)
	if atomic.LoadInt32(&epollWaiters) != 0 {
		wakeKey(epollWaitKey())
	}
}

// epollSleep blocks the running thread in epoll_wait until epollNotify,
// a signal or deadline; seq is epollSeq as read before the scan that
// found nothing.
func epollSleep(seq uint64, deadline int64) int32 {
	t := curThread()
	atomic.AddInt32(&epollWaiters, 1)
	t.waitAddr = epollWaitKey()
	blockPrepare(deadline)
	if atomic.LoadUint64(&epollSeq) != seq && t.casState(tsBlocked, tsRunning) {
		// Something changed since the scan: scan again.
		t.wakeAt = 0
		t.waitAddr = 0
		atomic.AddInt32(&epollWaiters, -1)
		return wakeEvent
	}
	r := blockCommit()
	t.waitAddr = 0
	atomic.AddInt32(&epollWaiters, -1)
	return r
}

// wakeKey wakes every thread blocked on key (waitOn). It leaves the
// woken thread's waitAddr alone: the thread clears it itself, and a
// waker that does not hold the big kernel lock would otherwise clear the
// key of the thread's next wait.
func wakeKey(key uintptr) {
	high := int(atomic.LoadInt32(&threadHigh))
	for i := 0; i < high; i++ {
		t := &threads[i]
		if t.loadState() == tsBlocked && t.waitAddr == key {
			wake(t, wakeEvent)
		}
	}
}

// blockOnFile waits for a change of f.
func blockOnFile(f *file) int32 { return waitOn(uintptrOf(f), 0) }

func sysEpollCreate1(flags, _, _, _, _, _ uintptr) int64 { return epollCreate(uint32(flags)) }

func sysEpollCreate(size, _, _, _, _, _ uintptr) int64 {
	if int32(size) <= 0 {
		return -EINVAL
	}
	return epollCreate(0)
}

func epollCreate(flags uint32) int64 {
	if flags&^oCloexec != 0 {
		return -EINVAL
	}
	ep := -1
	for i := range epolls {
		if !epolls[i].used {
			ep = i
			break
		}
	}
	if ep < 0 {
		return -EMFILE
	}
	fd, f := newFD(fkEpoll, flags)
	if f == nil {
		return fd
	}
	epolls[ep].used = true
	epolls[ep].n = 0
	f.ep = int32(ep)
	return fd
}

// epollFile is an epoll instance: f.ep indexes epolls. Its readiness
// and nesting are epoll_nested.go's.
type epollFile struct{ fileBase }

func (*epollFile) release(f *file)                     { epolls[f.ep].used = false }
func (*epollFile) stat(f *file, st *statBuf) int64     { return devStat(st, f.kind, 0o600) }
func (*epollFile) statfs(f *file, st *statfsBuf) int64 { return statfsPseudo(st, anonInodeMagic) }

// epollForget drops every registration of description fi (Linux removes
// them when the last descriptor of the description closes).
func epollForget(fi int32) {
	for e := range epolls {
		in := &epolls[e]
		if !in.used {
			continue
		}
		for i := 0; i < in.n; {
			if in.items[i].file == fi {
				in.items[i] = in.items[in.n-1]
				in.n--
				continue
			}
			i++
		}
	}
}

func sysEpollCtl(epfd, op, fd, ev, _, _ uintptr) int64 {
	return epollCtl(epfd, int32(op), fd, ev)
}

func epollCtl(epfd uintptr, op int32, fd, ev uintptr) int64 {
	_, ef := fdGet(epfd)
	if ef == nil {
		return -EBADF
	}
	fi, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	if ef.kind != fkEpoll || epfd == fd {
		return -EINVAL
	}
	if op == epollCtlAdd && f.kind == fkEpoll {
		if e := epollNestCheck(ef.ep, f.ep); e != 0 {
			return e
		}
	}
	var events uint32
	var data uint64
	if op != epollCtlDel {
		b, ok := userBytes(ev, 12, false)
		if !ok {
			return -EFAULT
		}
		events = *(*uint32)(unsafe.Pointer(&b[0]))
		data = *(*uint64)(unsafe.Pointer(&b[4]))
	}
	return epollRegister(&epolls[ef.ep], op, int32(fd), fi, events, data)
}

// epollRegister adds, changes or deletes (op) the registration of
// descriptor fd, whose description is fi, in instance in.
func epollRegister(in *epollInst, op int32, fd int32, fi int32, events uint32, data uint64) int64 {
	f := &files[fi]
	idx := -1
	for i := 0; i < in.n; i++ {
		if in.items[i].fd == fd && in.items[i].file == fi {
			idx = i
			break
		}
	}
	switch op {
	case epollCtlAdd:
		if f.is(kindSeekable) {
			return -EPERM // regular files and directories cannot be polled
		}
		if idx >= 0 {
			return -EEXIST
		}
		if in.n == maxEpollItems {
			return -ENOSPC
		}
		// The generation one behind: an edge-triggered registration
		// reports what is ready now.
		in.items[in.n] = epollItem{fd: fd, file: fi, events: events, data: data, seenGen: f.ops().gen(f) - 1}
		in.n++
	case epollCtlMod:
		if idx < 0 {
			return -ENOENT
		}
		it := &in.items[idx]
		it.events, it.data, it.off, it.seenGen = events, data, false, f.ops().gen(f)-1
	case epollCtlDel:
		if idx < 0 {
			return -ENOENT
		}
		in.items[idx] = in.items[in.n-1]
		in.n--
	default:
		return -EINVAL
	}
	return 0
}

// epollCollect writes ready events into out and returns how many.
func epollCollect(in *epollInst, out []byte) int {
	n := 0
	for i := 0; i < in.n && (n+1)*12 <= len(out); i++ {
		it := &in.items[i]
		if it.off {
			continue
		}
		f := &files[it.file]
		r, g := epollLook(f, it.events)
		if r == 0 {
			continue
		}
		if it.events&epollET != 0 {
			if it.seenGen == g {
				continue
			}
			it.seenGen = g
		}
		if it.events&epollOneshot != 0 {
			it.off = true
		}
		*(*uint32)(unsafe.Pointer(&out[12*n])) = r
		*(*uint64)(unsafe.Pointer(&out[12*n+4])) = it.data
		n++
	}
	return n
}

// epollLook returns the events of f that a registration for events
// reports, and for an edge-triggered one the generation they belong to.
// Files change without the big lock (pipes, sockets: their generation
// goes up under the lock their readiness takes), so the generation is
// read before and after the readiness and the look is repeated when it
// moved: a generation read only after would take a change the readiness
// missed as seen (a socket's output edge lost behind its input, say); one
// read only before would report that change again at the next scan. After
// a few tries the first generation is kept: a second report, never a lost
// one.
func epollLook(f *file, events uint32) (r uint32, g uint64) {
	mask := events | epollErr | epollHup
	if events&epollET == 0 {
		return f.ops().readiness(f) & mask, 0
	}
	for try := 0; ; try++ {
		g = f.ops().gen(f)
		r = f.ops().readiness(f) & mask
		if try == 3 || f.ops().gen(f) == g {
			return r, g
		}
	}
}

// sysEpollWait is epoll_wait (epoll_pwait and epoll_pwait2, with a
// signal mask: epoll_pwait.go).
func sysEpollWait(epfd, evs, maxev, timeout, _, _ uintptr) int64 {
	deadline, once := epollTimeoutMs(int64(int32(timeout)))
	return epollWait(epfd, evs, int32(maxev), deadline, once)
}

// epollTimeoutMs returns epoll_wait's timeout in ms as a deadline (0:
// none) and whether to look once (0 ms).
func epollTimeoutMs(ms int64) (deadline int64, once bool) {
	if ms > 0 {
		return ktime.Now() + ms*1e6, false
	}
	return 0, ms == 0
}

// epollWait collects up to maxev events of epoll instance epfd into the
// user's buffer at evs, waiting until deadline (0: none) unless once.
func epollWait(epfd, evs uintptr, maxev int32, deadline int64, once bool) int64 {
	_, ef := fdGet(epfd)
	if ef == nil {
		return -EBADF
	}
	if ef.kind != fkEpoll || maxev <= 0 {
		return -EINVAL
	}
	out, ok := userBytes(evs, uintptr(maxev)*12, true)
	if !ok {
		return -EFAULT
	}
	in := &epolls[ef.ep]
	for {
		seq := atomic.LoadUint64(&epollSeq)
		vsockPoll() // before collecting: processing packets changes readiness
		if n := epollCollect(in, out); n > 0 || once {
			return int64(n)
		}
		if signalDeliverable() {
			return -EINTR // before the timeout, as Linux's ep_poll
		}
		if deadline != 0 && ktime.Now() >= deadline {
			return 0
		}
		if epollSleep(seq, timerfdEpollDeadline(in, netPolledDeadline(deadline))) == wakeSignal {
			return -EINTR
		}
	}
}
