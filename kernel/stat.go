package kernel

import "unsafe"

// stat and friends.

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

// fillTmpStat describes tmpfs node i.
func fillTmpStat(st *statBuf, i int) {
	n := &tmp.nodes[i]
	*st = statBuf{nlink: 1, blksize: 4096, dev: 2, ino: uint64(i) + 1, mode: n.mode, size: n.size}
	if n.isDir() {
		st.nlink = 2
		st.size = 4096
	}
	st.blocks = (n.size + 511) / 512
	st.mtime, st.mtimeNs = n.mtime/1e9, n.mtime%1e9
	st.atime, st.atimeNs, st.ctime, st.ctimeNs = st.mtime, st.mtimeNs, st.mtime, st.mtimeNs
}

func fillStat(st *statBuf, f *file, node int) {
	*st = statBuf{nlink: 1, blksize: 4096}
	switch {
	case f != nil && (f.kind == fkTmpFile || f.kind == fkTmpDir):
		fillTmpStat(st, f.node)
		return
	case f != nil && f.kind == fkBlock:
		fillBlkStat(st, f.node)
		return
	case f != nil && (f.kind == fkFuseFile || f.kind == fkFuseDir):
		fuseFstat(f, st)
		return
	case f != nil && f.kind == fkStatic:
		st.dev, st.ino, st.mode = 3, uint64(f.node)+1, 0o100444
		st.size = int64(len(staticContent(f.node)))
		st.mtime = clock.epochNs / 1e9
		return
	case f != nil && f.kind == fkVsock:
		st.mode = 0o140777 // socket
		st.dev, st.ino = 8, uint64(f.node)+1
		return
	case f != nil && f.kind != fkFile && f.kind != fkDir:
		st.mode = 0o020666 // character device
		st.rdev = 0x0103
		st.dev = 5
		st.ino = uint64(f.kind)
		switch f.kind {
		case fkEventfd, fkEpoll:
			st.mode = 0o600
		case fkPipeRead, fkPipeWrite:
			st.mode = 0o010600 // FIFO
		}
		return
	}
	st.dev = 1
	st.ino = uint64(node) + 1
	st.mode = rootFS.Mode(node)
	st.size = rootFS.Size(node)
	st.blocks = (st.size + 511) / 512
	mt := rootFS.ModTimeNs(node)
	st.mtime, st.mtimeNs = mt/1e9, mt%1e9
	st.atime, st.atimeNs, st.ctime, st.ctimeNs = st.mtime, st.mtimeNs, st.mtime, st.mtimeNs
	if rootFS.IsDir(node) {
		st.nlink = 2
	}
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
	fillStat((*statBuf)(unsafe.Pointer(&b[0])), f, f.node)
	return 0
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
		fk := file{kind: k}
		fillStat((*statBuf)(unsafe.Pointer(&b[0])), &fk, 0)
		return 0
	}
	if u := blkByPath(path); u >= 0 {
		fillBlkStat((*statBuf)(unsafe.Pointer(&b[0])), u)
		return 0
	}
	if ab, _ := pathBufs0(); nfuseMounts > 0 {
		if mi, abs := fuseAbs(ab, dirfd, path); mi >= 0 {
			return fuseStat(mi, abs, flags&atSymlinkNofollow == 0, statPtr(b))
		}
	}
	ref, e := resolveAt(dirfd, path, flags&atSymlinkNofollow == 0)
	if e == -ENOENT && len(path) > 0 && path[0] == '/' {
		if si := staticFile(path); si >= 0 {
			fk := file{kind: fkStatic, node: si}
			fillStat((*statBuf)(unsafe.Pointer(&b[0])), &fk, 0)
			return 0
		}
	}
	if e != 0 {
		return e
	}
	if ref.tmp {
		fillTmpStat((*statBuf)(unsafe.Pointer(&b[0])), ref.idx)
		return 0
	}
	fillStat((*statBuf)(unsafe.Pointer(&b[0])), nil, ref.idx)
	return 0
}
