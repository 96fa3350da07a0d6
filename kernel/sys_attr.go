package kernel

import (
	"sync/atomic"
	"unsafe"

	"github.com/gotoro/gotoro/kernel/ktime"
)

// System calls that change a file's mode, owner or modification time by
// path: chmod, fchmodat(2), chown, lchown, fchownat, utimensat, utimes,
// futimesat, utime. Each looks its path up where it lies — a device, a
// share, /proc, /tmp and the packed tree — and follows a link into
// another file system (redirect.go). /proc keeps no mode (EPERM, as
// Linux's) and accepts an owner or a time as Linux's does; a link of
// /proc out of it (fd/N, cwd, root), followed, changes its target.

func sysChmod(p, mode, _, _, _, _ uintptr) int64 {
	return fchmodat(atFDCWD, p, uint32(mode), 0)
}

func sysFchmodat(dirfd, p, mode, _, _, _ uintptr) int64 {
	return fchmodat(int32(dirfd), p, uint32(mode), 0)
}

func sysFchmodat2(dirfd, p, mode, flags, _, _ uintptr) int64 {
	return fchmodat(int32(dirfd), p, uint32(mode), int32(flags))
}

// fchmodat implements fchmodat and fchmodat2 (flags: AT_SYMLINK_NOFOLLOW,
// symlinks themselves have no mode, EOPNOTSUPP; AT_EMPTY_PATH with an
// empty path, the descriptor's file or the working directory).
func fchmodat(dirfd int32, p uintptr, mode uint32, flags int32) int64 {
	if flags&^(atSymlinkNofollow|atEmptyPath) != 0 {
		return -EINVAL
	}
	path, e := userPath(p)
	if e != 0 {
		return e
	}
	if path == "" && flags&atEmptyPath != 0 {
		if dirfd != atFDCWD {
			return sysFchmod(uintptr(dirfd), uintptr(mode), 0, 0, 0, 0)
		}
		path = "." // the working directory, as Linux
	}
	if r := attrPath(dirfd, path, attrChange{what: attrMode, mode: mode}, flags); r != -errRedirect {
		return r
	}
	return redirectCall(&pathCall{kind: callChmod, mode: mode, flags: flags}, nil)
}

// procLinkEnd is the target of r, a link of /proc out of it at a
// path's end that a call changing a file follows: the description of
// fd/N, or -errRedirect to the path of cwd or root (procLinkOut). The
// program (exe) lies in the packed tree: EROFS.
func procLinkEnd(r procRef) (*file, int64) {
	switch r.ent {
	case pePidFd:
		_, f := fdGet(uintptr(r.arg))
		if f == nil {
			return nil, -ENOENT
		}
		return f, 0
	case pePidCwd, pePidRoot:
		return nil, procLinkOut(r, "")
	}
	return nil, -EROFS
}

// staticChange is the answer of a call changing the file at path whose
// lookup in /tmp and the tree answered e: a built-in file (/etc/hosts)
// is read-only.
func staticChange(path string, e int64) int64 {
	if e == -ENOENT && len(path) > 0 && path[0] == '/' && staticFile(path) >= 0 {
		return -EROFS
	}
	return e
}

func sysFchownat(dirfd, p, uid, gid, flags, _ uintptr) int64 {
	return fchownat(int32(dirfd), p, uint32(uid), uint32(gid), int32(flags))
}

func sysChown(p, uid, gid, _, _, _ uintptr) int64 {
	return fchownat(atFDCWD, p, uint32(uid), uint32(gid), 0)
}

func sysLchown(p, uid, gid, _, _, _ uintptr) int64 {
	return fchownat(atFDCWD, p, uint32(uid), uint32(gid), atSymlinkNofollow)
}

// fchownat accepts any owner (there is one user) but checks that the file
// exists, as Linux would; a built-in device keeps its owner (dev_attr.go).
func fchownat(dirfd int32, p uintptr, uid, gid uint32, flags int32) int64 {
	if flags&^(atSymlinkNofollow|atEmptyPath) != 0 {
		return -EINVAL
	}
	path, e := userPath(p)
	if e != 0 {
		return e
	}
	if path == "" && flags&atEmptyPath != 0 {
		if dirfd == atFDCWD {
			path = "." // the working directory, as Linux
		} else {
			_, f := fdGet(uintptr(dirfd))
			if f == nil {
				return -EBADF
			}
			return fileChown(f, uid, gid)
		}
	}

	if r := attrPath(dirfd, path, attrChange{what: attrOwner, uid: uid, gid: gid}, flags); r != -errRedirect {
		return r
	}
	return redirectCall(&pathCall{kind: callChown, uid: uid, gid: gid, flags: flags}, nil)
}

const (
	utimeNow  = (1 << 30) - 1
	utimeOmit = (1 << 30) - 2
)

// mtimeKeep is attrPath's mtime that leaves the modification time as
// it is (UTIME_OMIT for it alone).
const mtimeKeep = -1 << 63

func sysUtimensat(dirfd, p, times, flags, _, _ uintptr) int64 {
	mtime := ktime.EpochNs() + ktime.Now()
	if times != 0 {
		b, ok := userBytes(times, 32, false)
		if !ok {
			return -EFAULT
		}
		ts := (*[2]timespec)(unsafe.Pointer(&b[0]))
		for _, t := range ts {
			if t.nsec != utimeNow && t.nsec != utimeOmit && (t.nsec < 0 || t.nsec >= 1e9) {
				return -EINVAL
			}
		}
		if ts[0].nsec == utimeOmit && ts[1].nsec == utimeOmit {
			return 0 // nothing to do: the path is not even looked up, as Linux
		}
		switch ts[1].nsec {
		case utimeOmit:
			mtime = mtimeKeep
		case utimeNow:
		default:
			mtime = ts[1].sec*1e9 + ts[1].nsec
		}
	}
	return utimensat(int32(dirfd), p, mtime, int32(flags))
}

// timeval is struct timeval.
type timeval struct{ sec, usec int64 }

func sysUtimes(p, times, _, _, _, _ uintptr) int64 { return futimesat(atFDCWD, p, times) }

func sysFutimesat(dirfd, p, times, _, _, _ uintptr) int64 {
	return futimesat(int32(dirfd), p, times)
}

// futimesat is utimes and futimesat: times in microseconds, NULL for
// now.
func futimesat(dirfd int32, p, times uintptr) int64 {
	mtime := ktime.EpochNs() + ktime.Now()
	if times != 0 {
		b, ok := userBytes(times, 32, false)
		if !ok {
			return -EFAULT
		}
		tv := (*[2]timeval)(unsafe.Pointer(&b[0]))
		for _, t := range tv {
			if t.usec < 0 || t.usec >= 1e6 {
				return -EINVAL
			}
		}
		mtime = tv[1].sec*1e9 + tv[1].usec*1e3
	}
	return utimensat(dirfd, p, mtime, 0)
}

// sysUtime is utime: struct utimbuf's seconds, NULL for now.
func sysUtime(p, times, _, _, _, _ uintptr) int64 {
	mtime := ktime.EpochNs() + ktime.Now()
	if times != 0 {
		b, ok := userBytes(times, 16, false)
		if !ok {
			return -EFAULT
		}
		mtime = (*[2]int64)(unsafe.Pointer(&b[0]))[1] * 1e9
	}
	return utimensat(atFDCWD, p, mtime, 0)
}

// utimensat sets the modification time (access times are not kept) to
// mtime (mtimeKeep: as it is). A NULL path with a descriptor changes
// that file.
func utimensat(dirfd int32, p uintptr, mtime int64, flags int32) int64 {
	if flags&^(atSymlinkNofollow|atEmptyPath) != 0 {
		return -EINVAL
	}
	if p == 0 && dirfd != atFDCWD {
		// Linux: a NULL path names the descriptor, and takes no flags.
		if flags != 0 {
			return -EINVAL
		}
		_, f := fdGet(uintptr(dirfd))
		if f == nil {
			return -EBADF
		}
		return fileTouch(f, mtime)
	}
	path, e := userPath(p) // NULL with AT_FDCWD: EFAULT
	if e != 0 {
		return e
	}
	if path == "" && flags&atEmptyPath != 0 {
		if dirfd == atFDCWD {
			path = "." // the working directory, as Linux
		} else {
			_, f := fdGet(uintptr(dirfd))
			if f == nil {
				return -EBADF
			}
			return fileTouch(f, mtime)
		}
	}
	if r := attrPath(dirfd, path, attrChange{what: attrMtime, mtime: mtime}, flags); r != -errRedirect {
		return r
	}
	return redirectCall(&pathCall{kind: callUtimens, size: mtime, flags: flags}, nil)
}

// fileTouch sets the modification time of the file behind description
// f: a /tmp node's or a built-in device's; other files are read-only
// here.
func fileTouch(f *file, mtime int64) int64 {
	if i := tmpNodeOf(f); i >= 0 {
		return tmpSetMtime(i, mtime)
	}
	if deviceNumber(f.kind) != 0 {
		return devTouch(f.kind, mtime)
	}
	return -EROFS
}

// tmpSetMtime sets /tmp node i's modification time (mtimeKeep: as it is).
func tmpSetMtime(i int, mtime int64) int64 {
	if mtime != mtimeKeep {
		atomic.StoreInt64(&tmp.nodes[i].mtime, mtime) // writes set it without the big lock
	}
	inotifyNotify(i, inAttrib)
	return 0
}
