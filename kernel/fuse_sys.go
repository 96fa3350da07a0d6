package kernel

import (
	"github.com/gotoro/gotoro/internal/virtio"
	"github.com/gotoro/gotoro/kernel/mm"
	"github.com/gotoro/gotoro/kernel/vio"
)

// System calls on shared directories (virtio-fs). Each fuseX is called by
// the generic system call once the path is known to lie in a mount (see
// fuseAbs), or once the descriptor is known to be a share's file.

// fuseOpen is openat on a share.
func fuseOpen(mi int, abs string, flags, mode uint32) int64 {
	m := &fuseMounts[mi]
	w := fwalk{m: m}
	defer0 := func(r int64) int64 { w.done(); return r }
	write := flags&oAccMode != oRdonly || flags&(oTrunc|oCreat) != 0
	node, a, _, e := fuseResolve(&w, mi, abs, flags&oNofollow == 0, false, true)
	created := false
	var fh uint64
	if e == -ENOENT && flags&oCreat != 0 {
		if m.readOnly {
			return defer0(-EROFS)
		}
		dir, _, last, e2 := fuseResolve(&w, mi, abs, true, true, false)
		if e2 != 0 {
			return defer0(e2)
		}
		if last == "" || last == "." || last == ".." {
			return defer0(-EISDIR)
		}
		s := m.slot()
		in := m.slotIn[s] + virtio.FuseInHeaderLen
		*(*uint32)(ptr(in)) = flags &^ (oCloexec | oNonblock)
		*(*uint32)(ptr(in + 4)) = mode & 0o7777
		*(*uint32)(ptr(in + 8)) = 0o022
		*(*uint32)(ptr(in + 12)) = 0
		n := writeName(in+virtio.FuseCreateInLen, last)
		_, e = m.call(s, virtio.FuseCreate, dir, virtio.FuseCreateInLen+n, virtio.FuseEntryOutLen+virtio.FuseOpenOutLen, nil, nil)
		if e == 0 {
			out := m.slotOut[s] + virtio.FuseOutHeaderLen
			node = *(*uint64)(ptr(out))
			a = *(*fuseAttr)(ptr(out + 40))
			fh = *(*uint64)(ptr(out + virtio.FuseEntryOutLen))
			created = true
		}
		m.release(s)
		if e != 0 {
			return defer0(e)
		}
	} else if e != 0 {
		return defer0(e)
	}
	w.done()
	fail := func(r int64) int64 { m.forget([]uint64{node}); return r }
	if !created {
		switch {
		case flags&(oCreat|oExcl) == oCreat|oExcl:
			return fail(-EEXIST)
		case isLinkMode(a.mode):
			return fail(-ELOOP)
		case isDirMode(a.mode) && (flags&oAccMode != oRdonly || flags&oTrunc != 0):
			return fail(-EISDIR)
		case !isDirMode(a.mode) && flags&oDirectory != 0:
			return fail(-ENOTDIR)
		case write && m.readOnly:
			return fail(-EROFS)
		}
		op := uint32(virtio.FuseOpen)
		if isDirMode(a.mode) {
			op = virtio.FuseOpendir
		}
		s := m.slot()
		in := m.slotIn[s] + virtio.FuseInHeaderLen
		*(*uint32)(ptr(in)) = flags &^ (oCreat | oExcl | oNofollow | oCloexec | oTrunc | oNonblock)
		*(*uint32)(ptr(in + 4)) = 0
		_, e = m.call(s, op, node, virtio.FuseOpenInLen, virtio.FuseOpenOutLen, nil, nil)
		fh = *(*uint64)(ptr(m.slotOut[s] + virtio.FuseOutHeaderLen))
		m.release(s)
		if e != 0 {
			return fail(e)
		}
		if flags&oTrunc != 0 && !isDirMode(a.mode) {
			if e := m.setattrSize(node, fh, 0); e != 0 {
				fuseReleaseFH(m, node, fh, false)
				return fail(e)
			}
		}
	}
	kind := fkFuseFile
	if isDirMode(a.mode) {
		kind = fkFuseDir
	}
	fd, f := newFD(kind, flags)
	if f == nil {
		fuseReleaseFH(m, node, fh, kind == fkFuseDir)
		return fail(fd)
	}
	fi := fdFileIndex(fd)
	f.node = int(fi)
	ff := &fuseFiles[fi]
	*ff = fuseFile{m: int32(mi), nodeid: node, fh: fh}
	if kind == fkFuseDir {
		ff.path = mm.Alloc()
		if ff.path != 0 {
			ff.plen = copy(unsafeSlice(ff.path, pathMax), abs)
		}
	}
	return fd
}

// fdFileIndex returns the description index behind a fresh descriptor.
func fdFileIndex(fd int64) int32 { return fdtab[fd].file - 1 }

func fuseReleaseFH(m *fuseMount, node, fh uint64, dir bool) {
	s := m.slot()
	in := m.slotIn[s] + virtio.FuseInHeaderLen
	*(*uint64)(ptr(in)) = fh
	*(*uint32)(ptr(in + 8)) = 0
	*(*uint32)(ptr(in + 12)) = 0
	*(*uint64)(ptr(in + 16)) = 0
	op := uint32(virtio.FuseRelease)
	if dir {
		op = virtio.FuseReleasedir
	}
	m.call(s, op, node, virtio.FuseReleaseInLen, 0, nil, nil)
	m.release(s)
}

// fuseClose releases the last reference to a share file.
func fuseClose(f *file) {
	ff := &fuseFiles[f.node]
	m := &fuseMounts[ff.m]
	fuseReleaseFH(m, ff.nodeid, ff.fh, f.kind == fkFuseDir)
	m.forget([]uint64{ff.nodeid})
	if ff.path != 0 {
		mm.Free(ff.path)
	}
	*ff = fuseFile{}
}

// fuseDirPath is the absolute path of an open share directory.
func fuseDirPath(f *file) string {
	ff := &fuseFiles[f.node]
	return unsafeString(unsafeSlice(ff.path, uintptr(ff.plen)))
}

// fuseIO reads or writes p at off (the file offset if negative) straight
// between the caller's pages and the device.
func fuseIO(f *file, p []byte, off int64, write bool) int64 {
	if f.kind == fkFuseDir {
		if write {
			return -EBADF
		}
		return -EISDIR
	}
	acc := f.flags & oAccMode
	if write && acc == oRdonly || !write && acc == oWronly {
		return -EBADF
	}
	ff := &fuseFiles[f.node]
	m := &fuseMounts[ff.m]
	pos := off
	if off < 0 {
		pos = f.off
	}
	if pos < 0 {
		return -EINVAL
	}
	if !write {
		// What shared mappings of the file changed must be read.
		if e := fuseWriteback(0, userMax, f, pos, pos+int64(len(p))); e != 0 {
			return e
		}
	}
	done := int64(0)
	for done < int64(len(p)) {
		chunk := min(int64(len(p))-done, int64(m.maxRead))
		if write {
			chunk = min(int64(len(p))-done, int64(m.maxWrite))
		}
		var segs [fuseMaxData/pageSize + 1]vio.Seg
		k := dmaSegs(segs[:], uintptr(ptrTo(&p[done])), uintptr(chunk), !write)
		if k < 0 {
			return partial(done, -EFAULT)
		}
		s := m.slot()
		in := m.slotIn[s] + virtio.FuseInHeaderLen
		*(*uint64)(ptr(in)) = ff.fh
		*(*uint64)(ptr(in + 8)) = uint64(pos + done)
		*(*uint32)(ptr(in + 16)) = uint32(chunk)
		*(*uint32)(ptr(in + 20)) = 0
		*(*uint64)(ptr(in + 24)) = 0
		*(*uint32)(ptr(in + 32)) = f.flags &^ oCloexec
		*(*uint32)(ptr(in + 36)) = 0
		var n int
		var e int64
		if write {
			_, e = m.call(s, virtio.FuseWrite, ff.nodeid, virtio.FuseWriteInLen, virtio.FuseWriteOutLen, segs[:k], nil)
			n = int(*(*uint32)(ptr(m.slotOut[s] + virtio.FuseOutHeaderLen)))
		} else {
			n, e = m.call(s, virtio.FuseRead, ff.nodeid, virtio.FuseReadInLen, 0, nil, segs[:k])
		}
		m.release(s)
		dmaUnpin(segs[:k])
		if e != 0 {
			return partial(done, e)
		}
		if n > int(chunk) {
			n = int(chunk)
		}
		done += int64(n)
		if n < int(chunk) {
			break
		}
	}
	if write && done > 0 {
		fuseWrote(f, p[:done], pos)
	}
	if off < 0 {
		f.off = pos + done
	}
	return done
}

// fuseFstat is fstat on a share file.
func fuseFstat(f *file, st *statBuf) int64 {
	ff := &fuseFiles[f.node]
	var a fuseAttr
	if e := fuseMounts[ff.m].getattr(ff.nodeid, ff.fh*boolU64(f.kind == fkFuseFile), &a); e != 0 {
		return e
	}
	fillFuseStat(st, &a, int(ff.m))
	return 0
}

func boolU64(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// fuseSize returns a share file's size, for lseek(SEEK_END).
func fuseSize(f *file) int64 {
	var st statBuf
	if e := fuseFstat(f, &st); e != 0 {
		return e
	}
	return st.size
}

// fuseStat is newfstatat on a share path.
func fuseStat(mi int, abs string, follow bool, st *statBuf) int64 {
	w := fwalk{m: &fuseMounts[mi]}
	node, a, _, e := fuseResolve(&w, mi, abs, follow, false, false)
	w.done()
	if e == 0 && node == virtio.FuseRootID {
		// The walk gives the root no attributes of its own: ask.
		e = fuseMounts[mi].getattr(node, 0, &a)
	}
	if e != 0 {
		return e
	}
	fillFuseStat(st, &a, mi)
	return 0
}

// fuseFsync is fsync on a share file.
func fuseFsync(f *file) int64 {
	if f.kind == fkFuseDir {
		return 0
	}
	ff := &fuseFiles[f.node]
	m := &fuseMounts[ff.m]
	s := m.slot()
	in := m.slotIn[s] + virtio.FuseInHeaderLen
	*(*uint64)(ptr(in)) = ff.fh
	*(*uint64)(ptr(in + 8)) = 0
	_, e := m.call(s, virtio.FuseFsync, ff.nodeid, virtio.FuseFsyncInLen, 0, nil, nil)
	m.release(s)
	return e
}

// fuseFtruncate is ftruncate on a share file.
func fuseFtruncate(f *file, size int64) int64 {
	if f.kind != fkFuseFile || f.flags&oAccMode == oRdonly || size < 0 {
		return -EINVAL
	}
	ff := &fuseFiles[f.node]
	m := &fuseMounts[ff.m]
	if m.readOnly {
		return -EROFS
	}
	if e := m.setattrSize(ff.nodeid, ff.fh, size); e != 0 {
		return e
	}
	fuseFileTruncated(f, size)
	return 0
}

// fuseMkdir is mkdirat on a share.
func fuseMkdir(mi int, abs string, mode uint32) int64 {
	return fuseCreateEntry(mi, abs, virtio.FuseMkdir, virtio.FuseMkdirInLen, [4]uint32{mode & 0o7777, 0o022})
}

// fuseCreateEntry asks share mi to create abs with FUSE request op, whose
// fixed part (inLen bytes, at most four words) is args and is followed by
// the name, and keeps a lookup of the entry the reply gives: mkdir and
// mknod.
func fuseCreateEntry(mi int, abs string, op uint32, inLen uintptr, args [4]uint32) int64 {
	m := &fuseMounts[mi]
	if m.readOnly {
		return -EROFS
	}
	w := fwalk{m: m}
	defer0 := func(r int64) int64 { w.done(); return r }
	dir, _, last, e := fuseResolve(&w, mi, abs, false, true, false)
	if e == -EBUSY {
		return defer0(-EEXIST)
	}
	if e != 0 {
		return defer0(e)
	}
	if last == "." || last == ".." {
		return defer0(-EEXIST)
	}
	s := m.slot()
	in := m.slotIn[s] + virtio.FuseInHeaderLen
	for k := uintptr(0); k < inLen/4; k++ {
		*(*uint32)(ptr(in + 4*k)) = args[k]
	}
	n := writeName(in+inLen, last)
	_, e = m.call(s, op, dir, inLen+n, virtio.FuseEntryOutLen, nil, nil)
	if e == 0 {
		w.hold(*(*uint64)(ptr(m.slotOut[s] + virtio.FuseOutHeaderLen)))
	}
	m.release(s)
	return defer0(e)
}

// fuseUnlink is unlinkat on a share (rmdir with dir set).
func fuseUnlink(mi int, abs string, dir bool) int64 {
	m := &fuseMounts[mi]
	w := fwalk{m: m}
	defer0 := func(r int64) int64 { w.done(); return r }
	parent, _, last, e := fuseResolve(&w, mi, abs, false, true, false)
	if e != 0 {
		return defer0(e)
	}
	if m.readOnly {
		return defer0(-EROFS)
	}
	if last == "." {
		return defer0(-EINVAL)
	}
	if last == ".." {
		return defer0(-ENOTEMPTY)
	}
	// The server acts only on names it has handed out a node for.
	var a fuseAttr
	child, e := w.lookup(parent, last, &a)
	if e != 0 {
		return defer0(e)
	}
	w.hold(child)
	if dir && !isDirMode(a.mode) {
		return defer0(-ENOTDIR)
	}
	if !dir && isDirMode(a.mode) {
		return defer0(-EISDIR)
	}
	s := m.slot()
	n := writeName(m.slotIn[s]+virtio.FuseInHeaderLen, last)
	op := uint32(virtio.FuseUnlink)
	if dir {
		op = virtio.FuseRmdir
	}
	_, e = m.call(s, op, parent, n, 0, nil, nil)
	m.release(s)
	return defer0(e)
}

// fuseRename is renameat on a share; both paths must be in mount mi.
func fuseRename(mi int, oldAbs, newAbs string) int64 {
	return fuseRename2(mi, oldAbs, newAbs, 0)
}

// fuseRename2 is fuseRename with renameat2's flags, sent as FUSE_RENAME2
// when there are any.
func fuseRename2(mi int, oldAbs, newAbs string, flags uint32) int64 {
	m := &fuseMounts[mi]
	w := fwalk{m: m}
	defer0 := func(r int64) int64 { w.done(); return r }
	if m.readOnly {
		return -EROFS
	}
	// fuseResolve reuses the thread's path buffers: walk the new path
	// first and keep only node numbers and names that live in the caller's
	// strings.
	newDir, _, newLast, e := fuseResolve(&w, mi, newAbs, false, true, false)
	if e != 0 {
		return defer0(e)
	}
	oldDir, _, oldLast, e := fuseResolve(&w, mi, oldAbs, false, true, false)
	if e != 0 {
		return defer0(e)
	}
	if oldLast == "." || oldLast == ".." || newLast == "." || newLast == ".." {
		return defer0(-EBUSY)
	}
	// The server renames only names it has handed out nodes for.
	var a fuseAttr
	src, e := w.lookup(oldDir, oldLast, &a)
	if e != 0 {
		return defer0(e)
	}
	w.hold(src)
	if dst, e := w.lookup(newDir, newLast, &a); e == 0 {
		w.hold(dst)
	}
	s := m.slot()
	in := m.slotIn[s] + virtio.FuseInHeaderLen
	*(*uint64)(ptr(in)) = newDir
	op, inLen := uint32(virtio.FuseRename), uintptr(virtio.FuseRenameInLen)
	if flags != 0 {
		op, inLen = virtio.FuseRename2, fuseRename2Len
		*(*uint32)(ptr(in + 8)) = flags
		*(*uint32)(ptr(in + 12)) = 0
	}
	n := writeName(in+inLen, oldLast)
	n += writeName(in+inLen+n, newLast)
	_, e = m.call(s, op, oldDir, inLen+n, 0, nil, nil)
	m.release(s)
	if e == -ENOSYS && flags != 0 {
		e = -EINVAL // a server without RENAME2: Linux's answer
	}
	return defer0(e)
}

// fuseReadlink is readlinkat on a share.
func fuseReadlink(mi int, abs string, b []byte) int64 {
	w := fwalk{m: &fuseMounts[mi]}
	node, a, _, e := fuseResolve(&w, mi, abs, false, false, false)
	if e == 0 && !isLinkMode(a.mode) {
		e = -EINVAL
	}
	t := ""
	if e == 0 {
		t, e = w.readlink(node, b)
	}
	w.done()
	if e != 0 {
		return e
	}
	return int64(len(t))
}

// fuseAccess is faccessat on a share.
func fuseAccess(mi int, abs string, mode uint32) int64 {
	var st statBuf
	if e := fuseStat(mi, abs, true, &st); e != 0 {
		return e
	}
	if mode&2 != 0 && fuseMounts[mi].readOnly {
		return -EROFS
	}
	if mode&1 != 0 && st.mode&0o111 == 0 {
		return -EACCES
	}
	return 0
}

// fuseGetdents lists a share directory into the user buffer, converting
// FUSE dirents to linux_dirent64. f.off is the server's offset cookie.
func fuseGetdents(f *file, b []byte) int64 {
	ff := &fuseFiles[f.node]
	m := &fuseMounts[ff.m]
	// A FUSE dirent is never shorter than the linux_dirent64 it becomes,
	// so asking for len(b) bytes cannot produce more than fits.
	want := min(uintptr(len(b)), pageSize-virtio.FuseOutHeaderLen)
	s := m.slot()
	in := m.slotIn[s] + virtio.FuseInHeaderLen
	*(*uint64)(ptr(in)) = ff.fh
	*(*uint64)(ptr(in + 8)) = uint64(f.off)
	*(*uint32)(ptr(in + 16)) = uint32(want)
	*(*uint32)(ptr(in + 20)) = 0
	*(*uint64)(ptr(in + 24)) = 0
	*(*uint32)(ptr(in + 32)) = 0
	*(*uint32)(ptr(in + 36)) = 0
	n, e := m.call(s, virtio.FuseReaddir, ff.nodeid, virtio.FuseReadInLen, want, nil, nil)
	w := 0
	if e == 0 {
		src := m.slotOut[s] + virtio.FuseOutHeaderLen
		for p := 0; p+virtio.FuseDirentLen <= n; {
			d := src + uintptr(p)
			ino := *(*uint64)(ptr(d))
			off := *(*uint64)(ptr(d + 8))
			nl := int(*(*uint32)(ptr(d + 16)))
			typ := *(*uint32)(ptr(d + 20))
			if p+virtio.FuseDirentLen+nl > n {
				break
			}
			reclen := (19 + nl + 1 + 7) &^ 7
			if w+reclen > len(b) {
				if w == 0 {
					e = -EINVAL
				}
				break
			}
			out := b[w : w+reclen]
			clear(out)
			*(*uint64)(ptrTo(&out[0])) = ino
			*(*uint64)(ptrTo(&out[8])) = off
			*(*uint16)(ptrTo(&out[16])) = uint16(reclen)
			out[18] = byte(typ)
			copy(out[19:], unsafeSlice(d+virtio.FuseDirentLen, uintptr(nl)))
			w += reclen
			f.off = int64(off)
			p += (virtio.FuseDirentLen + nl + 7) &^ 7
		}
	}
	m.release(s)
	if e != 0 && w == 0 {
		return e
	}
	return int64(w)
}
