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
		return fstat(uintptr(dirfd), buf)
	}
	b, ok := userBytes(buf, unsafe.Sizeof(statBuf{}), true)
	if !ok {
		return -EFAULT
	}
	if k := deviceKind(path); k != fkNone {
		return devStat(statPtr(b), k, 0o020666)
	}
	if u := blkByPath(path); u >= 0 {
		return fillBlkStat(statPtr(b), u)
	}
	if ab, _ := pathBufs0(); nfuseMounts > 0 {
		if mi, abs := fuseAbs(ab, dirfd, path); mi >= 0 {
			return fuseStat(mi, abs, flags&atSymlinkNofollow == 0, statPtr(b))
		}
	}
	if r, e, ok := procPath(dirfd, path, flags&atSymlinkNofollow == 0); ok && e != -ENOENT {
		if e != 0 {
			return e
		}
		return procStatAt(r, statPtr(b), flags&atSymlinkNofollow == 0)
	}
	ref, e := resolveAt(dirfd, path, flags&atSymlinkNofollow == 0)
	if e == -ENOENT && len(path) > 0 && path[0] == '/' {
		if si := staticFile(path); si >= 0 {
			return staticStat(statPtr(b), si)
		}
	}
	if e != 0 {
		return e
	}
	if ref.tmp {
		return fillTmpStat(statPtr(b), ref.idx)
	}
	return imageStat(statPtr(b), ref.idx)
}
