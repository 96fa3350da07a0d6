package kernel

// preadv, pwritev, preadv2 and pwritev2: readv and writev at an offset
// (the file offset does not move), and with RWF_* flags. They share
// readv's and writev's path (iovFile, eachIov, the kinds' writev), which
// take the offset; a kind that has no offsets (pipes, sockets) answers a
// read or write at one with ESPIPE, as pread64 and pwrite64 do.

// The RWF_* flags of preadv2 and pwritev2.
const (
	rwfHipri     = 0x1
	rwfDsync     = 0x2
	rwfSync      = 0x4
	rwfNowait    = 0x8
	rwfAppend    = 0x10
	rwfNoappend  = 0x20
	rwfAtomic    = 0x40
	rwfDontcache = 0x80
	rwfNosignal  = 0x100
	rwfSupported = rwfHipri | rwfDsync | rwfSync | rwfNowait | rwfAppend | rwfNoappend | rwfAtomic | rwfDontcache | rwfNosignal
)

// offAppend and offAppendKeep are the offsets a write with RWF_APPEND
// passes to the kinds: at the end of the file, moving the file offset
// past what it wrote (pwritev2 at -1) or not (pwritev2 at an offset).
// A kind without an end writes where it always does.
const (
	offAppend     int64 = -2
	offAppendKeep int64 = -3
)

func sysPreadv(fd, iov, cnt, lo, _, _ uintptr) int64 {
	return vecAt(fd, iov, cnt, int64(lo), 0, false)
}

func sysPwritev(fd, iov, cnt, lo, _, _ uintptr) int64 {
	return vecAt(fd, iov, cnt, int64(lo), 0, true)
}

func sysPreadv2(fd, iov, cnt, lo, _, flags uintptr) int64 {
	return vecAt2(fd, iov, cnt, int64(lo), flags, false)
}

func sysPwritev2(fd, iov, cnt, lo, _, flags uintptr) int64 {
	return vecAt2(fd, iov, cnt, int64(lo), flags, true)
}

// vecAt2 is preadv2 and pwritev2: offset -1 is readv or writev at the
// file offset, moving it.
func vecAt2(fd, iov, cnt uintptr, off int64, flags uintptr, write bool) int64 {
	if off != -1 {
		return vecAt(fd, iov, cnt, off, flags, write)
	}
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	return vecFlags(f, iov, cnt, -1, flags, write)
}

// vecAt is preadv and pwritev, and their 2 forms at an offset. On x86-64
// the offset is the fourth argument whole (Linux ignores the high word).
func vecAt(fd, iov, cnt uintptr, off int64, flags uintptr, write bool) int64 {
	if off < 0 {
		return -EINVAL
	}
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	if cnt == 0 && vecNoOffsets(f, write) {
		return -ESPIPE
	}
	return vecFlags(f, iov, cnt, off, flags, write)
}

// vecNoOffsets reports whether f's kind refuses a transfer at an offset,
// by asking it for an empty one at offset 0 (an empty iovec moves nothing
// and would otherwise not ask).
func vecNoOffsets(f *file, write bool) bool {
	if write {
		return f.ops().write(f, nil, 0) == -ESPIPE
	}
	return f.ops().read(f, nil, 0) == -ESPIPE
}

// vecFlags checks the RWF_* flags as Linux 6.18 does (unknown ones:
// EOPNOTSUPP; RWF_APPEND with RWF_NOAPPEND: EINVAL; RWF_ATOMIC and
// RWF_DONTCACHE, which need direct I/O or a page cache: EOPNOTSUPP;
// RWF_NOWAIT on /tmp files and memfds, which tmpfs refuses: EOPNOTSUPP)
// and runs the transfer. RWF_HIPRI, RWF_DSYNC and RWF_SYNC change
// nothing for files in memory; RWF_NOWAIT makes a pipe, TCP or unix
// socket that would block answer EAGAIN, RWF_NOSIGNAL a write to one
// nobody reads EPIPE without SIGPIPE (thread.rwf, taken by the kinds as
// send's MSG_DONTWAIT and MSG_NOSIGNAL: callMsgFlags); RWF_APPEND writes
// at the end; RWF_NOAPPEND makes a /tmp file or memfd open O_APPEND
// write at the offset given, or at the file offset for -1 (moving it),
// as Linux does (tmpWritePos).
func vecFlags(f *file, iov, cnt uintptr, off int64, flags uintptr, write bool) int64 {
	if flags != 0 && vecEmpty(iov, cnt) {
		flags = 0 // Linux checks the flags only when there is data to move
	}
	switch {
	case flags&^rwfSupported != 0:
		return -EOPNOTSUPP
	case flags&rwfAppend != 0 && flags&rwfNoappend != 0:
		return -EINVAL
	case flags&(rwfAtomic|rwfDontcache) != 0:
		return -EOPNOTSUPP
	case flags&rwfNowait != 0 && (f.kind == fkTmpFile || f.kind == fkMemfd):
		return -EOPNOTSUPP
	}
	if write && flags&rwfAppend != 0 {
		if off >= 0 {
			off = offAppendKeep
		} else {
			off = offAppend
		}
	}
	t := curThread()
	t.rwf = uint32(flags) & (rwfNowait | rwfNosignal | rwfNoappend)
	r := iovFile(f, iov, cnt, off, write)
	t.rwf = 0
	return r
}

// vecEmpty reports whether the user's iovec of cnt entries at iov is
// readable and moves no bytes.
func vecEmpty(iov, cnt uintptr) bool {
	if cnt > iovMax {
		return false
	}
	v, ok := userBytes(iov, cnt*16, false)
	if !ok {
		return false
	}
	for i := 8; i < len(v); i += 16 {
		if *(*uintptr)(ptrTo(&v[i])) != 0 {
			return false
		}
	}
	return true
}

// callMsgFlags returns the MSG_DONTWAIT and MSG_NOSIGNAL that the
// running system call's RWF_NOWAIT and RWF_NOSIGNAL ask of a pipe or
// socket's read or write (0 outside preadv2 and pwritev2).
func callMsgFlags() uint32 {
	rwf, m := curThread().rwf, uint32(0)
	if rwf&rwfNowait != 0 {
		m |= msgDontwait
	}
	if rwf&rwfNosignal != 0 {
		m |= msgNosignal
	}
	return m
}
