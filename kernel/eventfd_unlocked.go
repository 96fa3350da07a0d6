package kernel

import "unsafe"

// Reads and writes of eventfds without the big kernel lock: the counter
// under the eventfd's lock (efdTake, efdAdd in eventfd.go), the user's 8
// bytes through the page tables (userPages, translated after the lock is
// dropped, with no spinning before the copy). A call that must wait trades
// its pin for a reference first (pipeHold: a pin is the core's, and the
// core runs other threads while this one sleeps) and drops it at the end
// (pipeDone).
//
// What still goes to the big lock: a buffer shorter than 8 bytes
// (EINVAL), pread and pwrite, a buffer with a page not present before
// anything changed, and a read whose buffer went away while it waited
// (the value is taken: the locked copy faults it in or fails with
// EFAULT, as on Linux).

func (*eventFile) readUnlocked(f *file, buf, n uintptr, off int64) (int64, bool) {
	if off >= 0 || n < 8 {
		return 0, false
	}
	var u userPages
	if !u.translateFault(buf, 8, true) {
		return 0, false // nothing taken yet: the locked path faults it in
	}
	fi := int32(-1)
	v, e := efdTake(f, true)
	if e == -EAGAIN && f.flags&oNonblock == 0 {
		var ok bool
		if fi, ok = pipeHold(f); !ok {
			return 0, false // closed meanwhile: EBADF on the locked path
		}
		v, e = efdTake(f, false)
	}
	if e != 0 {
		return pipeDone(fi, e)
	}
	b := (*[8]byte)(unsafe.Pointer(&v))[:]
	if !u.translateFault(buf, 8, true) {
		// Unmapped while the call waited: copy under the big lock.
		if fi < 0 {
			var ok bool
			if fi, ok = pipeHold(f); !ok {
				return -EFAULT, true // the value is taken; nowhere to put it
			}
		}
		bklLock()
		r := int64(8)
		if d, ok := userBytes(buf, 8, true); ok {
			copy(d, b)
		} else {
			r = -EFAULT
		}
		bklUnlock()
		return pipeDone(fi, r)
	}
	for done := uintptr(0); done < 8; {
		done += uintptr(copy(u.chunk(done), b[done:]))
	}
	return pipeDone(fi, 8)
}

func (*eventFile) writeUnlocked(f *file, buf, n uintptr, off int64) (int64, bool) {
	if off >= 0 || n < 8 {
		return 0, false
	}
	var u userPages
	if !u.translateFault(buf, 8, false) {
		return 0, false
	}
	var v uint64
	b := (*[8]byte)(unsafe.Pointer(&v))[:]
	for done := uintptr(0); done < 8; {
		done += uintptr(copy(b[done:], u.chunk(done)))
	}
	if v == ^uint64(0) {
		return -EINVAL, true
	}
	fi := int32(-1)
	e := efdAdd(f, v, true)
	if e == -EAGAIN && f.flags&oNonblock == 0 {
		var ok bool
		if fi, ok = pipeHold(f); !ok {
			return 0, false
		}
		e = efdAdd(f, v, false)
	}
	if e != 0 {
		return pipeDone(fi, e)
	}
	return pipeDone(fi, 8)
}
