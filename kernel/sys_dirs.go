package kernel

// System calls that change the directory tree: in /tmp, and in the packed
// tree when the overlay makes it writable (overlay.go).

// createPath makes a new /tmp entry (or the writable tree's) with mode
// at path; -errRedirect if a link on the way led into another file
// system (redirect.go).
func createPath(dirfd int32, path string, mode uint32) (int, int64) {
	switch _, e := lookupAt(dirfd, trimDirSuffix(path), false); e {
	case 0:
		return -1, -EEXIST // whatever it is: "file/" names an existing file too
	case -errRedirect:
		return -1, e
	}
	if mode&tmpModeMask != tmpModeDir && len(path) > 0 && path[len(path)-1] == '/' {
		return -1, -ENOENT // a new name/ can only be a directory (as Linux)
	}
	dir, name, e := lookupParent(dirfd, path)
	if e != 0 {
		return -1, e
	}
	i, e := tmpCreate(dir, name, mode)
	if e == 0 && mode&tmpModeMask != tmpModeLink {
		inotifyNotify(i, inCreate)
	}
	return i, e
}

// existsElsewhere is the answer of a call that creates the file at path
// (mkdir, symlink, mknod) where path lies outside /tmp, the packed tree
// and the shares: EEXIST for a device, a name of /proc or a built-in
// file; ENOENT for a new name in /proc, which makes none (as Linux);
// -errRedirect for a link out of /proc on the way. ok is false elsewhere.
func existsElsewhere(dirfd int32, path string) (int64, bool) {
	p := trimDirSuffix(path)
	if deviceKind(p) != fkNone || blkByPath(p) >= 0 {
		return -EEXIST, true
	}
	if underFile(p) {
		return -ENOTDIR, true
	}
	if _, e, ok := procPath(dirfd, path, false); ok {
		if e == 0 {
			e = -EEXIST
		}
		return e, true
	}
	if len(p) > 0 && p[0] == '/' && staticFile(p) >= 0 {
		return -EEXIST, true
	}
	return 0, false
}

// underFile reports whether the absolute path p names a file below a
// device or a built-in file (/dev/null/x), which are no directories.
func underFile(p string) bool {
	if len(p) < 2 || p[0] != '/' {
		return false
	}
	d := parentOf(p)
	return deviceKind(d) != fkNone || blkByPath(d) >= 0 || staticFile(d) >= 0
}

func sysMkdirat(dirfd, p, mode, _, _, _ uintptr) int64 {
	return mkdirat(int32(dirfd), p, uint32(mode))
}

func sysMkdir(p, mode, _, _, _, _ uintptr) int64 { return mkdirat(atFDCWD, p, uint32(mode)) }

func mkdirat(dirfd int32, p uintptr, mode uint32) int64 {
	path, e := userPath(p)
	if e != 0 {
		return e
	}
	if r := mkdirPath(dirfd, path, mode); r != -errRedirect {
		return r
	}
	return redirectCall(&pathCall{kind: callMkdir, mode: mode}, nil)
}

// mkdirPath is mkdirat of path; -errRedirect if a link on the way led
// into another file system.
func mkdirPath(dirfd int32, path string, mode uint32) int64 {
	if ab, _ := pathBufs0(); nfuseMounts > 0 {
		if mi, abs := fuseAbs(ab, dirfd, path); mi >= 0 {
			return fuseMkdir(mi, abs, mode)
		}
	}
	if e, ok := existsElsewhere(dirfd, path); ok {
		return e
	}
	_, e := createPath(dirfd, path, tmpModeDir|mode&0o7777&^0o022)
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
	path, e := userPath(linkp)
	if e != 0 {
		return e
	}
	if target == "" {
		return -ENOENT
	}
	if r := symlinkPath(target, dirfd, path); r != -errRedirect {
		return r
	}
	return redirectCall(&pathCall{kind: callSymlink, target: target}, nil)
}

// symlinkPath makes path a symlink to target; -errRedirect if a link on
// the way led into another file system.
func symlinkPath(target string, dirfd int32, path string) int64 {
	if ab, _ := pathBufs0(); nfuseMounts > 0 {
		if mi, abs := fuseAbs(ab, dirfd, path); mi >= 0 {
			return fuseSymlink(mi, abs, target)
		}
	}
	if e, ok := existsElsewhere(dirfd, path); ok {
		return e
	}
	i, e := createPath(dirfd, path, tmpModeLink|0o777)
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
	if flags&^atRemovedir != 0 {
		return -EINVAL // before the path, as Linux
	}
	path, e := userPath(p)
	if e != 0 {
		return e
	}
	if flags&atRemovedir != 0 {
		if r := rmdirLast(path); r != 0 {
			return r
		}
	}
	if r := unlinkPath(dirfd, path, flags); r != -errRedirect {
		return r
	}
	return redirectCall(&pathCall{kind: callUnlink, flags: flags}, nil)
}

// unlinkPath is unlinkat of path (rmdir with AT_REMOVEDIR); -errRedirect
// if a link on the way led into another file system. The devices, the
// names of /proc and the built-in files cannot be removed: EPERM as
// Linux's /proc answers (a directory's own files), ENOTDIR for rmdir of
// one that is no directory, EROFS for a built-in file.
func unlinkPath(dirfd int32, path string, flags int32) int64 {
	if ab, _ := pathBufs0(); nfuseMounts > 0 {
		if mi, abs := fuseAbs(ab, dirfd, path); mi >= 0 {
			return fuseUnlink(mi, abs, flags&atRemovedir != 0)
		}
	}
	if deviceKind(path) != fkNone || blkByPath(path) >= 0 {
		if flags&atRemovedir != 0 {
			return -ENOTDIR
		}
		return -EPERM
	}
	if underFile(path) {
		return -ENOTDIR
	}
	if r, e, ok := procPath(dirfd, path, false); ok {
		// /proc removes nothing: EPERM, but for the answers Linux's
		// checks of the name's type give first (found with the native
		// oracle: only for /proc itself, the entries of its root and
		// the links of fd/).
		rmdir := flags&atRemovedir != 0
		inRoot := procTable[r.ent].parent == peRoot && r.ent != peRoot
		switch {
		case e != 0:
		case r.ent == peRoot && rmdir:
			e = -EBUSY // a mount point
		case r.ent == peRoot:
			e = -EISDIR
		case rmdir && r.typ() != tmpModeDir && (inRoot || r.ent == pePidFd):
			e = -ENOTDIR // self, mounts, cpuinfo, fd/N
		default:
			e = -EPERM
		}
		return e
	}
	if t := trimDirSuffix(path); len(t) < len(path) && !lastIsDot(path) {
		// Neither call follows the last name: with a trailing slash,
		// a link there is ENOTDIR (rmdir would remove its target).
		if ref, e := lookupAt(dirfd, t, false); e == 0 && refIsLink(ref) {
			return -ENOTDIR
		}
	}
	ref, e := lookupAt(dirfd, path, false)
	if e == -ENOENT && len(path) > 0 && path[0] == '/' && staticFile(path) >= 0 {
		if flags&atRemovedir != 0 {
			return -ENOTDIR
		}
		return -EROFS
	}
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
	ent := tmpEntry(ref.idx, dirfd, path) // the name path is, of a file with several
	dir := int(tmp.nodes[ent].parent)
	var nbuf [tmpNameMax]byte
	name := unsafeString(nbuf[:copy(nbuf[:], tmp.nodes[ent].nameStr())])
	isDir := n.isDir()
	if !isDir {
		inotifySelf(ref.idx, inAttrib) // its link count fell
	}
	tmpUnlink(ent)
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

func sysTruncate(p, size, _, _, _, _ uintptr) int64 { return truncate(p, int64(size)) }

func truncate(p uintptr, size int64) int64 {
	path, e := userPath(p)
	if e != 0 {
		return e
	}
	if r := truncatePath(path, size); r != -errRedirect {
		return r
	}
	return redirectCall(&pathCall{kind: callTruncate, size: size}, nil)
}

// truncatePath is truncate of path; -errRedirect if a symlink led into
// another file system (redirect.go). A device is no regular file:
// EINVAL, as Linux answers.
func truncatePath(path string, size int64) int64 {
	if deviceKind(path) != fkNone || blkByPath(path) >= 0 {
		return -EINVAL
	}
	if r, e, ok := procPath(atFDCWD, path, true); ok && e == 0 && r.typ() == tmpModeLink && r.ent == pePidFd {
		if res, done := truncateByFD(uintptr(r.arg), size); done {
			return res // truncate_fd.go
		}
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

// rmdirLast is Linux's answer to rmdir of a path whose last component is
// no name: "." EINVAL, ".." ENOTEMPTY, the root EBUSY; 0 for a name.
func rmdirLast(p string) int64 {
	if p == "" {
		return 0 // ENOENT from the lookup
	}
	for len(p) > 1 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	i := len(p)
	for i > 0 && p[i-1] != '/' {
		i--
	}
	switch p[i:] {
	case ".":
		return -EINVAL
	case "..":
		return -ENOTEMPTY
	case "":
		return -EBUSY // "/" (or "//"): the root
	}
	return 0
}

// refIsLink reports whether ref is a symbolic link.
func refIsLink(ref nodeRef) bool {
	if ref.tmp {
		return tmp.nodes[ref.idx].isSymlink()
	}
	return isLinkMode(rootFS.Mode(ref.idx))
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
