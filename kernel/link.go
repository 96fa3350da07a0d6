package kernel

// link and linkat. In /tmp and the writable tree a new name of a file
// is a hard link (tmpfs_link.go), on a share the server makes it
// (FUSE_LINK, fuse_link.go); a directory is EPERM, as are the
// fixed names of /dev; /proc makes no new name; across two file systems
// the answer is EXDEV. The names are looked up as Linux does first —
// the old one must exist, the new one must not — and through links into
// other file systems (settle, rename.go). AT_EMPTY_PATH links the file
// of a descriptor, and AT_SYMLINK_FOLLOW of /proc/self/fd/N the file
// it names; one removed while open is ENOENT.

// atSymlinkFollow is linkat's AT_SYMLINK_FOLLOW.
const atSymlinkFollow = 0x400

func sysLink(oldp, newp, _, _, _, _ uintptr) int64 {
	return linkat(atFDCWD, oldp, atFDCWD, newp, 0)
}

func sysLinkat(olddirfd, oldp, newdirfd, newp, flags, _ uintptr) int64 {
	return linkat(int32(olddirfd), oldp, int32(newdirfd), newp, int32(flags))
}

func linkat(olddirfd int32, oldp uintptr, newdirfd int32, newp uintptr, flags int32) int64 {
	if flags&^(atSymlinkFollow|atEmptyPath) != 0 {
		return -EINVAL
	}
	oldPath, e := userPath(oldp)
	if e != 0 {
		return e
	}
	newPath, e := userPath(newp)
	if e != 0 {
		return e
	}
	if oldPath == "" && flags&atEmptyPath != 0 {
		_, f := fdGet(uintptr(olddirfd))
		if f == nil {
			return -EBADF
		}
		return linkFile(f, newdirfd, newPath)
	}
	return twoNames(true, olddirfd, oldPath, newdirfd, newPath, uint32(flags))
}

// linkPath is linkat of oldPath to newPath; -errRedirect if a link on
// the way of either led into another file system.
func linkPath(olddirfd int32, oldPath string, newdirfd int32, newPath string, flags int32) int64 {
	follow := flags&atSymlinkFollow != 0
	if r, e, ok := procPath(olddirfd, oldPath, false); follow && ok && e == 0 && r.ent == pePidFd {
		f, e := procLinkEnd(r) // /proc/self/fd/N followed: its file
		if e != 0 {
			return e
		}
		return linkFile(f, newdirfd, newPath)
	}
	of, e := linkName(olddirfd, oldPath, follow)
	if e != 0 {
		return e
	}
	nf, e := linkName(newdirfd, newPath, false)
	if e == -ENOENT && nf == fsTree {
		if _, _, pe := lookupParent(newdirfd, newPath); pe != 0 {
			e = pe // no directory to make it in, or a read-only one
		}
	}
	switch {
	case e == 0:
		return -EEXIST
	case e != -ENOENT:
		return e
	case nf == fsProc:
		return -ENOENT // /proc makes no new name
	case of != nf:
		return -EXDEV
	case of == fsTree:
		return linkTree(olddirfd, oldPath, newdirfd, newPath, follow)
	case of >= fsShare:
		// (A share's lookups reuse the path buffers: made anew.)
		ab, bb := pathBufs()
		_, oldAbs := fuseAbs(ab, olddirfd, oldPath)
		_, newAbs := fuseAbs(bb, newdirfd, newPath)
		return fuseLink(of-fsShare, oldAbs, newAbs, follow)
	}
	return -EPERM
}

// linkName looks the name path up for link: its file system (fsTree,
// fsShare+mount, fsDev, fsProc) and 0 if it exists, ENOENT if only its
// directory does, or the lookup's errno (-errRedirect for a link into
// another file system on the way).
func linkName(dirfd int32, path string, follow bool) (int, int64) {
	if ab, _ := pathBufs0(); nfuseMounts > 0 {
		if mi, abs := fuseAbs(ab, dirfd, path); mi >= 0 {
			var st statBuf
			return fsShare + mi, fuseStat(mi, abs, follow, &st)
		}
	}
	if isDevPath(path) {
		if deviceKind(path) == fkNone && blkByPath(path) < 0 {
			return fsDev, -ENOENT // a new name in /dev
		}
		return fsDev, 0
	}
	if _, e, ok := procPath(dirfd, path, follow); ok {
		return fsProc, e
	}
	_, e := lookupAt(dirfd, path, follow)
	return fsTree, e
}
