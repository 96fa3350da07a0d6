package kernel

import (
	"sync/atomic"
	"unsafe"
)

// eventfd: a 64-bit counter with read and write semantics, the runtime's
// way of waking its netpoller out of epoll_pwait.
//
// The counter (f.count) is guarded by the eventfd's own lock (efdLocks,
// indexed like files), not by the big kernel lock: reads and writes run
// without the big lock (eventfd_unlocked.go), and the locked paths
// (readv, writev, a buffer with a page not present) take the same lock
// for the counter. A reader of a zero counter or a writer that would
// overflow it registers under the lock and sleeps (lockSleep); a change
// made under the lock raises f.gen (atomically: epoll reads it without
// the lock) and wakes the waiters after the lock is dropped (efdWake).
// The user's 8 bytes are copied outside the lock, as on Linux: a read
// into memory that turns out to be bad has taken the value (EFAULT).

const efdSemaphore = 1

// efdMax is the largest value the counter holds: a write that would take
// it past waits, or fails with EAGAIN when nonblocking.
const efdMax = ^uint64(0) - 1

// efdLocks[i] guards the counter of description i when it is an eventfd.
var efdLocks [maxFiles]spinLock

// efdSleepers[i] counts the threads waiting on eventfd i, so that a change
// nobody waits for skips the scan of the thread table (as pipeSleepers).
var efdSleepers [maxFiles]int32

// efdIndex returns the index of description f in files.
func efdIndex(f *file) int {
	return int((uintptrOf(f) - uintptrOf(&files[0])) / unsafe.Sizeof(files[0]))
}

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
		f.count = initval // not yet visible to other calls (newFD)
	}
	return fd
}

// efdTake waits until eventfd f's counter is not zero and takes from it
// (1 in semaphore mode, else all of it): the value, or -EAGAIN when
// nonblocking, -errRestartSys on a signal. The caller may hold the big
// kernel lock, or else must not sleep pinned (ref, see efdUnlocked).
func efdTake(f *file, nonblock bool) (uint64, int64) {
	i := efdIndex(f)
	l := &efdLocks[i]
	l.lock()
	for f.count == 0 {
		if nonblock {
			l.unlock()
			return 0, -EAGAIN
		}
		if lockSleep(l, uintptrOf(f), &efdSleepers[i]) == wakeSignal {
			return 0, -errRestartSys
		}
		l.lock()
	}
	v := f.count
	if f.flags&efdSemaphore != 0 {
		v = 1
	}
	f.count -= v
	atomic.AddUint64(&f.gen, 1)
	l.unlock()
	efdWake(f, i)
	return v, 0
}

// efdAdd waits until v fits in eventfd f's counter (at most efdMax) and
// adds it: 0, or -EAGAIN when nonblocking, -errRestartSys on a signal.
func efdAdd(f *file, v uint64, nonblock bool) int64 {
	i := efdIndex(f)
	l := &efdLocks[i]
	l.lock()
	for v > efdMax-f.count {
		if nonblock {
			l.unlock()
			return -EAGAIN
		}
		if lockSleep(l, uintptrOf(f), &efdSleepers[i]) == wakeSignal {
			return -errRestartSys
		}
		l.lock()
	}
	f.count += v
	atomic.AddUint64(&f.gen, 1)
	l.unlock()
	efdWake(f, i)
	return 0
}

// efdWake wakes the threads waiting on eventfd f (description i) and in
// epoll_wait after a change made under its lock.
func efdWake(f *file, i int) {
	if atomic.LoadInt32(&efdSleepers[i]) != 0 {
		wakeKey(uintptrOf(f))
	}
	epollNotify()
}

// eventFile is an eventfd; the counter is f.count, and efdSemaphore is
// kept in f.flags.
type eventFile struct{ fileBase }

func (*eventFile) flags() kindFlags { return kindUnlocked }

func (*eventFile) read(f *file, b []byte, off int64) int64 {
	if off >= 0 {
		return -ESPIPE
	}
	if len(b) < 8 {
		return -EINVAL
	}
	v, e := efdTake(f, f.flags&oNonblock != 0)
	if e != 0 {
		return e
	}
	*(*uint64)(unsafe.Pointer(&b[0])) = v
	return 8
}

func (*eventFile) write(f *file, b []byte, off int64) int64 {
	if len(b) < 8 {
		return -EINVAL
	}
	v := *(*uint64)(unsafe.Pointer(&b[0]))
	if v == ^uint64(0) {
		return -EINVAL
	}
	if e := efdAdd(f, v, f.flags&oNonblock != 0); e != 0 {
		return e
	}
	return 8
}

func (*eventFile) readiness(f *file) uint32 {
	l := &efdLocks[efdIndex(f)]
	l.lock()
	c := f.count
	l.unlock()
	r := uint32(0)
	if c > 0 {
		r |= epollIn
	}
	if c < efdMax {
		r |= epollOut
	}
	return r
}

func (*eventFile) gen(f *file) uint64                  { return atomic.LoadUint64(&f.gen) }
func (*eventFile) stat(f *file, st *statBuf) int64     { return devStat(st, f.kind, 0o600) }
func (*eventFile) statfs(f *file, st *statfsBuf) int64 { return statfsPseudo(st, anonInodeMagic) }
