package kernel

import "unsafe"

// stat and friends: fstat asks the file's kind; a path is looked up in
// the file system that has it.

// statBuf is struct stat on x86-64.
type statBuf struct {
	dev, ino, nlink       uint64
	mode, uid, gid, _     uint32
	rdev                  uint64
	size, blksize, blocks int64
	atime, atimeNs        int64
	mtime, mtimeNs        int64
	ctime, ctimeNs        int64
	_                     [3]int64
}

func sysFstat(fd, buf, _, _, _, _ uintptr) int64 { return fstat(fd, buf) }

func fstat(fd, buf uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	b, ok := userBytes(buf, unsafe.Sizeof(statBuf{}), true)
	if !ok {
		return -EFAULT
	}
	return f.ops().stat(f, statPtr(b))
}

func sysNewfstatat(dirfd, p, buf, flags, _, _ uintptr) int64 {
	return fstatat(int32(dirfd), p, buf, int32(flags))
}

func sysStat(p, buf, _, _, _, _ uintptr) int64 { return fstatat(atFDCWD, p, buf, 0) }

func sysLstat(p, buf, _, _, _, _ uintptr) int64 {
	return fstatat(atFDCWD, p, buf, atSymlinkNofollow)
}

func fstatat(dirfd int32, p, buf uintptr, flags int32) int64 {
	path, e := userPath(p)
	if e != 0 {
		return e
	}
	if path == "" && flags&atEmptyPath != 0 {
		if dirfd != atFDCWD {
			return fstat(uintptr(dirfd), buf)
		}
		path = "." // the working directory, as Linux
	}
	b, ok := userBytes(buf, unsafe.Sizeof(statBuf{}), true)
	if !ok {
		return -EFAULT
	}
	if r := fstatatPath(dirfd, path, statPtr(b), flags); r != -errRedirect {
		return r
	}
	return redirectCall(&pathCall{kind: callStat, st: statPtr(b), flags: flags}, nil)
}

// fstatatPath is fstatat of path into st; -errRedirect if a symlink led
// into another file system.
func fstatatPath(dirfd int32, path string, st *statBuf, flags int32) int64 {
	if k := deviceKind(path); k != fkNone {
		return devStat(st, k, 0o020666)
	}
	if u := blkByPath(path); u >= 0 {
		return fillBlkStat(st, u)
	}
	if ab, _ := pathBufs0(); nfuseMounts > 0 {
		if mi, abs := fuseAbs(ab, dirfd, path); mi >= 0 {
			return fuseStat(mi, abs, flags&atSymlinkNofollow == 0, st)
		}
	}
	if r, e, ok := procPath(dirfd, path, flags&atSymlinkNofollow == 0); ok && e != -ENOENT {
		if e != 0 {
			return e
		}
		return procStatAt(r, st, flags&atSymlinkNofollow == 0)
	}
	ref, e := lookupAt(dirfd, path, flags&atSymlinkNofollow == 0)
	if e == -ENOENT && len(path) > 0 && path[0] == '/' {
		if si := staticFile(path); si >= 0 {
			return staticStat(st, si)
		}
	}
	if e != 0 {
		return e
	}
	if ref.tmp {
		return fillTmpStat(st, ref.idx)
	}
	return imageStat(st, ref.idx)
}
