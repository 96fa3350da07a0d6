package kernel

import "github.com/gotoro/gotoro/internal/virtio"

// mknod and mkfifo: FIFOs (fifo.go), device nodes, regular files and
// socket inodes in /tmp and in the writable packed tree, as Linux's
// do_mknodat makes them. A character device node whose number is one of
// the kernel's own devices (/dev/null, /dev/zero, /dev/urandom, the
// console) opens that device; other device nodes stat as made and open
// as ENXIO, as on Linux without a driver for the number. On a shared
// directory only regular files are made (FUSE_MKNOD on the host); FIFOs,
// sockets and devices there would be the host's objects, which the guest
// cannot open as its own (EOPNOTSUPP, as for socket inodes: unixBind).

func sysMknodat(dirfd, p, mode, dev, _, _ uintptr) int64 {
	return mknodat(int32(dirfd), p, uint32(mode), uint32(dev))
}

func sysMknod(p, mode, dev, _, _, _ uintptr) int64 {
	return mknodat(atFDCWD, p, uint32(mode), uint32(dev))
}

// mknodType returns the file type mknod makes for mode (none means a
// regular file) and the device number it keeps (devices only), or the
// error Linux's may_mknod gives.
func mknodType(mode, dev uint32) (uint32, uint32, int64) {
	typ := mode & tmpModeMask
	switch typ {
	case 0:
		return tmpModeFile, 0, 0
	case tmpModeChr, tmpModeBlk:
		return typ, dev, 0
	case tmpModeFile, tmpModeFifo, tmpModeSock:
		return typ, 0, 0
	case tmpModeDir:
		return 0, 0, -EPERM // mkdir makes directories
	}
	return 0, 0, -EINVAL
}

func mknodat(dirfd int32, p uintptr, mode, dev uint32) int64 {
	typ, dev, e := mknodType(mode, dev)
	if e != 0 {
		return e
	}
	path, e := userPath(p)
	if e != 0 {
		return e
	}
	mode = typ | mode&0o7777
	if r := mknodPath(dirfd, path, mode, dev); r != -errRedirect {
		return r
	}
	return redirectCall(&pathCall{kind: callMknod, mode: mode, dev: dev}, nil)
}

// mknodPath makes the node path of mode (its type and permissions) and
// device number dev; -errRedirect if a link on the way led into another
// file system.
func mknodPath(dirfd int32, path string, mode, dev uint32) int64 {
	if ab, _ := pathBufs0(); nfuseMounts > 0 {
		if mi, abs := fuseAbs(ab, dirfd, path); mi >= 0 {
			if mode&tmpModeMask != tmpModeFile {
				return -EOPNOTSUPP
			}
			return fuseMknod(mi, abs, mode)
		}
	}
	if e, ok := existsElsewhere(dirfd, path); ok {
		return e
	}
	i, e := createPath(dirfd, path, mode&tmpModeMask|mode&0o7777&^0o022)
	if e != 0 {
		return e
	}
	tmp.nodes[i].rdev = dev
	return 0
}

// fuseMknod makes the regular file abs on share mi (mode, rdev, umask,
// padding).
func fuseMknod(mi int, abs string, mode uint32) int64 {
	return fuseCreateEntry(mi, abs, virtio.FuseMknod, virtio.FuseMknodInLen, [4]uint32{mode, 0, 0o022, 0})
}
