package kernel

import "github.com/gotoro/gotoro/internal/virtio"

// attrPath: chmod, chown and utimensat of a path share one dispatch —
// a device, a share, /proc (its own entries, or a link of it out of it
// followed to its target), /tmp and the packed tree — and differ only in
// what each place does with the change, described by an attrChange.

// What an attrChange changes.
const (
	attrMode  = iota // chmod: mode
	attrOwner        // chown: uid, gid (any owner is accepted: there is one user)
	attrMtime        // utimensat: mtime (mtimeKeep: as it is)
)

// attrChange is the change of a chmod, chown or utimensat. It is passed
// by value: a pointer would escape (the dispatch reaches interface
// calls) and move it to the heap.
type attrChange struct {
	what     uint8
	mode     uint32
	uid, gid uint32
	mtime    int64
}

// attrPath makes change c to the file at path (relative to dirfd;
// AT_SYMLINK_NOFOLLOW in flags changes a last symlink itself);
// -errRedirect if a link on the way led into another file system.
func attrPath(dirfd int32, path string, c attrChange, flags int32) int64 {
	follow := flags&atSymlinkNofollow == 0
	if k := deviceKind(path); k != fkNone {
		return c.device(k)
	}
	if ab, _ := pathBufs0(); nfuseMounts > 0 {
		if mi, abs := fuseAbs(ab, dirfd, path); mi >= 0 {
			return c.share(mi, abs, follow)
		}
	}
	if r, e, ok := procPath(dirfd, path, follow); ok {
		switch {
		case e != 0:
			return e
		case r.typ() != tmpModeLink && c.what == attrMode:
			return -EPERM // /proc keeps no mode
		case r.typ() != tmpModeLink:
			return 0 // /proc's own files take any owner and time (and keep none)
		case !follow && c.what == attrMode:
			return -EOPNOTSUPP // a symlink has no mode
		case !follow:
			return 0
		}
		f, e := procLinkEnd(r)
		if e != 0 {
			return e
		}
		return c.file(f)
	}
	ref, e := lookupAt(dirfd, path, follow)
	if e != 0 {
		return staticChange(path, e)
	}
	return c.tree(ref)
}

// device makes c to built-in device k (dev_attr.go).
func (c attrChange) device(k fileKind) int64 {
	switch c.what {
	case attrMode:
		return devChmod(k, c.mode)
	case attrOwner:
		return devChown(k, c.uid, c.gid)
	}
	return devTouch(k, c.mtime)
}

// share makes c to abs on share mi: the host's user owns its files, so
// an owner only checks that the file exists.
func (c attrChange) share(mi int, abs string, follow bool) int64 {
	var st statBuf
	switch {
	case c.what == attrMode:
		return fuseSetattr(mi, abs, follow, virtio.FattrMode, c.mode, 0)
	case c.what == attrMtime && c.mtime != mtimeKeep:
		return fuseSetattr(mi, abs, follow, virtio.FattrMtime, 0, c.mtime)
	}
	return fuseStat(mi, abs, follow, &st)
}

// file makes c to the file behind description f.
func (c attrChange) file(f *file) int64 {
	switch c.what {
	case attrMode:
		return f.ops().chmod(f, c.mode)
	case attrOwner:
		return fileChown(f, c.uid, c.gid)
	}
	return fileTouch(f, c.mtime)
}

// tree makes c to ref, found in /tmp or the packed tree: a packed entry
// is copied up first for a mode or a time (an owner changes nothing); a
// symlink has no mode (EOPNOTSUPP).
func (c attrChange) tree(ref nodeRef) int64 {
	if c.what == attrOwner {
		return 0
	}
	if c.what == attrMode && !ref.tmp && rootFS.IsSymlink(ref.idx) {
		return -EOPNOTSUPP
	}
	if e := ovWritable(&ref); e != 0 {
		return e
	}
	if c.what == attrMtime {
		return tmpSetMtime(ref.idx, c.mtime)
	}
	if tmp.nodes[ref.idx].isSymlink() {
		return -EOPNOTSUPP
	}
	return tmpChmod(ref.idx, c.mode)
}
