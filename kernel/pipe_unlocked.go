package kernel

import (
	"sync/atomic"
	"unsafe"
)

// Reads and writes of ordinary pipes and FIFOs without the big kernel
// lock. The call holds the pipe's lock (pipe.lock) while it looks at the
// ring and copies, and reaches the user's buffer through the page tables
// (userPages, translated after the lock is taken). A page of anonymous
// memory not yet backed is backed there, as a fault would
// (translateFault, usermem.go); any other page that is not present (a
// file mapping, unmapped memory) sends the call, before it has changed
// anything, to the locked path, which faults it in or fails with EFAULT
// (sys_file.go).
//
// A call that must wait cannot keep its description pinned on the core
// (fdPin: the pin is the core's, and the core runs other threads while
// this one sleeps), so before its first sleep it trades the pin for a
// reference (pipeHold); when it ends it drops the reference, and if that
// was the last (the descriptor was closed meanwhile) it releases the
// description under the big lock (pipeDone). The pin is never held while
// the big lock is taken: a closing core that holds the big lock waits for
// pins (pinWait).
//
// What still goes to the big lock: a write to a pipe nobody reads (EPIPE
// and SIGPIPE: signals are queued under it), a buffer with a page not
// present, pread/pwrite (ESPIPE), empty reads and writes, and everything
// but read and write (readv and writev, splice, ioctl, fcntl, close).

func (*pipeReader) flags() kindFlags { return kindUnlocked }

func (*pipeReader) readUnlocked(f *file, buf, n uintptr, off int64) (int64, bool) {
	if off >= 0 {
		return 0, false
	}
	return pipeReadUnlocked(f, buf, n)
}

func (*pipeWriter) flags() kindFlags { return kindUnlocked }

func (*pipeWriter) writeUnlocked(f *file, buf, n uintptr, off int64) (int64, bool) {
	if off >= 0 {
		return 0, false
	}
	return pipeWriteUnlocked(f, buf, n)
}

func (*fifoFile) readUnlocked(f *file, buf, n uintptr, off int64) (int64, bool) {
	if off >= 0 || f.flags&oAccMode == oWronly {
		return 0, false
	}
	return pipeReadUnlocked(f, buf, n)
}

func (*fifoFile) writeUnlocked(f *file, buf, n uintptr, off int64) (int64, bool) {
	if off >= 0 || f.flags&oAccMode == oRdonly {
		return 0, false
	}
	return pipeWriteUnlocked(f, buf, n)
}

// pipeHold trades the caller's pin of description f (fdPin) for a
// reference and returns f's index. It fails, keeping the pin, if the
// last reference is already gone (a close on another core is releasing
// f and waits for the pin): the call must then end without sleeping.
func pipeHold(f *file) (int32, bool) {
	fi := int32((uintptrOf(f) - uintptrOf(&files[0])) / unsafe.Sizeof(files[0]))
	refs := &files[fi].refs
	for {
		r := atomic.LoadInt32(refs)
		if r <= 0 {
			return -1, false
		}
		if atomic.CompareAndSwapInt32(refs, r, r+1) {
			fdUnpin()
			return fi, true
		}
	}
}

// pipeDone ends an unlocked call with result r: it drops the reference
// the call took if it slept (fi >= 0), releasing the description under
// the big kernel lock if that was the last.
func pipeDone(fi int32, r int64) (int64, bool) {
	if fi >= 0 && atomic.AddInt32(&files[fi].refs, -1) == 0 {
		bklLock()
		fileFinish(fi)
		bklUnlock()
	}
	return r, true
}

// pipeReadUnlocked reads up to n bytes of the pipe of f into the user
// buffer at buf.
func pipeReadUnlocked(f *file, buf, n uintptr) (int64, bool) {
	p := &pipes[f.node]
	if p.table != 0 {
		return 0, false
	}
	return ringReadUnlocked(f, p, sockEnd{}, buf, n)
}

// sockEnd is what an unlocked read or write of a stream socket looks at
// besides the pipe, all under the pipe's lock; an ordinary pipe passes
// the zero value.
type sockEnd struct {
	// shut is the direction's shutdown flag, set under the big kernel
	// lock before the pipe's end is closed: it is looked at after every
	// taking of the lock, and when set the call goes to the locked path,
	// which knows what a shut socket answers. The pipe of a shut socket
	// may be freed and even reused by then; its lock stays a lock
	// (pipeReserve) and nothing else of it is touched.
	shut *bool
	// pos counts the bytes moved through this end (a unix socket's
	// txPos or rxPos, which place SCM_RIGHTS descriptors in the stream).
	pos *uint64
	// rights counts descriptor messages in flight to the reader (a unix
	// socket's rightsIn): while it is not zero the read goes to the
	// locked path, which hands them over with their bytes.
	rights *int32
	// msg: the call is send or recv with flags (MSG_DONTWAIT: do not
	// wait; MSG_NOSIGNAL: no SIGPIPE), and its locked path is sendto or
	// recvfrom rather than write or read.
	msg   bool
	flags uint32
}

// nonblock reports whether the call on f must not wait.
func (e sockEnd) nonblock(f *file) bool {
	return f.flags&oNonblock != 0 || e.flags&msgDontwait != 0
}

// stop reports whether the call must leave the pipe to the locked path.
func (e sockEnd) stop() bool {
	return e.shut != nil && *e.shut || e.rights != nil && *e.rights != 0
}

// moved adds k bytes to the end's stream position.
func (e sockEnd) moved(k uintptr) {
	if e.pos != nil {
		*e.pos += uint64(k)
	}
}

// ringReadUnlocked reads up to n bytes of pipe p, an ordinary pipe or a
// stream socket's receive side (whose end is se), into the user buffer at
// buf.
func ringReadUnlocked(f *file, p *pipe, se sockEnd, buf, n uintptr) (int64, bool) {
	if n == 0 {
		return 0, false
	}
	nonblock := se.nonblock(f)
	fi := int32(-1)
	p.lock.lock()
	for {
		if se.stop() {
			p.lock.unlock()
			if fi < 0 {
				return 0, false
			}
			return pipeLocked(f, fi, se, buf, n, 0, false)
		}
		if p.n != 0 {
			break
		}
		if p.writers == 0 {
			p.lock.unlock()
			return pipeDone(fi, 0)
		}
		if nonblock {
			p.lock.unlock()
			return pipeDone(fi, -EAGAIN)
		}
		if fi < 0 {
			var ok bool
			if fi, ok = pipeHold(f); !ok {
				p.lock.unlock()
				return 0, false // closed meanwhile: EBADF on the locked path
			}
		}
		if pipeSleep(p) == wakeSignal {
			return pipeDone(fi, -errRestartSys)
		}
		p.lock.lock()
	}
	// One part of at most userPagesMax pages: a pipe read may be short.
	want := min(n, uintptr(p.n), userPagesMax*pageSize-buf&(pageSize-1))
	var u userPages
	if p.table != 0 && !streamReadOwn(p, int(want)) || !u.translateFault(buf, want, true) {
		p.lock.unlock()
		if fi < 0 {
			return 0, false
		}
		return pipeLocked(f, fi, se, buf, n, 0, false)
	}
	for done := uintptr(0); done < want; {
		done += uintptr(pipeTake(p, u.chunk(done)))
	}
	se.moved(want)
	atomic.AddUint64(&p.gen, 1)
	p.lock.unlock()
	pipeWake(p)
	return pipeDone(fi, int64(want))
}

// pipeWriteUnlocked writes the n bytes of the user buffer at buf to the
// pipe of f. A write of at most pipeBuf bytes goes in whole.
func pipeWriteUnlocked(f *file, buf, n uintptr) (int64, bool) {
	p := &pipes[f.node]
	if p.table != 0 {
		return 0, false
	}
	return ringWriteUnlocked(f, p, sockEnd{}, buf, n)
}

// ringWriteUnlocked writes the n bytes of the user buffer at buf to pipe
// p, an ordinary pipe or a stream socket's send side (whose end is se).
// A stream pipe takes only its own pages here: bytes that need a page of
// the shared budget (streamExtra) go on the locked path.
func ringWriteUnlocked(f *file, p *pipe, se sockEnd, buf, n uintptr) (int64, bool) {
	if n == 0 {
		return 0, false
	}
	stream := p.table != 0
	nonblock := se.nonblock(f)
	fi := int32(-1)
	done := uintptr(0)
	var u userPages
	p.lock.lock()
	for done < n {
		if p.readers == 0 || se.stop() {
			p.lock.unlock()
			if fi < 0 && done == 0 {
				return 0, false // EPIPE and SIGPIPE on the locked path
			}
			return pipeLocked(f, fi, se, buf, n, done, true)
		}
		room := uintptr(pipeSize - p.n)
		if stream {
			room = uintptr(streamCap - p.n)
		}
		if room == 0 || !stream && n <= pipeBuf && room < n {
			if nonblock {
				p.lock.unlock()
				if done > 0 {
					return pipeDone(fi, int64(done))
				}
				return pipeDone(fi, -EAGAIN)
			}
			if fi < 0 {
				var ok bool
				if fi, ok = pipeHold(f); !ok {
					// Closed meanwhile: a short write, or EBADF on the
					// locked path.
					p.lock.unlock()
					if done > 0 {
						return int64(done), true
					}
					return 0, false
				}
			}
			if pipeSleep(p) == wakeSignal {
				if done > 0 {
					return pipeDone(fi, int64(done))
				}
				return pipeDone(fi, -errRestartSys)
			}
			p.lock.lock()
			continue
		}
		part := min(n-done, room, userPagesMax*pageSize-(buf+done)&(pageSize-1))
		if !u.translateFault(buf+done, part, false) {
			// A page of a file mapping, or unmapped by another core
			// while this one slept: the rest goes to the locked path,
			// which faults it in or fails with EFAULT.
			p.lock.unlock()
			if fi < 0 && done == 0 {
				return 0, false
			}
			return pipeLocked(f, fi, se, buf, n, done, true)
		}
		k := uintptr(0)
		for k < part {
			c := u.chunk(k)
			var m int
			if stream {
				m = streamWrite(p, c, false)
			} else {
				m = pageRingWrite(p.pages[:], (p.r+p.n)%pipeSize, c)
				p.n += m
			}
			k += uintptr(m)
			if m < len(c) {
				break // the stream pipe's own pages are all in use
			}
		}
		done += k
		if k > 0 {
			se.moved(k)
			atomic.AddUint64(&p.gen, 1)
		}
		p.lock.unlock()
		if k > 0 {
			pipeWake(p) // the reader drains while the rest waits for room
		}
		if k < part {
			// The rest needs pages of the shared budget: the locked path.
			if fi < 0 && done == 0 {
				return 0, false
			}
			return pipeLocked(f, fi, se, buf, n, done, true)
		}
		if done == n {
			break
		}
		p.lock.lock()
	}
	return pipeDone(fi, int64(done))
}

// pipeLocked finishes an unlocked read or write of the pipe of f (a
// socket's send or recv when se.msg) on the locked path, done bytes of the n at buf having moved: a page to fault
// in, or a write's EPIPE and SIGPIPE. The caller holds a reference (fi)
// if it slept, and otherwise still its pin, which it trades for one
// before it takes the big lock.
func pipeLocked(f *file, fi int32, se sockEnd, buf, n, done uintptr, write bool) (int64, bool) {
	if fi < 0 {
		var ok bool
		if fi, ok = pipeHold(f); !ok {
			if done > 0 {
				return int64(done), true
			}
			return 0, false
		}
	}
	bklLock()
	var r int64
	switch {
	case se.msg && write:
		r = f.ops().sendto(f, buf+done, n-done, se.flags, 0, 0)
	case se.msg:
		r = f.ops().recvfrom(f, buf+done, n-done, se.flags, 0, 0)
	case write:
		r = writeUser(f, buf+done, n-done, -1)
	default:
		r = readUser(f, buf+done, n-done, -1)
	}
	bklUnlock()
	if done > 0 {
		r = int64(done) + max(r, 0)
	}
	return pipeDone(fi, r)
}
