package kernel

import "unsafe"

// splice, sendfile and copy_file_range, implemented as a copy through a
// bounce buffer: Go's io.Copy fast paths use them between files, pipes and
// sockets, and Linux programs expect them to exist. The buffer is a block
// from the kernel-stack pool, taken for the call: the copy can block in the
// middle, and another thread may splice meanwhile.

const (
	spliceChunk    = kstackSize
	spliceNonblock = 2
)

// roomIn returns how many bytes a write to f can take without blocking, or
// -1 if unbounded.
func roomIn(f *file) int {
	switch f.kind {
	case fkPipeWrite:
		return writeRoom(&pipes[f.node])
	case fkSocket:
		s := &sockets[f.node]
		if s.state == ssConnected && !s.wrShut {
			return writeRoom(&pipes[s.tx])
		}
	case fkVsock:
		vsockPoll()
		if s := &vsocks[f.node]; s.state == vsConnected && !s.shutWr && !s.peerNoRecv && !s.reset {
			return int(vsCredit(s))
		}
	}
	return -1
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

// pipeOf returns the pipe a write to f fills, or -1.
func pipeOf(f *file) int {
	switch f.kind {
	case fkPipeWrite:
		return f.node
	case fkSocket:
		if s := &sockets[f.node]; s.state == ssConnected {
			return s.tx
		}
	}
	return -1
}

func sysSplice(in, offIn, out, offOut, n, flags uintptr) int64 {
	return spliceCopy(in, offIn, out, offOut, n, uint32(flags)&spliceNonblock != 0)
}

// spliceCopy moves up to n bytes from in to out. offIn/offOut are user
// pointers to explicit offsets (0 = use the file offset).
func spliceCopy(in uintptr, offIn uintptr, out uintptr, offOut uintptr, n uintptr, nonblock bool) int64 {
	_, fi := fdGet(in)
	_, fo := fdGet(out)
	if fi == nil || fo == nil {
		return -EBADF
	}
	if n == 0 {
		return 0
	}
	chunk := min(int(n), spliceChunk)
	for {
		room := roomIn(fo)
		if room != 0 {
			if room > 0 {
				chunk = min(chunk, room)
			}
			break
		}
		if nonblock || fo.flags&oNonblock != 0 {
			return -EAGAIN
		}
		var woke int32
		if fo.kind == fkVsock {
			woke = vsockWait()
		} else {
			woke = pipeWait(&pipes[pipeOf(fo)])
		}
		if woke == wakeSignal {
			return -EINTR
		}
	}
	block := kstackAlloc()
	if block == 0 {
		return -ENOMEM
	}
	defer kstackFree(block)
	buf := unsafeSlice(block, uintptr(chunk))
	var readOff, writeOff int64 = -1, -1
	if offIn != 0 {
		b, ok := userBytes(offIn, 8, true)
		if !ok {
			return -EFAULT
		}
		readOff = *(*int64)(unsafe.Pointer(&b[0]))
	}
	if offOut != 0 {
		b, ok := userBytes(offOut, 8, true)
		if !ok {
			return -EFAULT
		}
		writeOff = *(*int64)(unsafe.Pointer(&b[0]))
	}
	saved := fi.flags
	if nonblock {
		fi.flags |= oNonblock
	}
	r := readFile(fi, buf, readOff)
	fi.flags = saved
	if r <= 0 {
		return r
	}
	w := writeFile(fo, buf[:r], writeOff)
	if written := max(w, 0); written < r && offIn == 0 {
		// Give back what was read but not written, so that it is not lost.
		switch fi.kind {
		case fkFile, fkStatic, fkTmpFile, fkFuseFile, fkBlock:
			fi.off -= r - written
		}
	}
	if w < 0 {
		return w
	}
	if offIn != 0 {
		*(*int64)(ptr(offIn)) = readOff + w
	}
	if offOut != 0 {
		*(*int64)(ptr(offOut)) = writeOff + w
	}
	return w
}

func sysSendfile(out, in, off, n, _, _ uintptr) int64 {
	return spliceCopy(in, off, out, 0, n, false)
}

// sysCopyFileRange copies between regular files; as on Linux, copying a
// file onto itself is EINVAL (this version does not check for overlap).
func sysCopyFileRange(in, offIn, out, offOut, n, _ uintptr) int64 {
	_, fi := fdGet(in)
	_, fo := fdGet(out)
	if fi == nil || fo == nil {
		return -EBADF
	}
	regular := func(f *file) bool { return f.kind == fkFile || f.kind == fkTmpFile || f.kind == fkStatic }
	if !regular(fi) || !regular(fo) || fi.kind == fo.kind && fi.node == fo.node {
		return -EINVAL
	}
	return spliceCopy(in, offIn, out, offOut, n, false)
}
