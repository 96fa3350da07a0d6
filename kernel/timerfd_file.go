package kernel

import "unsafe"

// The timerfd file kind (timerfd.go): read returns the expirations since
// the last read as 8 bytes, waiting for the next one unless nonblocking;
// epoll sees it readable while it has expirations (or was canceled), and
// edge-triggered registrations see each expiry as a new edge.

type timerFile struct{ fileBase }

// read takes the expiration count. A reader that waits holds a reference
// to the description: a close by another thread leaves it waiting for the
// timer, as on Linux.
func (*timerFile) read(f *file, b []byte, off int64) int64 {
	if off >= 0 {
		return -ESPIPE
	}
	if len(b) < 8 {
		return -EINVAL
	}
	s := timerOf(f)
	fi := int32(efdIndex(f))
	held := false
	r := int64(0)
	for {
		s.update()
		if s.canceled {
			s.ticks = 0
			r = -ECANCELED
			break
		}
		if s.ticks > 0 {
			*(*uint64)(unsafe.Pointer(&b[0])) = s.ticks
			s.ticks, s.expired = 0, false
			r = 8
			break
		}
		if f.flags&oNonblock != 0 {
			r = -EAGAIN
			break
		}
		if !held {
			fileHold(fi)
			held = true
		}
		if waitOn(uintptrOf(f), s.monoDeadline()) == wakeSignal {
			r = -errRestartSys
			break
		}
	}
	if held {
		fileRelease(fi)
	}
	return r
}

func (*timerFile) readiness(f *file) uint32 {
	s := timerOf(f)
	s.update()
	if s.ticks > 0 || s.canceled {
		return epollIn
	}
	return 0
}

// gen changes at every expiry that is an edge (timerState.fired) and at
// every settime.
func (*timerFile) gen(f *file) uint64 {
	s := timerOf(f)
	s.update()
	return f.gen + s.fired
}

// seek is Linux's noop_llseek: the offset stays 0.
func (*timerFile) seek(f *file, off int64, whence int) int64 { return 0 }

func (*timerFile) stat(f *file, st *statBuf) int64     { return devStat(st, f.kind, 0o600) }
func (*timerFile) statfs(f *file, st *statfsBuf) int64 { return statfsPseudo(st, anonInodeMagic) }
