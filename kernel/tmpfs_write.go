package kernel

import (
	"sync/atomic"
	"unsafe"
)

// Writes to /tmp files. Every write holds the node's lock (tmpNodeLocks)
// from choosing its position to setting the size, so that writes to one
// file are atomic with respect to each other, as on Linux: an O_APPEND
// write lands wholly at the end the previous one left, two writes to one
// range do not interleave, and a reader (which holds the lock too) sees a
// write wholly or not at all. write and pwrite64 run without the big
// kernel lock (writeUnlocked); writev, splice, the overlay's copy-up and
// symlink targets write under it (tmpWriteLocked, tmpWrite), and take the
// node lock all the same.

// writeUnlocked writes without the big kernel lock, under the node's lock.
// The file's pages are backed first (mapPage: allocating may spin, which
// ends the guarantee of a translation, usermem.go), then the user buffer
// is translated and copied, at most userPagesMax pages at a time. Before
// anything visible changes, a buffer page that is not present (and not
// anonymous memory, which is backed here: translateFault), a watched
// file (inotify's IN_MODIFY is queued under the big lock), no memory for
// the first page and an empty write send the call to the locked path,
// which faults the buffer in, fails or reports ENOSPC. A buffer unmapped
// by another core after part of it was written ends the write short.
func (*tmpFile) writeUnlocked(f *file, buf, n uintptr, off int64) (int64, bool) {
	if n == 0 || atomic.LoadInt32(&inotify.nwatch) != 0 {
		return 0, false
	}
	if f.flags&oAccMode == oRdonly {
		return -EBADF, true
	}
	i := f.node
	l := &tmpNodeLocks[i]
	l.lock()
	fits := userPagesFit(buf, n)
	if !fits && !userPresentFault(buf, n, false) {
		l.unlock()
		return 0, false
	}
	pos := tmpWritePos(f, off)
	if n > tmpFileSpan || pos > tmpFileSpan-int64(n) {
		l.unlock()
		return -EFBIG, true
	}
	var u userPages
	done := uintptr(0)
	for done < n {
		part := n - done
		if !fits {
			part = min(part, userPagesMax*pageSize-(buf+done)&(pageSize-1))
		}
		backed := tmpBack(i, pos+int64(done), part)
		if backed == 0 || !u.translateFault(buf+done, backed, false) {
			break // no memory or unmapped meanwhile: a short write, or none
		}
		dst := tmpData(i) + uintptr(pos) + done
		for k := uintptr(0); k < backed; {
			c := u.chunk(k)
			copy(unsafeSlice(dst+k, uintptr(len(c))), c)
			k += uintptr(len(c))
		}
		done += backed
		if backed < part {
			break // out of memory: a short write
		}
	}
	if done == 0 {
		l.unlock()
		return 0, false
	}
	tmpWritten(f, pos, int64(done), off)
	l.unlock()
	return int64(done), true
}

// tmpWritePos is where a write to f at off lands (off < 0: at the file
// offset). With O_APPEND, RWF_APPEND (offAppend, offAppendKeep) it is the
// end, also for pwrite64 and pwritev with an offset, as on Linux; not
// for O_APPEND under pwritev2's RWF_NOAPPEND. The caller holds the node
// lock.
func tmpWritePos(f *file, off int64) int64 {
	if f.flags&oAppend != 0 && curThread().rwf&rwfNoappend == 0 || off == offAppend || off == offAppendKeep {
		return tmp.nodes[f.node].size
	}
	if off >= 0 {
		return off
	}
	return f.off
}

// tmpWritten records m bytes written to f's node at pos: the size grows
// after the data is in place (readers under the big lock read without
// the node lock), the modification time, and the file offset of a write
// at it (off < 0). The caller holds the node lock.
func tmpWritten(f *file, pos, m, off int64) {
	tmpGrow(f.node, pos+m)
	if off < 0 && off != offAppendKeep {
		f.off = pos + m
	}
}

// tmpGrow sets node i's size to end if that is larger, and its
// modification time. The caller holds the node lock.
func tmpGrow(i int, end int64) {
	n := &tmp.nodes[i]
	if end > n.size {
		atomic.StoreInt64(&n.size, end)
	}
	tmpTouch(n)
}

// tmpBack backs node i's pages under [off, off+n) and returns how many
// of those bytes have their pages (fewer when memory ran out). The caller
// holds the node lock, which keeps truncation from taking them away.
func tmpBack(i int, off int64, n uintptr) uintptr {
	start := tmpData(i) + uintptr(off)
	for p := start &^ (pageSize - 1); p < start+n; p += pageSize {
		if !tmpMapPage(i, p) {
			return max(p, start) - start
		}
	}
	return n
}

// write and writev are the locked path's writes (the big lock held):
// writev, splice, and write or pwrite64 that writeUnlocked declined.
func (*tmpFile) write(f *file, b []byte, off int64) int64 {
	return tmpWriteLocked(f, tmpBufs{one: b}, off)
}

// writev writes the buffers of the iovec as one write: an O_APPEND writev
// lands whole, as on Linux. The buffers before the first that is not
// program memory are written; if that is the first, it fails with EFAULT.
func (*tmpFile) writev(f *file, iov []byte, off int64) int64 {
	v := tmpBufs{iov: iov, vec: true}
	for k := 0; k < v.count(); k++ {
		if addr, n := v.at(k); !userRange(addr, n, false) {
			if k == 0 {
				return -EFAULT
			}
			v.iov = iov[:k*16]
			break
		}
	}
	return tmpWriteLocked(f, v, off)
}

// tmpBufs is what a locked write copies from: one buffer (user memory
// checked by userBytes, or kernel memory), or the entries of a user iovec
// (16 bytes each, checked by userRange).
type tmpBufs struct {
	one []byte
	iov []byte
	vec bool
}

func (v tmpBufs) count() int {
	if v.vec {
		return len(v.iov) / 16
	}
	return 1
}

// at returns buffer k's address and length.
func (v tmpBufs) at(k int) (uintptr, uintptr) {
	if !v.vec {
		return uintptr(unsafe.Pointer(unsafe.SliceData(v.one))), uintptr(len(v.one))
	}
	return *(*uintptr)(ptrTo(&v.iov[k*16])), *(*uintptr)(ptrTo(&v.iov[k*16+8]))
}

// user reports whether buffer k is user memory that may fault.
func (v tmpBufs) user(k int) bool {
	addr, n := v.at(k)
	return n > 0 && addr >= userMinAddr()
}

// tmpWriteLocked writes v to f at off (off < 0: at the file offset, or at
// the end with O_APPEND) under the big lock.
func tmpWriteLocked(f *file, v tmpBufs, off int64) int64 {
	if f.flags&oAccMode == oRdonly {
		return -EBADF
	}
	l := &tmpNodeLocks[f.node]
	if !v.lockBacked(l) {
		return -EFAULT
	}
	pos := tmpWritePos(f, off)
	total := v.copyTo(f.node, pos)
	if total > 0 {
		tmpWritten(f, pos, total, off)
	}
	l.unlock()
	if total > 0 {
		inotifyNotify(f.node, inModify)
	}
	return total
}

// lockBacked takes the node lock l with every user buffer of v present,
// for a copy under it, under the big lock: the user pages are faulted in
// first (a fault may sleep, which a spin lock must not be held across)
// and found present again under the lock; a page taken away meanwhile
// (while a fault slept) makes it start again. It reports false, without
// the lock, if some buffer cannot be read (EFAULT).
func (v tmpBufs) lockBacked(l *spinLock) bool {
	for {
		for k := 0; k < v.count(); k++ {
			if addr, n := v.at(k); v.user(k) && !userBackLocked(addr, n) {
				return false
			}
		}
		l.lock()
		if v.present() {
			return true
		}
		l.unlock()
	}
}

// copyTo writes the buffers of v into node i from pos on, one after the
// other, and returns how much it wrote (short at the first short write,
// the error if the first failed). The caller holds the node lock and has
// made v present (lockBacked).
func (v tmpBufs) copyTo(i int, pos int64) int64 {
	total := int64(0)
	for k := 0; k < v.count(); k++ {
		addr, n := v.at(k)
		m := tmpWriteData(i, unsafeSlice(addr, n), pos+total)
		if m < 0 {
			if total == 0 {
				total = m
			}
			break
		}
		total += m
		if m < int64(n) {
			break
		}
	}
	return total
}

// present reports whether every user buffer of v is present.
func (v tmpBufs) present() bool {
	for k := 0; k < v.count(); k++ {
		if addr, n := v.at(k); v.user(k) && !userPresent(addr, n, false) {
			return false
		}
	}
	return true
}

// tmpWrite writes b into node i at off under the big lock, for the
// overlay's copy-up (kernel memory) and symlink targets (the user's
// string, which userPath has read).
func tmpWrite(i int, b []byte, off int64) int64 {
	l := &tmpNodeLocks[i]
	v := tmpBufs{one: b}
	if !v.lockBacked(l) {
		return -EFAULT
	}
	m := v.copyTo(i, off)
	if m > 0 {
		tmpGrow(i, off+m)
	}
	l.unlock()
	return m
}

// tmpWriteData copies b into node i at off, backing its pages, and returns
// how much it wrote: short if memory ran out after the first page, ENOSPC
// if at the first, EFBIG past the file's window. b must not fault: the
// caller holds the node lock.
func tmpWriteData(i int, b []byte, off int64) int64 {
	if len(b) > tmpFileSpan || off > tmpFileSpan-int64(len(b)) {
		return -EFBIG
	}
	done := 0
	for done < len(b) {
		p := tmpData(i) + uintptr(off) + uintptr(done)
		m := min(len(b)-done, int(pageSize-p&(pageSize-1)))
		if !tmpMapPage(i, p&^(pageSize-1)) {
			if done > 0 {
				break
			}
			return -ENOSPC
		}
		copy(unsafeSlice(p, uintptr(m)), b[done:done+m])
		done += m
	}
	return int64(done)
}
