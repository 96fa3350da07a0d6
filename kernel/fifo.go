package kernel

import "sync/atomic"

// FIFOs (named pipes): a tmpfs node of type S_IFIFO, made by mknod or
// mkfifo, whose opens share one pipe (pipe.go) for as long as any end is
// open, as on Linux (fs/pipe.c's fifo_open):
//
//   - O_RDONLY waits until a writer opens (unless O_NONBLOCK: at once);
//   - O_WRONLY waits until a reader opens; with O_NONBLOCK and no reader
//     it fails with ENXIO;
//   - O_RDWR opens at once, as both ends;
//   - reads end (0) when the last writer closes, writes fail with EPIPE
//     and SIGPIPE when the last reader closes; when the last end closes
//     the pipe and anything still buffered in it go.
//
// A FIFO's description (fkFifo) names the pipe in f.node; the pipe names
// its node (pipe.fifo). f.count keeps, for a reader opened without a
// writer (O_NONBLOCK), the pipe's writer-open count at the time: poll
// reports EPOLLHUP only once a writer has come and gone (Linux's
// f_version). Inotify sees a FIFO's opens and closes, not its reads and
// writes (Linux 6's fsnotify leaves FIFO data alone).

// fifoOpen opens FIFO node i with the flags of open(2).
func fifoOpen(i int, flags uint32) int64 {
	n := &tmp.nodes[i]
	acc := flags & oAccMode
	if acc == oAccMode {
		return -EINVAL
	}
	nonblock := flags&oNonblock != 0
	pi := int(n.fifo) - 1
	if acc == oWronly && nonblock && (pi < 0 || pipes[pi].readers == 0) {
		return -ENXIO
	}
	if pi < 0 {
		var e int64
		if pi, e = pipeAlloc(); e != 0 {
			return e
		}
		pipes[pi].readers, pipes[pi].writers = 0, 0
		pipes[pi].fifo = int32(i) + 1
		n.fifo = int32(pi) + 1
	}
	p := &pipes[pi]
	fd, f := newFD(fkFifo, flags)
	if f == nil {
		if p.readers == 0 && p.writers == 0 {
			pipeFree(pi)
		}
		return fd
	}
	f.node = pi
	n.opens++
	p.lock.lock() // readers and writers: unlocked writes and reads look at them
	if acc != oWronly {
		p.readers++
		p.ropens++
	}
	if acc != oRdonly {
		p.writers++
		p.wopens++
	}
	p.lock.unlock()
	pipeChanged(p) // wakes the other side's blocked opens
	switch {
	case acc == oRdonly && p.writers == 0 && nonblock:
		f.count = uint64(p.wopens)
	case acc == oRdonly && p.writers == 0:
		for w := p.wopens; p.wopens == w; {
			if pipeWait(p) == wakeSignal {
				fdClose(uintptr(fd))
				return -errRestartSys
			}
		}
	case acc == oWronly && p.readers == 0:
		for r := p.ropens; p.ropens == r; {
			if pipeWait(p) == wakeSignal {
				fdClose(uintptr(fd))
				return -errRestartSys
			}
		}
	}
	return fd
}

// fifoNode returns the tmpfs node of FIFO description f.
func fifoNode(f *file) int { return int(pipes[f.node].fifo) - 1 }

type fifoFile struct{ fileBase }

func (*fifoFile) read(f *file, b []byte, off int64) int64 {
	if f.flags&oAccMode == oWronly {
		return -EBADF
	}
	if off >= 0 {
		return -ESPIPE
	}
	return pipeReadIdx(f.node, f.flags&oNonblock != 0, b)
}

// fallocate on a FIFO opened for writing is ESPIPE (sysFallocate has
// refused a read-only one).
func (*fifoFile) fallocate(f *file, mode uint32, off, n int64) int64 { return -ESPIPE }

func (*fifoFile) write(f *file, b []byte, off int64) int64 {
	if f.flags&oAccMode == oRdonly {
		return -EBADF
	}
	if off >= 0 {
		return -ESPIPE
	}
	return pipeWriteIdx(f.node, f.flags&oNonblock != 0, b)
}

func (*fifoFile) flags() kindFlags                    { return kindUnlocked }
func (*fifoFile) gen(f *file) uint64                  { return atomic.LoadUint64(&pipes[f.node].gen) }
func (*fifoFile) stat(f *file, st *statBuf) int64     { return fillTmpStat(st, fifoNode(f)) }
func (*fifoFile) statfs(f *file, st *statfsBuf) int64 { return statfsTmpNode(st, fifoNode(f)) }
func (*fifoFile) chmod(f *file, mode uint32) int64    { return tmpChmod(fifoNode(f), mode) }
func (*fifoFile) lockKey(f *file, fi int32) uint64    { return lockKeyTmp | uint64(fifoNode(f)) }

func (*fifoFile) spliceRoom(f *file) int {
	if f.flags&oAccMode == oRdonly {
		return -1 // the write fails at once
	}
	return writeRoom(&pipes[f.node])
}

func (*fifoFile) spliceWait(f *file) int32 { return pipeSpliceWait(&pipes[f.node]) }

// readiness is Linux's pipe_poll for the ends f has.
func (*fifoFile) readiness(f *file) uint32 {
	p := &pipes[f.node]
	r := uint32(0)
	p.lock.lock()
	defer p.lock.unlock()
	if f.flags&oAccMode != oWronly {
		if p.n > 0 {
			r |= epollIn | pollRdnrm
		}
		if p.writers == 0 && f.count != uint64(p.wopens) {
			r |= epollHup
		}
	}
	if f.flags&oAccMode != oRdonly {
		if pipeRoom(p) > 0 {
			r |= epollOut | pollWrnrm
		}
		if p.readers == 0 {
			r |= epollErr
		}
	}
	return r
}

func (*fifoFile) release(f *file) {
	i := fifoNode(f)
	acc := f.flags & oAccMode
	if acc != oRdonly {
		inotifyNotify(i, inCloseWrite)
	} else {
		inotifyNotify(i, inCloseNowr)
	}
	if acc != oRdonly {
		pipeClose(f.node, true)
	}
	if acc != oWronly {
		pipeClose(f.node, false)
	}
	tmpClose(i)
}
