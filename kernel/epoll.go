package kernel

import (
	"sync/atomic"
	"unsafe"
)

// eventfd and epoll, as far as the Go runtime's netpoller uses them: an
// eventfd to break out of epoll_pwait, edge-triggered registrations, and
// waits with a timeout. Regular files cannot be registered (EPERM), which
// makes os.File fall back to blocking I/O as on Linux.

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

	efdSemaphore = 1

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

func sysEventfd2(initval, flags, _, _, _, _ uintptr) int64 {
	return eventfdCreate(uint64(uint32(initval)), uint32(flags))
}

func sysEventfd(initval, _, _, _, _, _ uintptr) int64 {
	return eventfdCreate(uint64(uint32(initval)), 0)
}

func eventfdCreate(initval uint64, flags uint32) int64 {
	if flags&^(oCloexec|oNonblock|efdSemaphore) != 0 {
		return -EINVAL
	}
	fd, f := newFD(fkEventfd, flags)
	if f != nil {
		f.count = initval
	}
	return fd
}

func eventfdRead(f *file, b []byte) int64 {
	if len(b) < 8 {
		return -EINVAL
	}
	for f.count == 0 {
		if f.flags&oNonblock != 0 {
			return -EAGAIN
		}
		if blockOnFile(f) == wakeSignal {
			return -EINTR
		}
	}
	v := f.count
	if f.flags&efdSemaphore != 0 {
		v = 1
	}
	f.count -= v
	*(*uint64)(unsafe.Pointer(&b[0])) = v
	fileChanged(f)
	return 8
}

func eventfdWrite(f *file, b []byte) int64 {
	if len(b) < 8 {
		return -EINVAL
	}
	v := *(*uint64)(unsafe.Pointer(&b[0]))
	if v == ^uint64(0) {
		return -EINVAL
	}
	for f.count+v < f.count || f.count+v == ^uint64(0) {
		if f.flags&oNonblock != 0 {
			return -EAGAIN
		}
		if blockOnFile(f) == wakeSignal {
			return -EINTR
		}
	}
	f.count += v
	fileChanged(f)
	return 8
}

// readiness returns the epoll events f is ready for.
func readiness(f *file) uint32 {
	switch f.kind {
	case fkEventfd:
		r := uint32(0)
		if f.count > 0 {
			r |= epollIn
		}
		if f.count < ^uint64(0)-1 {
			r |= epollOut
		}
		return r
	case fkNull, fkZero, fkRandom, fkConsole:
		return epollIn | epollOut
	case fkPipeRead, fkPipeWrite:
		return pipeReadiness(f)
	case fkSocket:
		return sockReadiness(f)
	case fkVsock:
		return vsReadiness(f.node)
	case fkNetctl:
		return ncReadiness()
	case fkNetDev:
		return netReadiness()
	}
	return 0
}

// fileChanged records a readiness change of f and wakes the threads
// waiting on it or on any epoll instance.
func fileChanged(f *file) {
	f.gen++
	key := uintptr(unsafe.Pointer(f))
	wakeKey(key)
	wakeKey(epollWaitKey())
}

// epollWaitKey returns the wait key of threads blocked in epoll_wait.
func epollWaitKey() uintptr { return uintptr(unsafe.Pointer(&epolls)) }

func wakeKey(key uintptr) {
	high := int(atomic.LoadInt32(&threadHigh))
	for i := 0; i < high; i++ {
		t := &threads[i]
		if t.loadState() == tsBlocked && t.waitAddr == key && wake(t, wakeEvent) {
			t.waitAddr = 0
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

func epollFree(ep int32) { epolls[ep].used = false }

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
	in := &epolls[ef.ep]
	idx := -1
	for i := 0; i < in.n; i++ {
		if in.items[i].fd == int32(fd) && in.items[i].file == fi {
			idx = i
			break
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
	switch op {
	case epollCtlAdd:
		switch f.kind {
		case fkFile, fkDir, fkStatic, fkTmpFile, fkTmpDir, fkBlock, fkFuseFile, fkFuseDir:
			return -EPERM // regular files and directories cannot be polled
		}
		if idx >= 0 {
			return -EEXIST
		}
		if in.n == maxEpollItems {
			return -ENOSPC
		}
		in.items[in.n] = epollItem{fd: int32(fd), file: fi, events: events, data: data, seenGen: fileGen(f) - 1}
		in.n++
	case epollCtlMod:
		if idx < 0 {
			return -ENOENT
		}
		it := &in.items[idx]
		it.events, it.data, it.off, it.seenGen = events, data, false, fileGen(f)-1
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
		r := readiness(f) & (it.events | epollErr | epollHup)
		if r == 0 {
			continue
		}
		if it.events&epollET != 0 {
			g := fileGen(f)
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

// sysEpollWait is epoll_wait and epoll_pwait (whose signal mask is not
// applied: the runtime passes none).
func sysEpollWait(epfd, evs, maxev, timeout, _, _ uintptr) int64 {
	return epollWait(epfd, evs, int32(maxev), int64(int32(timeout)))
}

func epollWait(epfd, evs uintptr, maxev int32, timeoutMs int64) int64 {
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
	deadline := int64(0)
	if timeoutMs > 0 {
		deadline = nanotime() + timeoutMs*1e6
	}
	for {
		vsockPoll() // before collecting: processing packets changes readiness
		if n := epollCollect(in, out); n > 0 || timeoutMs == 0 {
			return int64(n)
		}
		if deadline != 0 && nanotime() >= deadline {
			return 0
		}
		if waitOn(epollWaitKey(), netPolledDeadline(deadline)) == wakeSignal {
			return -EINTR
		}
	}
}

// fileGen returns the readiness generation of f (shared by both ends of a
// pipe).
func fileGen(f *file) uint64 {
	switch f.kind {
	case fkPipeRead, fkPipeWrite:
		return pipes[f.node].gen
	case fkSocket:
		return sockGen(f)
	case fkVsock:
		return vsGen(f.node)
	case fkNetctl:
		return netctl.gen
	case fkNetDev:
		return netGen()
	}
	return f.gen
}
