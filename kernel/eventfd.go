package kernel

import "unsafe"

// eventfd: a 64-bit counter with read and write semantics, the runtime's
// way of waking its netpoller out of epoll_pwait.

const efdSemaphore = 1

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

// eventFile is an eventfd; the counter is f.count, and efdSemaphore is
// kept in f.flags.
type eventFile struct{ fileBase }

func (eventFile) read(f *file, b []byte, off int64) int64 {
	if off >= 0 {
		return -ESPIPE
	}
	if len(b) < 8 {
		return -EINVAL
	}
	for f.count == 0 {
		if f.flags&oNonblock != 0 {
			return -EAGAIN
		}
		if blockOnFile(f) == wakeSignal {
			return -errRestartSys
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

func (eventFile) write(f *file, b []byte, off int64) int64 {
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
			return -errRestartSys
		}
	}
	f.count += v
	fileChanged(f)
	return 8
}

func (eventFile) readiness(f *file) uint32 {
	r := uint32(0)
	if f.count > 0 {
		r |= epollIn
	}
	if f.count < ^uint64(0)-1 {
		r |= epollOut
	}
	return r
}

func (eventFile) stat(f *file, st *statBuf) int64     { return devStat(st, f.kind, 0o600) }
func (eventFile) statfs(f *file, st *statfsBuf) int64 { return statfsPseudo(st, anonInodeMagic) }
