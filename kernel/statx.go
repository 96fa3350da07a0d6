package kernel

import "unsafe"

// statx(2): the lookup is fstatat's (fstatatPath and its redirects, or
// the descriptor's own stat with AT_EMPTY_PATH) into a struct stat on the
// stack, converted to struct statx. What the kernel's file systems keep
// is the basic set (STATX_BASIC_STATS: type, mode, nlink, uid, gid,
// times with nanoseconds where the file system has them, ino, size,
// blocks); none keeps a creation time, so STATX_BTIME is never in
// stx_mask. stx_mnt_id is the mount's id in /proc/self/mountinfo, for
// files of a mount listed there (STATX_MNT_ID set only then).

// Flags statx accepts (Linux's include/uapi/linux/fcntl.h).
const (
	atNoAutomount      = 0x800
	atStatxForceSync   = 0x2000
	atStatxDontSync    = 0x4000
	atStatxSyncType    = atStatxForceSync | atStatxDontSync
	statxAcceptedFlags = atSymlinkNofollow | atNoAutomount | atEmptyPath | atStatxSyncType
)

// stx_mask bits (include/uapi/linux/stat.h).
const (
	statxBasicStats   = 0x7ff // type, mode, nlink, uid, gid, atime, mtime, ctime, ino, size, blocks
	statxMntID        = 0x1000
	statxMntIDUnique  = 0x4000
	statxReservedMask = 0x80000000
)

// stx_attributes bits the kernel reports (the others are never set).
const (
	statxAttrAutomount = 0x1000
	statxAttrMountRoot = 0x2000
	statxAttrDAX       = 0x200000
	statxAttrsKnown    = statxAttrAutomount | statxAttrMountRoot | statxAttrDAX
)

// statxTimestamp is struct statx_timestamp.
type statxTimestamp struct {
	sec  int64
	nsec uint32
	_    int32
}

// statxBuf is struct statx (256 bytes on every architecture).
type statxBuf struct {
	mask           uint32
	blksize        uint32
	attributes     uint64
	nlink          uint32
	uid, gid       uint32
	mode           uint16
	_              uint16
	ino            uint64
	size           uint64
	blocks         uint64
	attributesMask uint64
	atime, btime   statxTimestamp
	ctime, mtime   statxTimestamp
	rdevMajor      uint32
	rdevMinor      uint32
	devMajor       uint32
	devMinor       uint32
	mntID          uint64
	_              [13]uint64
}

func sysStatx(dirfd, p, flags, mask, buf, _ uintptr) int64 {
	return statx(int32(dirfd), p, uint32(flags), uint32(mask), buf)
}

// statx looks the file up as fstatat does and writes its struct statx to
// buf. The checks come in Linux's order: the mask and the flags (EINVAL),
// then the path (EFAULT, ENAMETOOLONG: Linux copies the path first but
// reports its error only at the lookup), the lookup, then the buffer
// (EFAULT).
func statx(dirfd int32, p uintptr, flags, mask uint32, buf uintptr) int64 {
	if mask&statxReservedMask != 0 || flags&atStatxSyncType == atStatxSyncType || flags&^statxAcceptedFlags != 0 {
		return -EINVAL
	}
	var path string
	if p != 0 || flags&atEmptyPath == 0 {
		// A NULL path with AT_EMPTY_PATH names the descriptor, as "".
		var e int64
		if path, e = userPath(p); e != 0 {
			return e
		}
	}
	if r := statxLookup(dirfd, path, int32(flags), &statxStat); r != 0 {
		return r
	}
	// The answer is copied before the buffer is touched: a write to it
	// may fault in a page of a virtio-fs file and block, and while this
	// thread is away another statx may fill statxStat.
	st := statxStat
	b, ok := userBytes(buf, unsafe.Sizeof(statxBuf{}), true)
	if !ok {
		return -EFAULT
	}
	fillStatx((*statxBuf)(unsafe.Pointer(&b[0])), &st, mask)
	return 0
}

// statxStat is statx's struct stat, filled by the lookup (not on the
// stack: a descriptor's stat method, an interface call, would move it to
// the heap). statx runs under the big kernel lock, which a lookup that
// blocks (a virtio-fs request) drops; every file system fills st after
// its last request, so the lookup that returns last wrote it last.
var statxStat statBuf

// statxLookup is fstatat's lookup into st: the descriptor itself for an
// empty path with AT_EMPTY_PATH (the working directory for AT_FDCWD),
// else the path through every file system and the links between them.
func statxLookup(dirfd int32, path string, flags int32, st *statBuf) int64 {
	if path == "" {
		if flags&atEmptyPath == 0 {
			return -ENOENT
		}
		if dirfd != atFDCWD {
			_, f := fdGet(uintptr(dirfd))
			if f == nil {
				return -EBADF
			}
			return f.ops().stat(f, st)
		}
		path = "."
	}
	if r := fstatatPath(dirfd, path, st, flags); r != -errRedirect {
		return r
	}
	return redirectCall(&pathCall{kind: callStat, st: st, flags: flags}, nil)
}

// fillStatx converts st to struct statx into out, for a request of mask
// (STATX_MNT_ID_UNIQUE asks for the unique mount id: the kernel's ids are
// never reused, so it is the same number).
func fillStatx(out *statxBuf, st *statBuf, mask uint32) {
	*out = statxBuf{
		mask:    statxBasicStats,
		blksize: uint32(st.blksize),
		nlink:   uint32(st.nlink),
		uid:     st.uid,
		gid:     st.gid,
		mode:    uint16(st.mode),
		ino:     st.ino,
		size:    uint64(st.size),
		blocks:  uint64(st.blocks),
		atime:   statxTimestamp{sec: st.atime, nsec: uint32(st.atimeNs)},
		mtime:   statxTimestamp{sec: st.mtime, nsec: uint32(st.mtimeNs)},
		ctime:   statxTimestamp{sec: st.ctime, nsec: uint32(st.ctimeNs)},

		attributesMask: statxAttrsKnown,
	}
	out.rdevMajor, out.rdevMinor = devMajor(st.rdev), devMinor(st.rdev)
	out.devMajor, out.devMinor = devMajor(st.dev), devMinor(st.dev)
	if id := mountIDOf(st.dev); id > 0 && (st.dev != devDev || isDeviceMode(st.mode)) {
		out.mntID = uint64(id)
		if mask&statxMntIDUnique != 0 {
			out.mask |= statxMntIDUnique
		} else {
			out.mask |= statxMntID
		}
	}
	if isMountRoot(st.dev, st.ino) {
		out.attributes |= statxAttrMountRoot
	}
}

// devMajor and devMinor split a device number as glibc's major(3) and
// minor(3) do (Linux's encoding: minor bits 0-7 and 20-39, major bits
// 8-19 and 40-63).
func devMajor(d uint64) uint32 { return uint32(d>>8&0xfff | d>>32&^0xfff) }

func devMinor(d uint64) uint32 { return uint32(d&0xff | d>>12&^0xff) }

// Device numbers (st_dev) of the kernel's file systems.
const (
	devImage = 1
	devTmp   = 2
	devDev   = 5
	devFuse0 = 16 // a share's: devFuse0 + its index (0:16 on)
)

// isDeviceMode reports whether mode is a device's: the pipes, eventfds
// and epoll instances share /dev's device number but are in no mount.
func isDeviceMode(mode uint32) bool {
	return mode&tmpModeMask == tmpModeChr || mode&tmpModeMask == tmpModeBlk
}

// mountIDOf is the id /proc/self/mountinfo gives the mount whose files
// have st_dev dev (genMounts), or 0 for files of no listed mount (the
// built-in files, pipes, sockets, eventfds) and for the writable tree's
// files, which share /tmp's device number.
func mountIDOf(dev uint64) int {
	switch {
	case dev == devImage:
		return 1
	case dev == devDev:
		return 2
	case dev == procDev:
		return 3
	case dev == devTmp && !ov.on:
		return 4
	case dev >= devFuse0 && dev < devFuse0+uint64(nfuseMounts):
		return 5 + int(dev-devFuse0)
	}
	return 0
}

// isMountRoot reports whether the file with st_dev dev and st_ino ino is
// the root of its mount: /, /tmp, /proc, a share's root (whose inode
// number, the host's, its first GETATTR recorded: statx of the root asks
// for one before this check).
func isMountRoot(dev, ino uint64) bool {
	if dev >= devFuse0 && dev < devFuse0+uint64(nfuseMounts) {
		m := &fuseMounts[dev-devFuse0]
		return m.rootSeen && ino == m.rootIno
	}
	switch dev {
	case devImage:
		return ino == uint64(rootFS.Root())+1
	case devTmp:
		return ino == tmpRoot+1 || ov.on && ino == uint64(ov.root)+1
	case procDev:
		return ino == uint64(procRef{ent: peRoot}.node())+1
	}
	return false
}
