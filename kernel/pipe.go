package kernel

import (
	"sync/atomic"
	"unsafe"

	"github.com/gotoro/gotoro/kernel/mm"
)

// Pipes: a 64 KiB ring per pipe, made of pages from the physical allocator.
// Both ends are pollable, so os.Pipe registers them with the netpoller as
// on Linux.
//
// Each pipe has a lock (pipe.lock) over its ring, its counts of readers
// and writers and its generation. Reads and writes of ordinary pipes and
// FIFOs run without the big kernel lock (pipe_unlocked.go); everything
// else that touches a pipe — the locked paths of the same calls, sockets'
// pipes, readiness, opens and closes — holds the big lock and takes the
// pipe's lock under it. A thread that must wait registers under the pipe
// lock and sleeps after dropping it (pipeSleep); a change made under the
// lock wakes it after the lock is dropped (pipeWake). The stream buffers
// of connected inet sockets are read and written without the big lock
// too (socket_unlocked.go), as long as they need no page of the shared
// budget (streambuf.go); unix sockets' stay under the big lock.

const (
	pipePages = 16
	pipeSize  = pipePages * pageSize
	maxPipes  = 1024

	// pipeBuf is PIPE_BUF: a write of at most this many bytes to a pipe
	// or FIFO is atomic — it waits until the whole of it fits, so writers
	// sharing a pipe never interleave their small writes.
	pipeBuf = 4096
)

type pipe struct {
	lock    spinLock // the ring, readers, writers, gen (see above)
	used    bool
	readers int32
	writers int32
	r, n    int                // read position and bytes buffered
	pages   [pipePages]uintptr // the ring of an ordinary pipe
	gen     uint64             // changes with every change (atomic: epoll reads it)
	ino     uint64             // an ordinary pipe's st_ino (newAnonIno)

	// A FIFO's pipe (fifo.go): its tmpfs node + 1, and how many times a
	// reader and a writer opened it (blocked opens wait for a change).
	fifo           int32
	ropens, wopens uint32

	// A stream socket's pipe (streambuf.go) has a table of slots for its
	// ring instead of pages, and spare pages of its own.
	table  uintptr
	spare  [pipePages]uintptr
	nspare int
}

var pipes [maxPipes]pipe

// pipeSleepers[i] counts the threads waiting on pipe i (pipeSleep,
// pipeWait), so that a change nobody waits for skips the scan of the
// thread table (pipeWake). It lives outside the pipe, which pipeReserve
// clears: a thread woken from a pipe freed meanwhile takes itself off
// the count of the same slot, after the slot may have been reused, and
// the count stays balanced (a stale sleeper only costs a needless scan).
// A sleeper adds itself under the pipe's lock (or the big lock, for
// pipeWait) before it is marked blocked; a waker reads the count after
// its change and after dropping the lock it made the change under, so a
// sleeper that missed the change is counted.
var pipeSleepers [maxPipes]int32

// pipeSleepCount returns the count of threads waiting on pipe p.
func pipeSleepCount(p *pipe) *int32 {
	return &pipeSleepers[(uintptrOf(p)-uintptrOf(&pipes[0]))/unsafe.Sizeof(pipes[0])]
}

func sysPipe(fds, _, _, _, _, _ uintptr) int64 { return pipe2(fds, 0) }

func sysPipe2(fds, flags, _, _, _, _ uintptr) int64 { return pipe2(fds, uint32(flags)) }

func pipe2(fds uintptr, flags uint32) int64 {
	if flags&^(oCloexec|oNonblock) != 0 {
		return -EINVAL
	}
	out, ok := userBytes(fds, 8, true)
	if !ok {
		return -EFAULT
	}
	pi, e := pipeAlloc()
	if e != 0 {
		return e
	}
	p := &pipes[pi]
	rfd, rf := newFD(fkPipeRead, flags)
	if rf == nil {
		pipeFreePages(p)
		return rfd
	}
	wfd, wf := newFD(fkPipeWrite, flags|oWronly)
	if wf == nil {
		fdClose(uintptr(rfd))
		pipeFreePages(p)
		return wfd
	}
	rf.node, wf.node = pi, pi
	*(*[2]int32)(ptr(uintptrOf(&out[0]))) = [2]int32{int32(rfd), int32(wfd)}
	return 0
}

// pipeAlloc reserves an ordinary pipe with one reader and one writer.
func pipeAlloc() (int, int64) {
	pi, e := pipeReserve()
	if e != 0 {
		return -1, e
	}
	p := &pipes[pi]
	for i := range p.pages {
		if p.pages[i] = mm.Alloc(); p.pages[i] == 0 {
			pipeFreePages(p)
			return -1, -ENOMEM
		}
	}
	p.used = true
	p.readers, p.writers = 1, 1
	p.ino = newAnonIno()
	return pi, 0
}

// pipeReserve finds a free pipe and clears it; the caller gives it pages
// and marks it used.
func pipeReserve() (int, int64) {
	for pi := range pipes {
		p := &pipes[pi]
		if !p.used {
			// An unlocked socket call that raced with a shutdown may
			// still take the lock of a pipe freed under it (it then sees
			// the shutdown and leaves, ringReadUnlocked): the pipe is
			// cleared under its lock, which stays a lock.
			p.lock.lock()
			*p = pipe{lock: p.lock}
			p.lock.unlock()
			return pi, 0
		}
	}
	return -1, -ENFILE
}

// pipeRoom returns how many bytes pipe p takes without waiting.
func pipeRoom(p *pipe) int {
	if p.table != 0 {
		return streamRoom(p)
	}
	return pipeSize - p.n
}

func pipeFreePages(p *pipe) {
	if p.table != 0 {
		streamFreeAll(p)
		return
	}
	for i, pg := range p.pages {
		if pg != 0 {
			mm.Free(pg)
			p.pages[i] = 0
		}
	}
}

// pipeClose drops one end of pipe pi.
func pipeClose(pi int, write bool) {
	p := &pipes[pi]
	p.lock.lock()
	if write {
		p.writers--
	} else {
		p.readers--
	}
	atomic.AddUint64(&p.gen, 1)
	p.lock.unlock()
	pipeWake(p)
	if p.readers == 0 && p.writers == 0 {
		pipeFree(pi)
	}
}

// pipeFree releases pipe pi, which nobody has open; a FIFO's node forgets
// it (the next open makes a new one).
func pipeFree(pi int) {
	p := &pipes[pi]
	if p.fifo != 0 {
		tmp.nodes[p.fifo-1].fifo = 0
		p.fifo = 0
	}
	pipeFreePages(p)
	p.used = false
}

// pipeChanged records a change of pipe p, whose lock the caller does
// not hold (what changed is the big kernel lock's), and wakes its
// waiters.
func pipeChanged(p *pipe) {
	atomic.AddUint64(&p.gen, 1)
	pipeWake(p)
}

// pipeWake wakes the threads waiting on pipe p (pipeSleep, pipeWait) and
// in epoll_wait, after a change the caller made under p's lock (or the
// big kernel lock, for what only that lock guards).
//
// The scan of the thread table for p's waiters is skipped when none is
// counted (pipeSleepers).
func pipeWake(p *pipe) {
	if atomic.LoadInt32(pipeSleepCount(p)) != 0 {
		wakeKey(uintptrOf(p))
	}
	epollNotify()
}

// pipeSleep blocks the running thread on pipe p, whose lock it holds,
// until the next change, a signal or a timeout (lockSleep).
func pipeSleep(p *pipe) int32 { return lockSleep(&p.lock, uintptrOf(p), pipeSleepCount(p)) }

// lockSleep blocks the running thread on key until the next change of
// what lock l guards, a signal or a timeout; the thread holds l, and
// lockSleep returns without it (and with the big kernel lock as it was).
// The thread is counted in sleepers and marked blocked before the lock is
// dropped: a change made under the lock after that finds it and wakes it
// (wakeKey, after the lock is dropped, when sleepers is not zero).
func lockSleep(l *spinLock, key uintptr, sleepers *int32) int32 {
	t := curThread()
	atomic.AddInt32(sleepers, 1)
	t.waitAddr = key
	blockPrepare(0)
	l.unlock()
	r := blockCommit()
	t.waitAddr = 0
	atomic.AddInt32(sleepers, -1)
	return r
}

// pipeReadIdx reads from pipe pi (also the receive side of a socket); the
// caller holds the big kernel lock.
func pipeReadIdx(pi int, nonblock bool, b []byte) int64 {
	p := &pipes[pi]
	if e := pipeAwait(p, nonblock, len(b) == 0); e <= 0 {
		return e
	}
	done := pipeTake(p, b)
	atomic.AddUint64(&p.gen, 1)
	p.lock.unlock()
	pipeWake(p)
	return int64(done)
}

// pipePeekv copies the bytes buffered in byte pipe p (a stream socket's
// receive side) into the buffers of g without taking them (MSG_PEEK) and
// returns how many it copied, or -EFAULT if no buffer could be written.
func pipePeekv(p *pipe, g *ioVec) int64 {
	ring, size := p.pages[:], pipeSize
	if p.table != 0 {
		ring, size = p.slots(), streamSize
	}
	done := 0
	for i := 0; i < g.count() && done < p.n; i++ {
		d, ok := g.part(i, true)
		if !ok {
			if done > 0 {
				break
			}
			return -EFAULT
		}
		done += pageRingRead(d, ring, (p.r+done)%size, p.n-done)
	}
	return int64(done)
}

// pipeWriteIdx writes to pipe pi (also the send side of a socket); the
// caller holds the big kernel lock.
func pipeWriteIdx(pi int, nonblock bool, b []byte) int64 {
	return pipeWriteSig(pi, nonblock, true, b)
}

// pipeWriteSig is pipeWriteIdx, with SIGPIPE for a pipe nobody reads only
// if sigpipe (send's MSG_NOSIGNAL clears it).
func pipeWriteSig(pi int, nonblock, sigpipe bool, b []byte) int64 {
	p := &pipes[pi]
	done := 0
	p.lock.lock()
	for done < len(b) {
		if p.readers == 0 {
			p.lock.unlock()
			if sigpipe {
				sendSignal(curThread(), sigPIPE)
			}
			if done > 0 {
				return int64(done)
			}
			return -EPIPE
		}
		if p.table != 0 || len(b) > pipeBuf || pipeRoom(p) >= len(b) {
			if m := pipePut(p, b[done:]); m > 0 {
				done += m
				atomic.AddUint64(&p.gen, 1)
				p.lock.unlock()
				pipeWake(p)
				p.lock.lock()
				continue
			}
		}
		if nonblock {
			p.lock.unlock()
			if done > 0 {
				return int64(done)
			}
			return -EAGAIN
		}
		if pipeSleep(p) == wakeSignal {
			if done > 0 {
				return int64(done)
			}
			return -errRestartSys
		}
		p.lock.lock()
	}
	p.lock.unlock()
	return int64(done)
}

// pipePut copies as much of b into pipe p as it takes now and returns
// how much that was.
func pipePut(p *pipe, b []byte) int {
	if p.table != 0 {
		return streamWrite(p, b, true)
	}
	m := pageRingWrite(p.pages[:], (p.r+p.n)%pipeSize, b[:min(len(b), pipeSize-p.n)])
	p.n += m
	return m
}

// pipeWait blocks on pipe p until its next change: for waits whose
// condition only the big kernel lock guards (a FIFO's opens, sockets).
// The waiter is counted in pipeSleepers like pipeSleep's.
func pipeWait(p *pipe) int32 {
	n := pipeSleepCount(p)
	atomic.AddInt32(n, 1)
	r := waitOn(uintptrOf(p), 0)
	atomic.AddInt32(n, -1)
	return r
}

// pipeWaitData waits until byte pipe p (a stream socket's receive side)
// has bytes to read: 1 when it has, else what the read returns (0 at the
// end, or at once for an empty read; -EAGAIN, -errRestartSys). It looks
// and sleeps under the pipe's lock: writers fill the pipe without the
// big kernel lock.
func pipeWaitData(p *pipe, nonblock, empty bool) int64 {
	e := pipeAwait(p, nonblock, empty)
	if e > 0 {
		p.lock.unlock()
	}
	return e
}

// pipeAwait takes p's lock and waits under it until p has bytes: 1,
// holding the lock, when it has; else, without it, what a read returns
// (0 at the end or at once when empty; -EAGAIN, -errRestartSys).
func pipeAwait(p *pipe, nonblock, empty bool) int64 {
	p.lock.lock()
	for p.n == 0 {
		if p.writers == 0 || empty {
			p.lock.unlock()
			return 0
		}
		if nonblock {
			p.lock.unlock()
			return -EAGAIN
		}
		if pipeSleep(p) == wakeSignal {
			return -errRestartSys
		}
		p.lock.lock()
	}
	return 1
}

// pipeTake moves up to len(b) buffered bytes of pipe p, whose lock the
// caller holds, into b and returns how many it moved.
func pipeTake(p *pipe, b []byte) int {
	if p.table != 0 {
		return streamRead(p, b)
	}
	m := pageRingRead(b, p.pages[:], p.r, p.n)
	p.r = (p.r + m) % pipeSize
	p.n -= m
	return m
}

// pipeSpliceWait blocks a splice into pipe p until it may take bytes: the
// room is looked at again under the pipe's lock, since readers drain the
// pipe without the big kernel lock.
func pipeSpliceWait(p *pipe) int32 {
	p.lock.lock()
	if writeRoom(p) != 0 {
		p.lock.unlock()
		return wakeEvent
	}
	return pipeSleep(p)
}

// pipeReader is the read end of pipe f.node; both ends share the pipe's
// readiness generation.
type pipeReader struct{ fileBase }

func (*pipeReader) read(f *file, b []byte, off int64) int64 {
	if off >= 0 {
		return -ESPIPE
	}
	return pipeReadIdx(f.node, f.flags&oNonblock != 0 || callMsgFlags()&msgDontwait != 0, b)
}

func (*pipeReader) write(f *file, b []byte, off int64) int64 { return -EBADF }
func (*pipeReader) gen(f *file) uint64                       { return atomic.LoadUint64(&pipes[f.node].gen) }
func (*pipeReader) stat(f *file, st *statBuf) int64          { return pipeStat(st, f.node) }
func (*pipeReader) release(f *file)                          { pipeClose(f.node, false) }
func (*pipeReader) statfs(f *file, st *statfsBuf) int64      { return statfsPseudo(st, pipefsMagic) }

// readiness is Linux's pipe_poll for the read end: EPOLLIN (and
// EPOLLRDNORM) while there are bytes, EPOLLHUP once no writer is left
// (with no bytes that is EPOLLHUP alone, which a poller takes as the end
// of the input).
func (*pipeReader) readiness(f *file) uint32 {
	p := &pipes[f.node]
	r := uint32(0)
	p.lock.lock()
	if p.n > 0 {
		r |= epollIn | pollRdnrm
	}
	if p.writers == 0 {
		r |= epollHup
	}
	p.lock.unlock()
	return r
}

// pipeWriter is the write end of pipe f.node.
type pipeWriter struct{ fileBase }

func (*pipeWriter) read(f *file, b []byte, off int64) int64 { return -EBADF }

func (*pipeWriter) write(f *file, b []byte, off int64) int64 {
	if off >= 0 {
		return -ESPIPE
	}
	m := callMsgFlags()
	return pipeWriteSig(f.node, f.flags&oNonblock != 0 || m&msgDontwait != 0, m&msgNosignal == 0, b)
}

func (*pipeWriter) fallocate(f *file, mode uint32, off, n int64) int64 { return -ESPIPE }
func (*pipeWriter) gen(f *file) uint64                                 { return atomic.LoadUint64(&pipes[f.node].gen) }
func (*pipeWriter) stat(f *file, st *statBuf) int64                    { return pipeStat(st, f.node) }
func (*pipeWriter) release(f *file)                                    { pipeClose(f.node, true) }
func (*pipeWriter) statfs(f *file, st *statfsBuf) int64                { return statfsPseudo(st, pipefsMagic) }
func (*pipeWriter) spliceRoom(f *file) int                             { return writeRoom(&pipes[f.node]) }
func (*pipeWriter) spliceWait(f *file) int32                           { return pipeSpliceWait(&pipes[f.node]) }

// readiness is Linux's pipe_poll for the write end: EPOLLOUT (and
// EPOLLWRNORM) while there is room, EPOLLERR once no reader is left.
func (*pipeWriter) readiness(f *file) uint32 {
	p := &pipes[f.node]
	r := uint32(0)
	p.lock.lock()
	if pipeRoom(p) > 0 {
		r |= epollOut | pollWrnrm
	}
	if p.readers == 0 {
		r |= epollErr
	}
	p.lock.unlock()
	return r
}

// writeRoom returns how many bytes a write to pipe p takes without
// blocking, or -1 when nobody reads it any more: the write does not block
// but fails with EPIPE, even when the pipe is full.
func writeRoom(p *pipe) int {
	if p.readers == 0 {
		return -1
	}
	return pipeRoom(p)
}

// sendSignal queues an asynchronous signal for t.
func sendSignal(t *thread, sig int) {
	t.pending |= sigbit(sig)
	t.pendCode[sig] = siKernel
	t.pendAddr[sig] = 0
}

// pageRingRead copies up to len(b) bytes out of a ring buffer made of the
// pages in ring (pipes, vsock receive buffers), starting at offset r with n
// bytes buffered, and returns how many it copied. The caller advances its
// read offset and count.
func pageRingRead(b []byte, ring []uintptr, r, n int) int {
	size := len(ring) * pageSize
	done := 0
	for done < len(b) && done < n {
		pg, off := r/pageSize, r%pageSize
		m := min(len(b)-done, pageSize-off, n-done)
		copy(b[done:done+m], unsafeSlice(ring[pg]+uintptr(off), uintptr(m)))
		done += m
		r = (r + m) % size
	}
	return done
}

// pageRingWrite copies b into a ring buffer made of the pages in ring,
// starting at offset w, and returns len(b). The caller has checked that
// the ring has room and advances its count.
func pageRingWrite(ring []uintptr, w int, b []byte) int {
	size := len(ring) * pageSize
	done := 0
	for done < len(b) {
		pg, off := w/pageSize, w%pageSize
		m := min(len(b)-done, pageSize-off)
		copy(unsafeSlice(ring[pg]+uintptr(off), uintptr(m)), b[done:done+m])
		done += m
		w = (w + m) % size
	}
	return done
}
