package kernel

// System calls that name a file by path: open, stat (stat.go), chdir,
// readlink, access. A path is looked up where it lives: the built-in
// devices, the block devices, a shared directory (virtio-fs), /tmp, the
// packed tree, the built-in files.

const atFDCWD = -100

const (
	atSymlinkNofollow = 0x100
	atRemovedir       = 0x200
	atEmptyPath       = 0x1000
)

//go:nosplit
func sysOpenat(dirfd, p, flags, mode, _, _ uintptr) int64 {
	return openat(int32(dirfd), p, uint32(flags), uint32(mode))
}

func sysOpen(p, flags, mode, _, _, _ uintptr) int64 {
	return openat(atFDCWD, p, uint32(flags), uint32(mode))
}

func openat(dirfd int32, p uintptr, flags, mode uint32) int64 {
	path, e := userPath(p)
	if e != 0 {
		return e
	}
	if r := openPath(dirfd, path, flags, mode); r != -errRedirect {
		return r
	}
	return redirectCall(&pathCall{kind: callOpen, flags: int32(flags), mode: mode}, nil)
}

// openPath is openat of path; -errRedirect if a symlink led into another
// file system (redirect.go).
func openPath(dirfd int32, path string, flags, mode uint32) int64 {
	// O_CREAT|O_EXCL fails on any existing name, a symlink (dangling or
	// not) included, whose target it never follows or creates.
	excl := flags&(oCreat|oExcl) == oCreat|oExcl
	if isDevPath(path) {
		if excl && (deviceKind(path) != fkNone || blkByPath(path) >= 0) {
			return -EEXIST
		}
		switch path {
		case "/dev/netctl":
			return ncOpen(flags)
		case "/dev/net0":
			return netOpen(flags)
		}
		if k := deviceKind(path); k != fkNone {
			return deviceOpen(k, flags)
		}
		if u := blkByPath(path); u >= 0 {
			return blkOpen(u, flags)
		}
	}
	if ab, _ := pathBufs0(); nfuseMounts > 0 {
		if mi, abs := fuseAbs(ab, dirfd, path); mi >= 0 {
			return fuseOpen(mi, abs, flags, mode)
		}
	}
	if r, e, ok := procPath(dirfd, path, flags&oNofollow == 0); ok && e != -ENOENT {
		if e != 0 {
			return e
		}
		if flags&(oCreat|oExcl) == oCreat|oExcl {
			return -EEXIST // every name of /proc exists
		}
		return procOpenAt(r, flags)
	}
	// A last symlink is followed unless O_NOFOLLOW or O_CREAT|O_EXCL: one
	// test (flags<<1&oExcl is O_EXCL's bit where O_CREAT is set,
	// TestOpenFlagBits), where && would branch, a block under TCG in
	// every open.
	ref, e := lookupAt(dirfd, path, flags&(oNofollow|flags<<1&oExcl) == 0)
	if e == -ENOENT && len(path) > 0 && path[0] == '/' {
		if si := staticFile(path); si >= 0 {
			if excl {
				return -EEXIST
			}
			return staticOpen(si, flags)
		}
	}
	if e == -ENOENT && flags&oCreat != 0 {
		if len(path) > 0 && path[len(path)-1] == '/' {
			return -EISDIR // a new name/ (or a dangling link/): no file made
		}
		dir, name, e2 := resolveParent(dirfd, path)
		if e2 != 0 {
			return e2
		}
		if l := tmpChild(dir, name); l >= 0 && tmp.nodes[l].isSymlink() {
			return createThroughLink(dir, tmpIno(l))
		}
		i, e3 := tmpCreate(dir, name, tmpModeFile|mode&0o7777&^0o022)
		if e3 != 0 {
			return e3
		}
		inotifyNotify(i, inCreate)
		fd := openTmp(i, flags)
		if fd >= 0 {
			inotifyNotify(i, inOpen)
		}
		return fd
	}
	if e != 0 {
		return e
	}
	if excl {
		return -EEXIST
	}
	if !ref.tmp && ov.on && rootFS.IsRegular(ref.idx) && (flags&oAccMode != oRdonly || flags&oTrunc != 0) {
		// Opened for writing: the overlay copies the file up.
		if e := ovWritable(&ref); e != 0 {
			return e
		}
	}
	if ref.tmp {
		fd := tmpOpen(ref.idx, flags)
		if fd >= 0 {
			if flags&oTrunc != 0 && flags&oAccMode != oRdonly && tmp.nodes[ref.idx].mode&tmpModeMask == tmpModeFile {
				inotifyNotify(ref.idx, inModify)
			}
			inotifyNotify(ref.idx, inOpen)
		}
		return fd
	}
	return imageOpen(ref.idx, flags)
}

// createThroughLink is open with O_CREAT of a path whose last name is
// the dangling symlink l of /tmp found in directory dir: as on Linux, the link's target is
// created (looked up anew, as a redirect: a chain of dangling links ends
// at its last target, a loop in ELOOP), not a second entry of l's name.
func createThroughLink(dir, l int) int64 {
	bufs := &resolveBuf[curThread().index()]
	p, e := followTmpLink(bufs.path[0][:], tmpResult{node: dir, link: l})
	if e != 0 {
		return e
	}
	return redirectTo(&bufs.redir, p, bufs.links+1)
}

// isDevPath reports whether path names a file in /dev, where the built-in
// devices are (by their absolute paths): other paths skip their checks,
// which under TCG are translated blocks of a program's first open.
func isDevPath(path string) bool {
	const dev = "/dev/"
	return len(path) > len(dev) && path[:len(dev)] == dev
}

func sysGetcwd(buf, n, _, _, _, _ uintptr) int64 {
	if cwdDead() {
		return -ENOENT // removed, as Linux answers
	}
	p := cwdString()
	if uintptr(len(p)+1) > n {
		return -ERANGE
	}
	b, ok := userBytes(buf, uintptr(len(p)+1), true)
	if !ok {
		return -EFAULT
	}
	copy(b, p)
	b[len(p)] = 0
	return int64(len(p) + 1)
}

func sysChdir(p, _, _, _, _, _ uintptr) int64 {
	path, e := userPath(p)
	if e != 0 {
		return e
	}
	if r := chdirPath(path); r != -errRedirect {
		return r
	}
	return redirectCall(&pathCall{kind: callChdir}, nil)
}

// chdirPath is chdir to path; -errRedirect if a symlink led into another
// file system.
func chdirPath(path string) int64 {
	if ab, _ := pathBufs0(); nfuseMounts > 0 {
		if mi, abs := fuseAbs(ab, atFDCWD, path); mi >= 0 {
			var st statBuf
			if e := fuseStat(mi, abs, true, &st); e != 0 {
				return e
			}
			if !isDirMode(st.mode) {
				return -ENOTDIR
			}
			setCwd(abs)
			return 0
		}
	}
	if r, e, ok := procPath(atFDCWD, path, true); ok {
		if e != 0 {
			return e
		}
		if r.typ() == tmpModeLink {
			// A link out of /proc (cwd, root, fd/N): to its directory,
			// or ENOTDIR (procLinkOut).
			return procLinkOut(r, "")
		}
		if r.typ() != tmpModeDir {
			return -ENOTDIR
		}
		var buf [pathMax]byte
		w := procWriter{dst: buf[:]}
		procDirPath(&w, r)
		setCwd(unsafeString(buf[:w.n]))
		return 0
	}
	ref, e := lookupAt(atFDCWD, path, true)
	if e != 0 {
		return e
	}
	if ref.tmp && !tmp.nodes[ref.idx].isDir() || !ref.tmp && !rootFS.IsDir(ref.idx) {
		return -ENOTDIR
	}
	// The working directory is kept as the directory's own path, free of
	// symlinks and "..".
	if ref.tmp {
		var buf [pathMax]byte
		setCwdTmp(tmpPath(buf[:], ref.idx), ref.idx)
	} else {
		setCwd(rootFS.Path(ref.idx))
	}
	return 0
}

func sysReadlinkat(dirfd, p, buf, n, _, _ uintptr) int64 {
	return readlinkat(int32(dirfd), p, buf, n)
}

func sysReadlink(p, buf, n, _, _, _ uintptr) int64 { return readlinkat(atFDCWD, p, buf, n) }

func readlinkat(dirfd int32, p, buf, n uintptr) int64 {
	path, e := userPath(p)
	if e != 0 {
		return e
	}
	if r := readlinkPath(dirfd, path, buf, n); r != -errRedirect {
		return r
	}
	return redirectCall(&pathCall{kind: callReadlink, buf: buf, n: n}, nil)
}

// readlinkPath is readlinkat of path; -errRedirect if a symlink before
// its last component led into another file system.
func readlinkPath(dirfd int32, path string, buf, n uintptr) int64 {
	if r, e, ok := procPath(dirfd, path, false); ok && e != -ENOENT {
		if e != 0 {
			return e
		}
		b, ok := userBytes(buf, n, true)
		if !ok {
			return -EFAULT
		}
		return procReadlink(r, b)
	}
	if ab, _ := pathBufs0(); nfuseMounts > 0 {
		if mi, abs := fuseAbs(ab, dirfd, path); mi >= 0 {
			b, ok := userBytes(buf, n, true)
			if !ok {
				return -EFAULT
			}
			return fuseReadlink(mi, abs, b)
		}
	}
	ref, e := lookupAt(dirfd, path, false)
	if e != 0 {
		return e
	}
	var tbuf [pathMax]byte
	var t string
	switch {
	case ref.tmp && tmp.nodes[ref.idx].isSymlink():
		t = tmpLinkTarget(tbuf[:], ref.idx)
	case !ref.tmp && rootFS.IsSymlink(ref.idx):
		t = rootFS.LinkTarget(ref.idx)
	default:
		return -EINVAL
	}
	b, ok := userBytes(buf, min(n, uintptr(len(t))), true)
	if !ok {
		return -EFAULT
	}
	return int64(copy(b, t))
}

// sysFaccessat is faccessat and faccessat2 (whose flags change nothing for
// the one user, root).
func sysFaccessat(dirfd, p, mode, _, _, _ uintptr) int64 {
	return faccessat(int32(dirfd), p, uint32(mode))
}

func sysAccess(p, mode, _, _, _, _ uintptr) int64 { return faccessat(atFDCWD, p, uint32(mode)) }

// atEaccess is faccessat2's AT_EACCESS (the effective IDs: the same here).
const atEaccess = 0x200

// accessStat is sysFaccessat2's stat buffer (system calls on files run
// under the big lock; a local one would escape through procStatAt's
// interface call).
var accessStat statBuf

// sysFaccessat2 is faccessat with flags: AT_SYMLINK_NOFOLLOW checks a last
// symlink itself (its mode is 0777: allowed), AT_EMPTY_PATH with an empty
// path the descriptor's file; other flags are EINVAL.
func sysFaccessat2(dirfd, p, mode, flags, _, _ uintptr) int64 {
	if flags&^(atEaccess|atSymlinkNofollow|atEmptyPath) != 0 {
		return -EINVAL
	}
	if flags&(atSymlinkNofollow|atEmptyPath) != 0 {
		path, e := userPath(p)
		if e != 0 {
			return e
		}
		if path == "" && flags&atEmptyPath != 0 {
			if _, f := fdGet(dirfd); f == nil {
				return -EBADF
			}
			return 0
		}
		if flags&atSymlinkNofollow != 0 {
			r := fstatatPath(int32(dirfd), path, &accessStat, atSymlinkNofollow)
			if r == -errRedirect {
				r = redirectCall(&pathCall{kind: callStat, st: &accessStat, flags: atSymlinkNofollow}, nil)
			}
			if r != 0 {
				return r
			}
			if isLinkMode(accessStat.mode) {
				return 0
			}
		}
	}
	return faccessat(int32(dirfd), p, uint32(mode))
}

func faccessat(dirfd int32, p uintptr, mode uint32) int64 {
	path, e := userPath(p)
	if e != 0 {
		return e
	}
	if r := faccessPath(dirfd, path, mode); r != -errRedirect {
		return r
	}
	return redirectCall(&pathCall{kind: callAccess, mode: mode}, nil)
}

// faccessPath is faccessat of path; -errRedirect if a symlink led into
// another file system.
func faccessPath(dirfd int32, path string, mode uint32) int64 {
	if deviceKind(path) != fkNone {
		return 0
	}
	if ab, _ := pathBufs0(); nfuseMounts > 0 {
		if mi, abs := fuseAbs(ab, dirfd, path); mi >= 0 {
			return fuseAccess(mi, abs, mode)
		}
	}
	if r, e, ok := procPath(dirfd, path, true); ok && e != -ENOENT {
		if e != 0 {
			return e
		}
		st := &procStatBuf
		if e := procStatAt(r, st, true); e != 0 {
			return e
		}
		if r.typ() != tmpModeLink && (mode&2 != 0 && st.mode&0o222 == 0 || mode&1 != 0 && st.mode&0o111 == 0) {
			return -EACCES
		}
		return 0
	}
	ref, e := lookupAt(dirfd, path, true)
	if e != 0 {
		return e
	}
	m := uint32(0)
	if ref.tmp {
		m = tmp.nodes[ref.idx].mode
	} else {
		if mode&2 != 0 && !ov.on {
			return -EROFS
		}
		m = rootFS.Mode(ref.idx)
	}
	if mode&1 != 0 && m&0o111 == 0 {
		return -EACCES
	}
	return 0
}
