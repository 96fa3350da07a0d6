package kernel

import (
	"sync/atomic"
	"unsafe"

	"github.com/gotoro/gotoro/kernel/ktime"
)

// System calls that change the directory tree: in /tmp, and in the packed
// tree when the overlay makes it writable (overlay.go).

// createAt makes a new /tmp entry with mode at the user path p.
func createAt(dirfd int32, p uintptr, mode uint32) (int, int64) {
	path, e := userPath(p)
	if e != 0 {
		return -1, e
	}
	if _, e := resolveAt(dirfd, trimDirSuffix(path), false); e == 0 {
		return -1, -EEXIST // whatever it is: "file/" names an existing file too
	}
	if mode&tmpModeMask != tmpModeDir && len(path) > 0 && path[len(path)-1] == '/' {
		return -1, -ENOENT // a new name/ can only be a directory (as Linux)
	}
	dir, name, e := resolveParent(dirfd, path)
	if e != 0 {
		return -1, e
	}
	i, e := tmpCreate(dir, name, mode)
	if e == 0 && mode&tmpModeMask != tmpModeLink {
		inotifyNotify(i, inCreate)
	}
	return i, e
}

func sysMkdirat(dirfd, p, mode, _, _, _ uintptr) int64 {
	return mkdirat(int32(dirfd), p, uint32(mode))
}

func sysMkdir(p, mode, _, _, _, _ uintptr) int64 { return mkdirat(atFDCWD, p, uint32(mode)) }

func mkdirat(dirfd int32, p uintptr, mode uint32) int64 {
	if nfuseMounts > 0 {
		path, e := userPath(p)
		if e != 0 {
			return e
		}
		ab, _ := pathBufs()
		if mi, abs := fuseAbs(ab, dirfd, path); mi >= 0 {
			return fuseMkdir(mi, abs, mode)
		}
	}
	_, e := createAt(dirfd, p, tmpModeDir|mode&0o7777&^0o022)
	return e
}

func sysSymlinkat(target, dirfd, link, _, _, _ uintptr) int64 {
	return symlinkat(target, int32(dirfd), link)
}

func sysSymlink(target, link, _, _, _, _ uintptr) int64 { return symlinkat(target, atFDCWD, link) }

func symlinkat(targetp uintptr, dirfd int32, linkp uintptr) int64 {
	target, e := userPath(targetp)
	if e != 0 {
		return e
	}
	if target == "" {
		return -ENOENT
	}
	i, e := createAt(dirfd, linkp, tmpModeLink|0o777)
	if e != 0 {
		return e
	}
	if w := tmpWrite(i, unsafeSliceOfString(target), 0); w != int64(len(target)) {
		tmpUnlink(i)
		return -ENOSPC
	}
	inotifyNotify(i, inCreate)
	return 0
}

func sysUnlinkat(dirfd, p, flags, _, _, _ uintptr) int64 {
	return unlinkat(int32(dirfd), p, int32(flags))
}

func sysUnlink(p, _, _, _, _, _ uintptr) int64 { return unlinkat(atFDCWD, p, 0) }

func sysRmdir(p, _, _, _, _, _ uintptr) int64 { return unlinkat(atFDCWD, p, atRemovedir) }

func unlinkat(dirfd int32, p uintptr, flags int32) int64 {
	path, e := userPath(p)
	if e != 0 {
		return e
	}
	if ab, _ := pathBufs0(); nfuseMounts > 0 {
		if mi, abs := fuseAbs(ab, dirfd, path); mi >= 0 {
			return fuseUnlink(mi, abs, flags&atRemovedir != 0)
		}
	}
	ref, e := resolveAt(dirfd, path, false)
	if e != 0 {
		return e
	}
	if !ref.tmp {
		if !ov.on {
			return -EROFS
		}
		return ovUnlink(dirfd, path, ref.idx, flags)
	}
	if ref.idx == tmpRoot || ov.on && ref.idx == ov.root {
		return -EBUSY
	}
	n := &tmp.nodes[ref.idx]
	inOverlay := ov.on && tmpRootOf(ref.idx) == ov.root
	if flags&atRemovedir != 0 {
		if !n.isDir() {
			return -ENOTDIR
		}
		if inOverlay && !ovDirEmpty(ref.idx) || !inOverlay && n.nchildren > 0 {
			return -ENOTEMPTY
		}
		if inOverlay {
			ovRemoveWhiteouts(ref.idx)
		}
	} else if n.isDir() {
		return -EISDIR
	}
	dir := int(n.parent)
	var nbuf [tmpNameMax]byte
	name := unsafeString(nbuf[:copy(nbuf[:], n.nameStr())])
	isDir := n.isDir()
	if !isDir {
		inotifySelf(ref.idx, inAttrib) // its link count fell
	}
	tmpUnlink(ref.idx)
	inotifyRemoved(dir, name, isDir)
	if inOverlay && ovLowerHas(dir, name) {
		return ovWhiteout(dir, name)
	}
	return 0
}

// ovUnlink removes packed entry idx, found at path: a whiteout hides it.
func ovUnlink(dirfd int32, path string, idx int, flags int32) int64 {
	if flags&atRemovedir != 0 {
		if !rootFS.IsDir(idx) {
			return -ENOTDIR
		}
		if rootFS.NumChildren(idx) > 0 {
			return -ENOTEMPTY
		}
	} else if rootFS.IsDir(idx) {
		return -EISDIR
	}
	dir, name, e := resolveParent(dirfd, trimDirSuffix(path))
	if e != 0 {
		return e
	}
	if e := ovWhiteout(dir, name); e != 0 {
		return e
	}
	inotifyRemoved(dir, name, rootFS.IsDir(idx))
	return 0
}

func sysRenameat(olddirfd, oldp, newdirfd, newp, _, _ uintptr) int64 {
	return renameat(int32(olddirfd), oldp, int32(newdirfd), newp)
}

// renameNoreplace is renameat2's RENAME_NOREPLACE.
const renameNoreplace = 1

// sysRenameat2 is renameat2: RENAME_NOREPLACE fails with EEXIST where the
// new name exists (a dangling symlink too) and the old one does; any other
// flag (RENAME_EXCHANGE, RENAME_WHITEOUT, unknown ones) is EINVAL, as a
// file system without it answers.
func sysRenameat2(olddirfd, oldp, newdirfd, newp, flags, _ uintptr) int64 {
	switch flags {
	case 0:
	case renameNoreplace:
		if e := nameExists(int32(olddirfd), oldp); e != 0 {
			return e
		}
		switch e := nameExists(int32(newdirfd), newp); e {
		case 0:
			return -EEXIST
		case -ENOENT:
		default:
			return e
		}
	default:
		return -EINVAL
	}
	return renameat(int32(olddirfd), oldp, int32(newdirfd), newp)
}

// nameExists reports (0, or the errno of its lookup, ENOENT for none)
// whether the user path p names an entry, a symlink not followed, in
// /tmp, the packed tree or a share.
func nameExists(dirfd int32, p uintptr) int64 {
	path, e := userPath(p)
	if e != 0 {
		return e
	}
	if ab, _ := pathBufs0(); nfuseMounts > 0 {
		if mi, abs := fuseAbs(ab, dirfd, path); mi >= 0 {
			var st statBuf
			return fuseStat(mi, abs, false, &st)
		}
	}
	_, e = resolveAt(dirfd, path, false)
	return e
}

func sysRename(oldp, newp, _, _, _, _ uintptr) int64 {
	return renameat(atFDCWD, oldp, atFDCWD, newp)
}

func renameat(olddirfd int32, oldp uintptr, newdirfd int32, newp uintptr) int64 {
	oldPath, e := userPath(oldp)
	if e != 0 {
		return e
	}
	newPath, e := userPath(newp)
	if e != 0 {
		return e
	}
	if lastIsDot(oldPath) || lastIsDot(newPath) {
		return -EBUSY // "." and ".." cannot be renamed or replaced
	}
	if ab, bb := pathBufs0(); nfuseMounts > 0 {
		mi, oldAbs := fuseAbs(ab, olddirfd, oldPath)
		mj, newAbs := fuseAbs(bb, newdirfd, newPath)
		if mi >= 0 || mj >= 0 {
			if mi != mj {
				return -EXDEV
			}
			return fuseRename(mi, oldAbs, newAbs)
		}
	}
	src, e := resolveAt(olddirfd, oldPath, false)
	if e != 0 {
		return e
	}
	if !src.tmp && ov.on {
		// A packed entry moves as its upper copy (made before the target's
		// name is resolved: copying up reuses the path buffers).
		if e := ovWritable(&src); e != 0 {
			return e
		}
	}
	dir, name, e := resolveParent(newdirfd, newPath)
	if e != 0 {
		return e
	}
	if !src.tmp {
		return -EXDEV
	}
	if (requiresDir(oldPath) || requiresDir(newPath)) && !tmp.nodes[src.idx].isDir() {
		return -ENOTDIR // name/ of a file that is no directory
	}
	if src.idx == tmpRoot || ov.on && src.idx == ov.root {
		return -EBUSY
	}
	if tmpRootOf(src.idx) != tmpRootOf(dir) {
		return -EXDEV // /tmp and the packed tree are two file systems
	}
	if tmp.nodes[src.idx].isDir() && tmp.nodes[src.idx].lower != 0 {
		// A directory that merges a packed one moves whole: copy the
		// rest of it up first.
		if e := ovCopyUpTree(src.idx); e != 0 {
			return e
		}
	}
	if ov.on && tmpRootOf(dir) == ov.root && tmpChild(dir, name) < 0 && ovLowerHas(dir, name) {
		// The target exists only in the packed tree.
		lc, _ := rootFS.LookupChild(lowerOf(dir), name)
		switch {
		case rootFS.IsDir(lc) && !tmp.nodes[src.idx].isDir():
			return -EISDIR
		case rootFS.IsDir(lc) && rootFS.NumChildren(lc) > 0:
			return -ENOTEMPTY
		case !rootFS.IsDir(lc) && tmp.nodes[src.idx].isDir():
			return -ENOTDIR
		}
	}
	// A directory cannot move below itself.
	for d := dir; ; d = int(tmp.nodes[d].parent) {
		if d == src.idx {
			return -EINVAL
		}
		if tmp.nodes[d].parent == int32(d) {
			break
		}
	}
	sn := &tmp.nodes[src.idx]
	oldDir := int(sn.parent)
	var obuf [tmpNameMax]byte
	oldName := unsafeString(obuf[:copy(obuf[:], sn.nameStr())])
	if dst := tmpChild(dir, name); dst >= 0 && tmp.nodes[dst].isWhiteout() {
		tmpUnlink(dst)
	}
	over := -1
	if dst := tmpChild(dir, name); dst >= 0 {
		if dst == src.idx {
			return 0
		}
		dn := &tmp.nodes[dst]
		switch {
		case sn.isDir() && !dn.isDir():
			return -ENOTDIR
		case !sn.isDir() && dn.isDir():
			return -EISDIR
		case dn.isDir() && dn.nchildren > 0:
			return -ENOTEMPTY
		}
		over = dst
		tmp.nodes[dst].opens++ // freed after the move's events
		tmpUnlink(dst)
	}
	if len(name) > tmpNameMax {
		return -ENAMETOOLONG
	}
	sn.opens++ // keep it alive while it moves
	tmpUnlink(src.idx)
	sn.nameLen = uint8(copy(sn.name[:], name))
	tmpLink(dir, src.idx)
	sn.opens--
	inotifyMoved(src.idx, oldDir, oldName, over)
	if over >= 0 {
		tmp.nodes[over].opens--
		tmpMaybeFree(over)
	}
	if ov.on && tmpRootOf(oldDir) == ov.root && ovLowerHas(oldDir, oldName) {
		return ovWhiteout(oldDir, oldName)
	}
	return 0
}

func sysFchmodat(dirfd, p, mode, _, _, _ uintptr) int64 {
	return fchmodat(int32(dirfd), p, uint32(mode), 0)
}

func sysFchmodat2(dirfd, p, mode, flags, _, _ uintptr) int64 {
	return fchmodat(int32(dirfd), p, uint32(mode), int32(flags))
}

// fchmodat implements fchmodat and fchmodat2 (flags: only
// AT_SYMLINK_NOFOLLOW; symlinks themselves have no mode, EOPNOTSUPP).
func fchmodat(dirfd int32, p uintptr, mode uint32, flags int32) int64 {
	if flags&^atSymlinkNofollow != 0 {
		return -EINVAL
	}
	path, e := userPath(p)
	if e != 0 {
		return e
	}
	ref, e := resolveAt(dirfd, path, flags&atSymlinkNofollow == 0)
	if e != 0 {
		return e
	}
	if !ref.tmp && rootFS.IsSymlink(ref.idx) {
		return -EOPNOTSUPP
	}
	if e := ovWritable(&ref); e != 0 {
		return e
	}
	n := &tmp.nodes[ref.idx]
	if n.isSymlink() {
		return -EOPNOTSUPP
	}
	n.mode = n.mode&tmpModeMask | mode&0o7777
	inotifyNotify(ref.idx, inAttrib)
	return 0
}

func sysTruncate(p, size, _, _, _, _ uintptr) int64 { return truncate(p, int64(size)) }

func truncate(p uintptr, size int64) int64 {
	path, e := userPath(p)
	if e != 0 {
		return e
	}
	if r := truncatePath(path, size); r != -errRedirect {
		return r
	}
	return truncateRedirected(size)
}

// truncatePath is truncate of path; -errRedirect if a symlink led into
// another file system (redirect.go). A device is no regular file:
// EINVAL, as Linux answers.
func truncatePath(path string, size int64) int64 {
	if deviceKind(path) != fkNone || blkByPath(path) >= 0 {
		return -EINVAL
	}
	ref, e := lookupAt(atFDCWD, path, true)
	if e != 0 {
		return e
	}
	if !ref.tmp && rootFS.IsDir(ref.idx) {
		return -EISDIR
	}
	if e := ovWritable(&ref); e != 0 {
		return e
	}
	switch {
	case tmp.nodes[ref.idx].isDir():
		return -EISDIR
	case size < 0:
		return -EINVAL
	case size > tmpFileSpan:
		return -EFBIG
	}
	tmpTruncate(ref.idx, size)
	inotifyNotify(ref.idx, inModify)
	return 0
}

const (
	utimeNow  = (1 << 30) - 1
	utimeOmit = (1 << 30) - 2
)

func sysUtimensat(dirfd, p, times, flags, _, _ uintptr) int64 {
	return utimensat(int32(dirfd), p, times, int32(flags))
}

// utimensat sets modification times in /tmp (access times are not kept). A
// NULL path with a descriptor changes that file.
func utimensat(dirfd int32, p, times uintptr, flags int32) int64 {
	var ref nodeRef
	if p == 0 {
		_, f := fdGet(uintptr(dirfd))
		if f == nil {
			return -EBADF
		}
		i := tmpNodeOf(f)
		if i < 0 {
			return -EROFS
		}
		ref = nodeRef{tmp: true, idx: i}
	} else {
		path, e := userPath(p)
		if e != 0 {
			return e
		}
		ref, e = resolveAt(dirfd, path, flags&atSymlinkNofollow == 0)
		if e != 0 {
			return e
		}
		if e := ovWritable(&ref); e != 0 {
			return e
		}
	}
	mtime := ktime.EpochNs() + ktime.Now()
	if times != 0 {
		b, ok := userBytes(times, 32, false)
		if !ok {
			return -EFAULT
		}
		ts := (*[2]timespec)(unsafe.Pointer(&b[0]))
		switch ts[1].nsec {
		case utimeOmit:
			return 0
		case utimeNow:
		default:
			if ts[1].nsec < 0 || ts[1].nsec >= 1e9 {
				return -EINVAL
			}
			mtime = ts[1].sec*1e9 + ts[1].nsec
		}
	}
	atomic.StoreInt64(&tmp.nodes[ref.idx].mtime, mtime) // writes set it without the big lock
	inotifyNotify(ref.idx, inAttrib)
	return 0
}

// lastIsDot reports whether the last component of p is "." or "..".
func lastIsDot(p string) bool {
	for len(p) > 1 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	i := len(p)
	for i > 0 && p[i-1] != '/' {
		i--
	}
	return p[i:] == "." || p[i:] == ".."
}

// trimDirSuffix removes trailing slashes and "/." components from p.
func trimDirSuffix(p string) string {
	for len(p) > 1 {
		switch {
		case p[len(p)-1] == '/':
			p = p[:len(p)-1]
		case len(p) > 2 && p[len(p)-2:] == "/.":
			p = p[:len(p)-2]
		default:
			return p
		}
	}
	return p
}

func sysFchownat(dirfd, p, _, _, flags, _ uintptr) int64 {
	return fchownat(int32(dirfd), p, int32(flags))
}

func sysChown(p, _, _, _, _, _ uintptr) int64 { return fchownat(atFDCWD, p, 0) }

func sysLchown(p, _, _, _, _, _ uintptr) int64 { return fchownat(atFDCWD, p, atSymlinkNofollow) }

// fchownat accepts any owner (there is one user) but checks that the file
// exists, as Linux would.
func fchownat(dirfd int32, p uintptr, flags int32) int64 {
	path, e := userPath(p)
	if e != 0 {
		return e
	}
	if path == "" && flags&atEmptyPath != 0 {
		if _, f := fdGet(uintptr(dirfd)); f == nil {
			return -EBADF
		}
		return 0
	}
	_, e = resolveAt(dirfd, path, flags&atSymlinkNofollow == 0)
	return e
}

// sysLink refuses hard links, which the file systems here do not have.
func sysLink(_, _, _, _, _, _ uintptr) int64 { return -EPERM }
