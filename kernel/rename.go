package kernel

// rename, renameat and renameat2 across the file systems: within /tmp
// and the writable packed tree, within one share, or EXDEV between two
// file systems, as Linux answers before it looks the names up. A name
// beyond a link into another file system (a /tmp link to a share,
// /proc/self/cwd/NAME) is settled first: both paths are looked up to the
// file system their names lie in (settle), then renamed there.

func sysRenameat(olddirfd, oldp, newdirfd, newp, _, _ uintptr) int64 {
	return renameat(int32(olddirfd), oldp, int32(newdirfd), newp, 0)
}

func sysRename(oldp, newp, _, _, _, _ uintptr) int64 {
	return renameat(atFDCWD, oldp, atFDCWD, newp, 0)
}

// renameat2's flags: RENAME_NOREPLACE and RENAME_EXCHANGE.
const (
	renameNoreplace = 1
	renameExchange  = 2
)

// sysRenameat2 is renameat2: RENAME_NOREPLACE fails with EEXIST where the
// new name exists (a dangling symlink too) and the old one does;
// RENAME_EXCHANGE swaps the two names (rename_exchange.go). Both at once,
// and any other flag (RENAME_WHITEOUT, unknown ones), is EINVAL, as a
// file system without it answers.
func sysRenameat2(olddirfd, oldp, newdirfd, newp, flags, _ uintptr) int64 {
	if flags&^(renameNoreplace|renameExchange) != 0 || flags == renameNoreplace|renameExchange {
		return -EINVAL
	}
	return renameat(int32(olddirfd), oldp, int32(newdirfd), newp, uint32(flags))
}

func renameat(olddirfd int32, oldp uintptr, newdirfd int32, newp uintptr, flags uint32) int64 {
	oldPath, e := userPath(oldp)
	if e != 0 {
		return e
	}
	newPath, e := userPath(newp)
	if e != 0 {
		return e
	}
	return twoNames(false, olddirfd, oldPath, newdirfd, newPath, flags)
}

// twoNames is rename (link false) or link of oldPath to newPath with
// flags; where a link on the way of either leads into another file
// system, both names are settled first and the call made again.
func twoNames(link bool, olddirfd int32, oldPath string, newdirfd int32, newPath string, flags uint32) int64 {
	if r := twoNamesPath(link, olddirfd, oldPath, newdirfd, newPath, flags); r != -errRedirect {
		return r
	}
	var ob, nb [pathMax]byte
	od, op, nd, np, e := settleTwo(olddirfd, oldPath, newdirfd, newPath, &ob, &nb)
	if e != 0 {
		return e
	}
	if r := twoNamesPath(link, od, op, nd, np, flags); r != -errRedirect {
		return r
	}
	return -ELOOP
}

// twoNamesPath is renamePath or linkPath.
func twoNamesPath(link bool, olddirfd int32, oldPath string, newdirfd int32, newPath string, flags uint32) int64 {
	if link {
		return linkPath(olddirfd, oldPath, newdirfd, newPath, int32(flags))
	}
	return renamePath(olddirfd, oldPath, newdirfd, newPath, flags)
}

// settleTwo settles (settle) the two names of a rename or a link, in ob
// and nb.
func settleTwo(olddirfd int32, oldPath string, newdirfd int32, newPath string, ob, nb *[pathMax]byte) (int32, string, int32, string, int64) {
	od, op, e := settle(olddirfd, oldPath, ob)
	if e != 0 {
		return 0, "", 0, "", e
	}
	nd, np, e := settle(newdirfd, newPath, nb)
	return od, op, nd, np, e
}

// settle is where the name path (relative to dirfd) lies: path itself if
// its lookup meets no link into another file system before its last
// name, else the absolute path that lookup leads to, in out.
func settle(dirfd int32, path string, out *[pathMax]byte) (int32, string, int64) {
	r := settlePath(dirfd, path, out)
	if r == -errRedirect {
		r = redirectCall(&pathCall{kind: callSettle}, out)
	}
	if r < 0 {
		return 0, "", r
	}
	if r == 0 {
		return dirfd, path, 0
	}
	return atFDCWD, unsafeString(out[:r]), 0
}

// settlePath looks up all but the last name of path: -errRedirect if a
// link on the way leads into another file system; else the length of
// path made absolute in out (0 for path as it is, when dirfd is not
// AT_FDCWD and out is not needed), or an errno.
func settlePath(dirfd int32, path string, out *[pathMax]byte) int64 {
	if _, e, ok := procPath(dirfd, path, false); ok && e == -errRedirect {
		return e
	}
	if _, _, e := lookupParent(dirfd, path); e == -errRedirect {
		return e
	}
	if dirfd != atFDCWD {
		return 0
	}
	abs, e := absPath(out[:], dirfd, path)
	if e != 0 {
		return e
	}
	return int64(len(abs))
}

// File systems a name lies in, for rename's EXDEV.
const (
	fsTree = iota // /tmp and the packed tree (which rename tells apart)
	fsDev
	fsProc
	fsShare // a share: fsShare + its mount's index
)

// nameFS returns the file system of the name path (relative to dirfd) by
// where it lies, or -errRedirect for a link out of /proc on the way.
func nameFS(dirfd int32, path string) (int, int64) {
	if isDevPath(path) {
		return fsDev, 0 // a device or a new name in /dev
	}
	if _, e, ok := procPath(dirfd, path, false); ok {
		if e == -errRedirect {
			return 0, e
		}
		return fsProc, 0
	}
	return fsTree, 0
}

// isRootPath reports whether p names the root by slashes alone.
func isRootPath(p string) bool {
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			return false
		}
	}
	return p != ""
}

// renamePath is renameat2 of oldPath to newPath; -errRedirect if a link
// on the way of either led into another file system.
func renamePath(olddirfd int32, oldPath string, newdirfd int32, newPath string, flags uint32) int64 {
	if lastIsDot(oldPath) || lastIsDot(newPath) || isRootPath(oldPath) || isRootPath(newPath) {
		return -EBUSY // ".", ".." and the root cannot be renamed or replaced
	}
	if nfuseMounts > 0 {
		ab, bb := pathBufs()
		mi, _ := fuseAbs(ab, olddirfd, oldPath)
		mj, _ := fuseAbs(bb, newdirfd, newPath)
		if mi >= 0 || mj >= 0 {
			if mi != mj {
				return -EXDEV
			}
			if flags&renameExchange != 0 {
				return fuseExchange(mi, ab, bb, olddirfd, oldPath, newdirfd, newPath)
			}
			if flags&renameNoreplace != 0 {
				if e := fuseNoreplace(olddirfd, oldPath, newdirfd, newPath); e != 0 {
					return e
				}
			}
			// (A share's lookups reuse the path buffers: made anew.)
			_, oldAbs := fuseAbs(ab, olddirfd, oldPath)
			_, newAbs := fuseAbs(bb, newdirfd, newPath)
			return fuseRename(mi, oldAbs, newAbs)
		}
	}
	of, e := nameFS(olddirfd, oldPath)
	if e != 0 {
		return e
	}
	nf, e := nameFS(newdirfd, newPath)
	if e != 0 {
		return e
	}
	if of != nf {
		return -EXDEV
	}
	if flags&renameExchange != 0 && of != fsTree {
		// Neither /dev's fixed devices nor /proc swap names: both names
		// are looked up first, as for a rename.
		if e := exchangeLookups(olddirfd, oldPath, newdirfd, newPath); e != 0 {
			return e
		}
		return -EPERM
	}
	switch of {
	case fsDev:
		if deviceKind(oldPath) == fkNone && blkByPath(oldPath) < 0 {
			return -ENOENT
		}
		return -EPERM // the devices are fixed
	case fsProc:
		// /proc renames nothing; a new name there does not exist.
		if _, e, _ := procPath(olddirfd, oldPath, false); e != 0 {
			return e
		}
		if _, e, _ := procPath(newdirfd, newPath, false); e != 0 {
			return e
		}
		return -EPERM
	}
	if flags&renameNoreplace != 0 {
		if _, e := lookupAt(olddirfd, oldPath, false); e != 0 {
			return e
		}
		switch _, e := lookupAt(newdirfd, newPath, false); e {
		case 0:
			return -EEXIST
		case -ENOENT:
		default:
			return e
		}
	}
	if flags&renameExchange != 0 {
		return exchangeTree(olddirfd, oldPath, newdirfd, newPath)
	}
	return renameTree(olddirfd, oldPath, newdirfd, newPath)
}

// fuseNoreplace is RENAME_NOREPLACE's check on a share: the old name
// must exist, the new one must not.
func fuseNoreplace(olddirfd int32, oldPath string, newdirfd int32, newPath string) int64 {
	var st statBuf
	ab, _ := pathBufs()
	mi, abs := fuseAbs(ab, olddirfd, oldPath)
	if e := fuseStat(mi, abs, false, &st); e != 0 {
		return e
	}
	mi, abs = fuseAbs(ab, newdirfd, newPath)
	switch e := fuseStat(mi, abs, false, &st); e {
	case 0:
		return -EEXIST
	case -ENOENT:
		return 0
	default:
		return e
	}
}

// renameTree is rename within /tmp and the writable packed tree (EXDEV
// between the two).
func renameTree(olddirfd int32, oldPath string, newdirfd int32, newPath string) int64 {
	src, e := lookupAt(olddirfd, oldPath, false)
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
	ent := -1 // the entry oldPath is (a file with several names has several)
	if src.tmp {
		ent = tmpEntry(src.idx, olddirfd, oldPath)
	}
	dir, name, e := lookupParent(newdirfd, newPath)
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
	sn := &tmp.nodes[ent]
	oldDir := int(sn.parent)
	var obuf [tmpNameMax]byte
	oldName := unsafeString(obuf[:copy(obuf[:], sn.nameStr())])
	if dst := tmpChild(dir, name); dst >= 0 && tmp.nodes[dst].isWhiteout() {
		tmpUnlink(dst)
	}
	over := -1
	if dst := tmpChild(dir, name); dst >= 0 {
		if tmpIno(dst) == src.idx {
			return 0 // the same name, or two names of one file: POSIX's no-op
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
		over = tmpIno(dst)      // the file whose link count falls
		tmp.nodes[over].opens++ // freed after the move's events
		tmpUnlink(dst)
	}
	if len(name) > tmpNameMax {
		return -ENAMETOOLONG
	}
	tmpDetach(ent)
	sn.nameLen = uint8(copy(sn.name[:], name))
	tmpLink(dir, ent)
	inotifyMoved(ent, oldDir, oldName, over)
	cwdMoved()
	if over >= 0 {
		tmp.nodes[over].opens--
		tmpMaybeFree(over)
	}
	if ov.on && tmpRootOf(oldDir) == ov.root && ovLowerHas(oldDir, oldName) {
		return ovWhiteout(oldDir, oldName)
	}
	return 0
}
