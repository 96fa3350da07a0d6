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
		room := fo.ops().spliceRoom(fo)
		if room != 0 {
			if room > 0 {
				chunk = min(chunk, room)
			}
			break
		}
		if nonblock || fo.flags&oNonblock != 0 {
			return -EAGAIN
		}
		if fo.ops().spliceWait(fo) == wakeSignal {
			return -errRestartSys
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
	r := fi.ops().read(fi, buf, readOff)
	fi.flags = saved
	if r <= 0 {
		return r
	}
	w := fo.ops().write(fo, buf[:r], writeOff)
	if written := max(w, 0); written < r && offIn == 0 && fi.is(kindSeekable) {
		// Give back what was read but not written, so that it is not lost.
		offGiveBack(fi, r-written)
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
	if !fi.is(kindRegular) || !fo.is(kindRegular) || fi.kind == fo.kind && fi.node == fo.node {
		return -EINVAL
	}
	return spliceCopy(in, offIn, out, offOut, n, false)
}
