package kernel

import "github.com/gotoro/gotoro/internal/virtio"

// Calls that make a symlink on a share or change a share file's mode or
// modification time by path (FUSE_SYMLINK, FUSE_SETATTR).

// fuseSymlink is symlinkat of abs on share mi, a link to target.
func fuseSymlink(mi int, abs, target string) int64 {
	m := &fuseMounts[mi]
	if m.readOnly {
		return -EROFS
	}
	w := fwalk{m: m}
	dir, _, last, e := fuseResolve(&w, mi, abs, false, true, false)
	if e == -EBUSY {
		e = -EEXIST
	}
	if e == 0 && (last == "." || last == "..") {
		e = -EEXIST
	}
	if e == 0 && virtio.FuseInHeaderLen+len(last)+len(target)+2 > pageSize {
		e = -ENAMETOOLONG
	}
	if e != 0 {
		w.done()
		return e
	}
	s := m.slot()
	in := m.slotIn[s] + virtio.FuseInHeaderLen
	n := writeName(in, last)
	n += writeName(in+n, target)
	_, e = m.call(s, virtio.FuseSymlink, dir, n, virtio.FuseEntryOutLen, nil, nil)
	if e == 0 {
		w.hold(*(*uint64)(ptr(m.slotOut[s] + virtio.FuseOutHeaderLen)))
	}
	m.release(s)
	w.done()
	return e
}

// fuseSetattr sets the attributes valid names (virtio.FattrMode: mode's
// permission bits; virtio.FattrMtime: mtime, in nanoseconds since the
// epoch) of abs on share mi, following a last symlink if follow (a link
// itself has no mode: EOPNOTSUPP).
func fuseSetattr(mi int, abs string, follow bool, valid uint32, mode uint32, mtime int64) int64 {
	m := &fuseMounts[mi]
	w := fwalk{m: m}
	node, a, _, e := fuseResolve(&w, mi, abs, follow, false, false)
	switch {
	case e != 0:
	case m.readOnly:
		e = -EROFS
	case isLinkMode(a.mode) && valid&virtio.FattrMode != 0:
		e = -EOPNOTSUPP
	}
	if e != 0 {
		w.done()
		return e
	}
	s := m.slot()
	in := m.slotIn[s] + virtio.FuseInHeaderLen
	clear(unsafeSlice(in, virtio.FuseSetattrInLen))
	// struct fuse_setattr_in: valid, fh, size, lock_owner, atime, mtime,
	// ctime (8 bytes each after valid and its padding), then atimensec,
	// mtimensec, ctimensec, mode (4 bytes each).
	*(*uint32)(ptr(in)) = valid
	*(*uint64)(ptr(in + 40)) = uint64(mtime / 1e9)
	*(*uint32)(ptr(in + 60)) = uint32(mtime % 1e9)
	*(*uint32)(ptr(in + 68)) = a.mode&tmpModeMask | mode&0o7777
	_, e = m.call(s, virtio.FuseSetattr, node, virtio.FuseSetattrInLen, virtio.FuseAttrOutLen, nil, nil)
	m.release(s)
	w.done()
	return e
}
