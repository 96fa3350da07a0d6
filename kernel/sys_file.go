package kernel

// System calls on a file descriptor: each finds the description and asks
// its kind (fileops.go). The descriptor table itself (close, dup, fcntl)
// is in fd.go, the socket calls in sys_socket.go.

// read, pread64, write and pwrite64 run without the big kernel lock
// (sysNoBKL): for a description of a kind that can serve them unlocked
// (kindUnlocked) they take a reference to it without any lock (fdPin)
// and let the kind try (readUnlocked, writeUnlocked); descriptors of
// other kinds (sockets, the console), a kind that declines (a
// page not present) and a descriptor changing meanwhile take the big
// lock, as before.

//go:nosplit
func sysRead(fd, buf, n, _, _, _ uintptr) int64 { return readFD(fd, buf, n, -1) }

func sysPread64(fd, buf, n, off, _, _ uintptr) int64 {
	if int64(off) < 0 {
		return -EINVAL
	}
	return readFD(fd, buf, n, int64(off))
}

// readFD reads into the user buffer at off, or at the file offset if off
// is negative.
//
//go:nosplit
func readFD(fd, buf, n uintptr, off int64) int64 {
	_, f := fdPin(fd)
	if f == nil {
		bklLock()
		r := int64(-EBADF)
		if _, f := fdGet(fd); f != nil {
			r = readUser(f, buf, n, off)
		}
		bklUnlock()
		return r
	}
	r, ok := f.ops().readUnlocked(f, buf, n, off)
	fdUnpin()
	if ok {
		return r
	}
	// Under the big lock the descriptor is looked up again: a close
	// meanwhile makes the call fail with EBADF, as if it came first.
	bklLock()
	r = -EBADF
	if _, f := fdGet(fd); f != nil {
		r = readUser(f, buf, n, off)
	}
	bklUnlock()
	return r
}

// readUser reads from f into the n bytes of user memory at buf.
//
//go:nosplit
func readUser(f *file, buf, n uintptr, off int64) int64 {
	b, ok := userBytes(buf, n, true)
	if !ok {
		return -EFAULT
	}
	return f.ops().read(f, b, off)
}

//go:nosplit
func sysWrite(fd, buf, n, _, _, _ uintptr) int64 { return writeFD(fd, buf, n, -1) }

func sysPwrite64(fd, buf, n, off, _, _ uintptr) int64 {
	if int64(off) < 0 {
		return -EINVAL
	}
	return writeFD(fd, buf, n, int64(off))
}

// writeFD writes the user buffer at off, or at the file offset if off is
// negative.
//
//go:nosplit
func writeFD(fd, buf, n uintptr, off int64) int64 {
	_, f := fdPin(fd)
	if f == nil {
		bklLock()
		r := int64(-EBADF)
		if _, f := fdGet(fd); f != nil {
			r = writeUser(f, buf, n, off)
		}
		bklUnlock()
		return r
	}
	r, ok := f.ops().writeUnlocked(f, buf, n, off)
	fdUnpin()
	if ok {
		return r
	}
	// Under the big lock the descriptor is looked up again: a close
	// meanwhile makes the call fail with EBADF, as if it came first.
	bklLock()
	r = -EBADF
	if _, f := fdGet(fd); f != nil {
		r = writeUser(f, buf, n, off)
	}
	bklUnlock()
	return r
}

// writeUser writes the n bytes of user memory at buf to f.
//
//go:nosplit
func writeUser(f *file, buf, n uintptr, off int64) int64 {
	b, ok := userBytes(buf, n, false)
	if !ok {
		return -EFAULT
	}
	return f.ops().write(f, b, off)
}

func sysReadv(fd, iov, cnt, _, _, _ uintptr) int64 { return vectorFD(fd, iov, cnt, false) }

func sysWritev(fd, iov, cnt, _, _, _ uintptr) int64 { return vectorFD(fd, iov, cnt, true) }

func vectorFD(fd, iov, cnt uintptr, write bool) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	return iovFile(f, iov, cnt, -1, write)
}

// iovFile reads (write false) or writes through the user's iovec of cnt
// entries at iov, at off (the preadv family, sys_vecio.go), or at the
// file offset if off < 0.
func iovFile(f *file, iov, cnt uintptr, off int64, write bool) int64 {
	if cnt > iovMax {
		return -EINVAL
	}
	v, ok := userBytes(iov, cnt*16, false)
	if !ok {
		return -EFAULT
	}
	for i := 8; i < len(v); i += 16 {
		if int64(*(*uintptr)(ptrTo(&v[i]))) < 0 {
			return -EINVAL // a length over SSIZE_MAX, as Linux's import_iovec
		}
	}
	if write {
		return f.ops().writev(f, v, off)
	}
	return eachIov(f, v, off, false)
}

// iovMax is UIO_MAXIOV.
const iovMax = 1024

// writeEach writes the buffers of the iovec v one by one, from off (< 0:
// at the file offset).
func writeEach(f *file, v []byte, off int64) int64 { return eachIov(f, v, off, true) }

// eachIov reads or writes the buffers of the iovec v one by one, from off
// on (< 0: at the file offset), stopping at the first short transfer; an
// error after some bytes moved is not reported.
func eachIov(f *file, v []byte, off int64, write bool) int64 {
	total := int64(0)
	for i := 0; i+16 <= len(v); i += 16 {
		base := *(*uintptr)(ptrTo(&v[i]))
		l := *(*uintptr)(ptrTo(&v[i+8]))
		at := off
		if off >= 0 {
			at = off + total
		}
		var r int64
		if write {
			r = writeUser(f, base, l, at)
		} else {
			r = readUser(f, base, l, at)
		}
		if r < 0 {
			if total > 0 {
				return total
			}
			return r
		}
		total += r
		if uintptr(r) < l {
			break
		}
	}
	return total
}

func sysLseek(fd, off, whence, _, _, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	return f.ops().seek(f, int64(off), int(whence))
}

func sysIoctl(fd, req, arg, _, _, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	return f.ops().ioctl(f, req, arg)
}

func sysGetdents64(fd, buf, n, _, _, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	if !f.is(kindDir) {
		return -ENOTDIR
	}
	b, ok := userBytes(buf, n, true)
	if !ok {
		return -EFAULT
	}
	return f.ops().getdents(f, b)
}

func sysFchdir(fd, _, _, _, _, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	if !f.is(kindDir) {
		return -ENOTDIR
	}
	var buf [pathMax]byte
	if f.kind == fkTmpDir {
		setCwdTmp(dirPath(f, &buf), f.node) // the directory itself (cwd.go)
		return 0
	}
	setCwd(dirPath(f, &buf))
	return 0
}

// dirPath writes the absolute path of directory f into buf. The buffer is
// lent to the kind as an address: an interface call would otherwise move
// it to the heap (fileops.go).
func dirPath(f *file, buf *[pathMax]byte) string {
	return f.ops().dirPath(f, uintptr(ptrTo(buf)))
}

func sysFtruncate(fd, size, _, _, _, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	return f.ops().truncate(f, int64(size))
}

func sysFchmod(fd, mode, _, _, _, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	return f.ops().chmod(f, uint32(mode))
}

// sysFchown accepts any owner (there is one user); a built-in device
// keeps it (dev_attr.go).
func sysFchown(fd, uid, gid, _, _, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	return fileChown(f, uint32(uid), uint32(gid))
}

// fileChown is chown of the file behind description f: a built-in
// device keeps its new owner; the other files have one owner.
func fileChown(f *file, uid, gid uint32) int64 {
	if deviceNumber(f.kind) != 0 {
		return devChown(f.kind, uid, gid)
	}
	return 0
}

// sysFsync is fsync and fdatasync.
func sysFsync(fd, _, _, _, _, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	return f.ops().fsync(f)
}
