package kernel

import (
	"unsafe"

	"github.com/gotoro/gotoro/internal/imagefs"
)

// Files and directories of the packed tree (-files), which is read-only:
// rootFS is the image's file system, f.node an entry of it.

var rootFS imagefs.FS

// imageOpen opens entry i with the flags of open(2).
func imageOpen(i int, flags uint32) int64 {
	if flags&oAccMode != oRdonly || flags&oTrunc != 0 {
		if rootFS.IsDir(i) {
			return -EISDIR
		}
		return -EROFS
	}
	kind := fkFile
	switch {
	case rootFS.IsDir(i):
		kind = fkDir
	case rootFS.IsSymlink(i):
		if flags&oPath == 0 {
			return -ELOOP // O_NOFOLLOW on a symlink
		}
	case flags&oDirectory != 0:
		return -ENOTDIR
	}
	fd, f := newFD(kind, flags)
	if f != nil {
		f.node = i
	}
	return fd
}

type imageFile struct{ fileBase }

// statfsPacked describes the packed tree: read-only, or the overlay.
func statfsPacked(st *statfsBuf) int64 {
	if ov.on {
		return statfsOverlay(st)
	}
	return statfsImage(st)
}

func (*imageFile) flags() kindFlags {
	return kindSeekable | kindRegular | kindMappable | kindUnlocked
}

func (*imageFile) size(f *file) int64                  { return rootFS.Size(f.node) }
func (*imageFile) statfs(f *file, st *statfsBuf) int64 { return statfsPacked(st) }
func (*imageFile) lockKey(f *file, fi int32) uint64    { return lockKeyImage | uint64(f.node) }

func (*imageFile) pageIn(f *file, p uintptr, off int64, n int) int64 {
	return int64(copy(unsafeSlice(p, uintptr(n)), rootFS.Data(f.node)[off:off+int64(n)]))
}

func (*imageFile) read(f *file, b []byte, off int64) int64 {
	data := rootFS.Data(f.node)
	if off >= 0 {
		return readData(f, data, b, off)
	}
	// Unlocked reads move the offset too, under its lock (fileoff.go).
	pos, k := offTake(fileOffLock(f), f, len(b), int64(len(data)))
	if k == 0 {
		return 0 // at or past the end
	}
	return int64(copy(b[:k], data[pos:]))
}

func (*imageFile) write(f *file, b []byte, off int64) int64 { return -EBADF }

func (*imageFile) seek(f *file, off int64, whence int) int64 {
	return seekLocked(fileOffLock(f), f, off, whence, rootFS.Size(f.node))
}

func (*imageFile) stat(f *file, st *statBuf) int64 { return imageStat(st, f.node) }

type imageDir struct{ fileBase }

func (*imageDir) flags() kindFlags                         { return kindSeekable | kindDir }
func (*imageDir) read(f *file, b []byte, off int64) int64  { return -EISDIR }
func (*imageDir) write(f *file, b []byte, off int64) int64 { return -EBADF }
func (*imageDir) stat(f *file, st *statBuf) int64          { return imageStat(st, f.node) }
func (*imageDir) size(f *file) int64                       { return rootFS.Size(f.node) }
func (*imageDir) statfs(f *file, st *statfsBuf) int64      { return statfsPacked(st) }
func (*imageDir) lockKey(f *file, fi int32) uint64         { return lockKeyImage | uint64(f.node) }
func (*imageDir) dirPath(f *file, buf uintptr) string      { return rootFS.Path(f.node) }
func (*imageDir) seek(f *file, off int64, whence int) int64 {
	return seekIn(f, off, whence, rootFS.Size(f.node))
}

// getdents lists ".", "..", then the children in name order; the offset
// counts entries.
func (*imageDir) getdents(f *file, b []byte) int64 {
	nkids := int64(rootFS.NumChildren(f.node))
	w := 0
	for f.off < nkids+2 {
		var name string
		var node int
		switch f.off {
		case 0:
			name, node = ".", f.node
		case 1:
			name, node = "..", rootFS.Parent(f.node)
		default:
			node = rootFS.Child(f.node, int(f.off-2))
			name = rootFS.Name(node)
		}
		n := putDirent(b[w:], uint64(node)+1, f.off+1, direntType(rootFS.Mode(node)), name)
		if n == 0 {
			if w == 0 {
				return -EINVAL
			}
			break
		}
		w += n
		f.off++
	}
	return int64(w)
}

// imageStat describes entry node of the packed tree.
func imageStat(st *statBuf, node int) int64 {
	*st = statBuf{nlink: 1, blksize: 4096, dev: 1, ino: uint64(node) + 1}
	st.mode = rootFS.Mode(node)
	st.size = rootFS.Size(node)
	st.blocks = (st.size + 511) / 512
	mt := rootFS.ModTimeNs(node)
	st.mtime, st.mtimeNs = mt/1e9, mt%1e9
	st.atime, st.atimeNs, st.ctime, st.ctimeNs = st.mtime, st.mtimeNs, st.mtime, st.mtimeNs
	if rootFS.IsDir(node) {
		st.nlink = 2
	}
	return 0
}

// readData reads a file whose contents are data in kernel memory: at off,
// or at and advancing the file offset if off is negative.
func readData(f *file, data, b []byte, off int64) int64 {
	pos := off
	if off < 0 {
		pos = f.off
	}
	if pos >= int64(len(data)) {
		return 0
	}
	m := copy(b, data[pos:])
	if off < 0 {
		f.off += int64(m)
	}
	return int64(m)
}

// putDirent writes one linux_dirent64 into b and returns its length, or 0
// if it does not fit.
func putDirent(b []byte, ino uint64, next int64, typ byte, name string) int {
	reclen := (19 + len(name) + 1 + 7) &^ 7
	if reclen > len(b) {
		return 0
	}
	d := b[:reclen]
	clear(d)
	*(*uint64)(unsafe.Pointer(&d[0])) = ino
	*(*int64)(unsafe.Pointer(&d[8])) = next
	*(*uint16)(unsafe.Pointer(&d[16])) = uint16(reclen)
	d[18] = typ
	copy(d[19:], name)
	return reclen
}

// Directory entry types (d_type).
const (
	dtFifo = 1
	dtChr  = 2
	dtDir  = 4
	dtBlk  = 6
	dtReg  = 8
	dtLink = 10
	dtSock = 12
)

func direntType(mode uint32) byte {
	switch mode & imagefs.ModeTypeMask {
	case imagefs.ModeDir:
		return dtDir
	case imagefs.ModeRegular:
		return dtReg
	case imagefs.ModeSymlink:
		return dtLink
	}
	return 0
}
