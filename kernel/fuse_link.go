package kernel

import "github.com/gotoro/gotoro/internal/virtio"

// fuseLinkInLen is the size of fuse_link_in: the node to link.
const fuseLinkInLen = 8

// fuseLink is link of oldAbs to newAbs, both on share mi (following a
// last symlink of oldAbs with follow): the server makes the hard link
// (FUSE_LINK) and answers for the names (EEXIST, ENOENT); a directory
// is EPERM, as Linux answers before asking.
func fuseLink(mi int, oldAbs, newAbs string, follow bool) int64 {
	m := &fuseMounts[mi]
	if m.readOnly {
		return -EROFS
	}
	w := fwalk{m: m}
	defer0 := func(r int64) int64 { w.done(); return r }
	// fuseResolve reuses the thread's path buffers: the new name's
	// directory first, keeping only its node and the name, which lies in
	// newAbs.
	newDir, _, newLast, e := fuseResolve(&w, mi, newAbs, false, true, false)
	if e != 0 {
		return defer0(e)
	}
	if newLast == "." || newLast == ".." {
		return defer0(-EEXIST)
	}
	src, a, _, e := fuseResolve(&w, mi, oldAbs, follow, false, false)
	if e != 0 {
		return defer0(e)
	}
	if isDirMode(a.mode) {
		return defer0(-EPERM)
	}
	s := m.slot()
	in := m.slotIn[s] + virtio.FuseInHeaderLen
	*(*uint64)(ptr(in)) = src
	n := writeName(in+fuseLinkInLen, newLast)
	_, e = m.call(s, virtio.FuseLink, newDir, fuseLinkInLen+n, virtio.FuseEntryOutLen, nil, nil)
	if e == 0 {
		w.hold(*(*uint64)(ptr(m.slotOut[s] + virtio.FuseOutHeaderLen))) // the reply's lookup of the file
	}
	m.release(s)
	return defer0(e)
}
