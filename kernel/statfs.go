package kernel

import (
	"unsafe"

	"github.com/gotoro/gotoro/internal/virtio"
	"github.com/gotoro/gotoro/kernel/mm"
)

// statfs and fstatfs: which file system a file is on, and its sizes.
//
//	/tmp          tmpfs: guest RAM pages (all of them, as the kernel has
//	              them; free ones are free), maxTmpNodes inodes
//	packed tree   read-only (ST_RDONLY), reported as EROFS's magic: its
//	              blocks are the image's, none free
//	virtio-fs     the host file system's numbers (FUSE_STATFS), FUSE's
//	              magic, ST_RDONLY for a read-only share
//	/dev files    devtmpfs (tmpfs's magic); /proc files proc's; pipes,
//	              sockets, eventfd and epoll the pseudo file systems Linux
//	              reports for them

// statfsBuf is struct statfs on x86-64.
type statfsBuf struct {
	typ, bsize                           int64
	blocks, bfree, bavail, nfiles, ffree uint64
	fsid                                 [2]int32
	namelen, frsize, flags               int64
	spare                                [4]int64
}

// File system magic numbers (linux/magic.h) and statfs flags.
const (
	tmpfsMagic     = 0x01021994
	overlayfsMagic = 0x794C7630
	erofsMagic     = 0xE0F5E1E2
	fuseMagic      = 0x65735546
	procMagic      = 0x9fa0
	sockfsMagic    = 0x534F434B
	pipefsMagic    = 0x50495045
	anonInodeMagic = 0x09041934

	stRdonly = 0x1
	stNosuid = 0x2
	stNodev  = 0x4
	stValid  = 0x20

	fuseStatfsOutLen = 80
)

func sysStatfs(p, buf, _, _, _, _ uintptr) int64 {
	path, e := userPath(p)
	if e != 0 {
		return e
	}
	b, ok := userBytes(buf, unsafe.Sizeof(statfsBuf{}), true)
	if !ok {
		return -EFAULT
	}
	st := (*statfsBuf)(unsafe.Pointer(&b[0]))
	if r := statfsPath(path, st); r != -errRedirect {
		return r
	}
	return redirectCall(&pathCall{kind: callStatfs, sfs: st}, nil)
}

// statfsPath is statfs of path into st; -errRedirect if a symlink led
// into another file system.
func statfsPath(path string, st *statfsBuf) int64 {
	if k := deviceKind(path); k != fkNone {
		statfsDev(st)
		return 0
	}
	if ab, _ := pathBufs0(); nfuseMounts > 0 {
		if mi, _ := fuseAbs(ab, atFDCWD, path); mi >= 0 {
			return statfsFuse(st, mi, 1)
		}
	}
	if _, e, ok := procPath(atFDCWD, path, true); ok && e != -ENOENT {
		if e != 0 {
			return e
		}
		return statfsPseudo(st, procMagic)
	}
	ref, e := lookupAt(atFDCWD, path, true)
	if e == -ENOENT && len(path) > 0 && path[0] == '/' {
		if si := staticFile(path); si >= 0 {
			statfsStatic(st, path)
			return 0
		}
	}
	if e != 0 {
		return e
	}
	switch {
	case ref.tmp:
		statfsTmpNode(st, ref.idx)
	case ov.on:
		statfsOverlay(st)
	default:
		statfsImage(st)
	}
	return 0
}

// statfsOverlay describes the writable packed tree (overlay.go): its
// upper layer's room is tmpfs's.
func statfsOverlay(st *statfsBuf) int64 {
	statfsTmp(st)
	st.typ = overlayfsMagic
	st.fsid = [2]int32{1, 0}
	return 0
}

// statfsTmpNode describes the file system of tmpfs node i: /tmp, or the
// overlay's upper layer.
func statfsTmpNode(st *statfsBuf, i int) int64 {
	if ov.on && tmpRootOf(i) == ov.root {
		return statfsOverlay(st)
	}
	return statfsTmp(st)
}

func sysFstatfs(fd, buf, _, _, _, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	b, ok := userBytes(buf, unsafe.Sizeof(statfsBuf{}), true)
	if !ok {
		return -EFAULT
	}
	return f.ops().statfs(f, (*statfsBuf)(unsafe.Pointer(&b[0])))
}

// statfsTmp describes /tmp: its pages are the guest's RAM.
func statfsTmp(st *statfsBuf) int64 {
	used := 0
	for i := range tmp.nodes {
		if tmp.nodes[i].used {
			used++
		}
	}
	free := mm.FreePages()
	*st = statfsBuf{typ: tmpfsMagic, bsize: pageSize, blocks: mm.TotalPages(), bfree: free, bavail: free,
		nfiles: maxTmpNodes, ffree: uint64(maxTmpNodes - used), namelen: tmpNameMax, frsize: pageSize,
		flags: stValid | stNosuid | stNodev}
	st.fsid = [2]int32{2, 0}
	return 0
}

// statfsImage describes the packed tree.
func statfsImage(st *statfsBuf) int64 {
	var bytes uint64
	for i := 0; i < rootFS.Len(); i++ {
		bytes += uint64(rootFS.Size(i)+pageSize-1) &^ (pageSize - 1)
	}
	*st = statfsBuf{typ: erofsMagic, bsize: pageSize, blocks: bytes / pageSize,
		nfiles: uint64(rootFS.Len()), namelen: 255, frsize: pageSize, flags: stValid | stRdonly}
	st.fsid = [2]int32{1, 0}
	return 0
}

// statfsStatic describes the kernel's built-in files (/etc/hosts,
// /proc/sys/…).
func statfsStatic(st *statfsBuf, path string) int64 {
	if len(path) >= 6 && path[:6] == "/proc/" {
		return statfsPseudo(st, procMagic)
	}
	return statfsImage(st)
}

// statfsDev describes /dev.
func statfsDev(st *statfsBuf) int64 {
	statfsPseudo(st, tmpfsMagic)
	st.flags = stValid | stNosuid
	return 0
}

// statfsPseudo describes an in-kernel file system with nothing to count.
func statfsPseudo(st *statfsBuf, magic int64) int64 {
	*st = statfsBuf{typ: magic, bsize: pageSize, namelen: 255, frsize: pageSize, flags: stValid}
	st.fsid = [2]int32{int32(magic), 0}
	return 0
}

// statfsFuse asks the virtio-fs host for the numbers of the file system
// node is on.
func statfsFuse(st *statfsBuf, mi int, node uint64) int64 {
	m := &fuseMounts[mi]
	s := m.slot()
	_, e := m.call(s, virtio.FuseStatfs, node, 0, fuseStatfsOutLen, nil, nil)
	if e == 0 {
		o := m.slotOut[s] + virtio.FuseOutHeaderLen
		*st = statfsBuf{
			typ:    fuseMagic,
			blocks: *(*uint64)(ptr(o)), bfree: *(*uint64)(ptr(o + 8)), bavail: *(*uint64)(ptr(o + 16)),
			nfiles: *(*uint64)(ptr(o + 24)), ffree: *(*uint64)(ptr(o + 32)),
			bsize: int64(*(*uint32)(ptr(o + 40))), namelen: int64(*(*uint32)(ptr(o + 44))),
			frsize: int64(*(*uint32)(ptr(o + 48))), flags: stValid,
		}
		st.fsid = [2]int32{int32(16 + mi), 0}
		if m.readOnly {
			st.flags |= stRdonly
		}
	}
	m.release(s)
	return e
}
