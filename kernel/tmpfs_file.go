package kernel

import "sync/atomic"

// Open files and directories of /tmp (tmpfs.go): f.node is the tmpfs
// node, which counts its opens so that an unlinked file lives until the
// last close.

// tmpOpen opens the existing node i with the flags of open(2).
func tmpOpen(i int, flags uint32) int64 {
	n := &tmp.nodes[i]
	if n.isSymlink() && flags&oPath == 0 {
		return -ELOOP // O_NOFOLLOW on a symlink
	}
	if n.isDir() && (flags&oAccMode != oRdonly || flags&oTrunc != 0) {
		return -EISDIR
	}
	if !n.isDir() && flags&oDirectory != 0 {
		return -ENOTDIR
	}
	if flags&oPath == 0 {
		switch n.mode & tmpModeMask {
		case tmpModeSock:
			return -ENXIO // a socket is connected to, not opened
		case tmpModeFifo:
			return fifoOpen(i, flags)
		case tmpModeChr:
			if k := deviceByNumber(n.rdev); k != fkNone {
				return deviceOpen(k, flags)
			}
			return -ENXIO // no driver for the number, as on Linux
		case tmpModeBlk:
			return -ENXIO
		}
	}
	if n.mode&tmpModeMask == tmpModeFile && flags&oTrunc != 0 && flags&oAccMode != oRdonly {
		tmpTruncate(i, 0)
	}
	return openTmp(i, flags)
}

// openTmp gives tmpfs node i a description and a descriptor.
func openTmp(i int, flags uint32) int64 {
	kind := fkTmpFile
	if tmp.nodes[i].isDir() {
		kind = fkTmpDir
	}
	fd, f := newFD(kind, flags)
	if f != nil {
		f.node = i
		tmp.nodes[i].opens++
	}
	return fd
}

// tmpNodeOf returns the tmpfs node behind f, or -1 if f is not in /tmp.
func tmpNodeOf(f *file) int {
	if f.kind == fkTmpFile || f.kind == fkTmpDir || f.kind == fkMemfd {
		return f.node
	}
	if f.kind == fkFifo {
		return fifoNode(f)
	}
	return -1
}

type tmpFile struct{ fileBase }

func (*tmpFile) flags() kindFlags { return kindSeekable | kindRegular | kindMappable | kindUnlocked }

func (*tmpFile) size(f *file) int64                  { return tmp.nodes[f.node].size }
func (*tmpFile) statfs(f *file, st *statfsBuf) int64 { return statfsTmpNode(st, f.node) }
func (*tmpFile) lockKey(f *file, fi int32) uint64    { return lockKeyTmp | uint64(f.node) }

func (*tmpFile) pageIn(f *file, p uintptr, off int64, n int) int64 {
	return tmpRead(f.node, unsafeSlice(p, uintptr(n)), off)
}

func (*tmpFile) read(f *file, b []byte, off int64) int64 {
	if f.flags&oAccMode == oWronly {
		return -EBADF
	}
	var m int64
	if off >= 0 {
		m = tmpRead(f.node, b, off)
	} else {
		// The offset moves under the node lock (fileoff.go); the copy
		// runs without it (touching b may fault and sleep).
		pos, k := offTake(&tmpNodeLocks[f.node], f, len(b), atomic.LoadInt64(&tmp.nodes[f.node].size))
		m = tmpRead(f.node, b[:k], pos)
		if m < int64(k) {
			offGiveBack(f, int64(k)-m) // truncated while a fault slept
		}
	}
	if m > 0 {
		inotifyNotify(f.node, inAccess)
	}
	return m
}

// readUnlocked reads without the big kernel lock, under the node's lock
// (tmpNodeLock), which keeps truncation from taking the node's pages away
// meanwhile and orders the file offset between readers and writers.
// Writes hold it too (tmpfs_write.go): a reader sees a write wholly or not
// at all. readOut translates the user buffer and copies.
func (*tmpFile) readUnlocked(f *file, buf, n uintptr, off int64) (int64, bool) {
	if atomic.LoadInt32(&inotify.nwatch) != 0 {
		return 0, false // inotify's IN_ACCESS is queued under the big lock
	}
	if f.flags&oAccMode == oWronly {
		return -EBADF, true
	}
	l := &tmpNodeLocks[f.node]
	l.lock()
	pos := off
	if off < 0 {
		pos = f.off
	}
	src := readSrc{node: f.node}
	r, ok := readOut(buf, n, &src, pos)
	if ok && r > 0 && off < 0 {
		f.off = pos + r
	}
	l.unlock()
	return r, ok
}

// tmpReadPages reads node i at off into the translated buffer u.
func tmpReadPages(i int, u *userPages, off int64) int64 {
	done := uintptr(0)
	for done < u.n {
		c := u.chunk(done)
		m := tmpRead(i, c, off+int64(done))
		done += uintptr(max(m, 0))
		if m < int64(len(c)) {
			break
		}
	}
	return int64(done)
}

func (*tmpFile) seek(f *file, off int64, whence int) int64 {
	return seekLocked(&tmpNodeLocks[f.node], f, off, whence, atomic.LoadInt64(&tmp.nodes[f.node].size))
}

func (*tmpFile) stat(f *file, st *statBuf) int64 { return fillTmpStat(st, f.node) }

func (*tmpFile) truncate(f *file, size int64) int64 {
	if f.flags&oAccMode == oRdonly || size < 0 {
		return -EINVAL
	}
	if size > tmpFileSpan {
		return -EFBIG
	}
	tmpTruncate(f.node, size)
	inotifyNotify(f.node, inModify)
	return 0
}

func (*tmpFile) chmod(f *file, mode uint32) int64 { return tmpChmod(f.node, mode) }
func (*tmpFile) release(f *file)                  { tmpRelease(f) }

type tmpDir struct{ fileBase }

func (*tmpDir) flags() kindFlags                         { return kindSeekable | kindDir }
func (*tmpDir) read(f *file, b []byte, off int64) int64  { return -EISDIR }
func (*tmpDir) write(f *file, b []byte, off int64) int64 { return -EBADF }
func (*tmpDir) stat(f *file, st *statBuf) int64          { return fillTmpStat(st, f.node) }
func (*tmpDir) size(f *file) int64                       { return 4096 } // what stat reports for a directory
func (*tmpDir) statfs(f *file, st *statfsBuf) int64      { return statfsTmpNode(st, f.node) }
func (*tmpDir) lockKey(f *file, fi int32) uint64         { return lockKeyTmp | uint64(f.node) }
func (*tmpDir) chmod(f *file, mode uint32) int64         { return tmpChmod(f.node, mode) }
func (*tmpDir) release(f *file)                          { tmpRelease(f) }

func (*tmpDir) seek(f *file, off int64, whence int) int64 {
	return seekIn(f, off, whence, tmp.nodes[f.node].size)
}

func (*tmpDir) dirPath(f *file, buf uintptr) string {
	return tmpPath(unsafeSlice(buf, pathMax), f.node)
}

// getdents lists ".", "..", then the children (the offset counts
// entries), then, for an overlay directory, the packed directory's
// entries the upper layer does not shadow (offsets from ovDirentBase on).
// Whiteouts are not listed; a removed directory is ENOENT.
func (*tmpDir) getdents(f *file, b []byte) int64 {
	d := &tmp.nodes[f.node]
	if !d.linked {
		return -ENOENT // a removed directory lists nothing, as Linux answers
	}
	// Find the child at position f.off-2.
	c := d.firstChild
	for k := int64(2); k < f.off && c >= 0 && f.off < ovDirentBase; k++ {
		c = tmp.nodes[c].nextSibling
	}
	w := 0
	for {
		var name string
		var ino uint64
		var typ byte = dtDir
		skip := false
		switch {
		case f.off == 0:
			name, ino = ".", uint64(f.node)+1
		case f.off == 1:
			name, ino = "..", uint64(d.parent)+1
		case f.off < ovDirentBase && c >= 0:
			cn := &tmp.nodes[c]
			name, ino = cn.nameStr(), uint64(tmpIno(int(c)))+1
			typ = tmpDirentType(cn.mode)
			skip = cn.isWhiteout()
		case f.off < ovDirentBase:
			f.off = ovDirentBase
			continue
		default:
			li := ovLowerEntry(f.node, int(f.off-ovDirentBase))
			if li < 0 {
				return int64(w)
			}
			name, ino = rootFS.Name(li), uint64(li)+1
			typ = direntType(rootFS.Mode(li))
			skip = tmpChild(f.node, name) >= 0
		}
		if !skip {
			n := putDirent(b[w:], ino, f.off+1, typ, name)
			if n == 0 {
				if w == 0 {
					return -EINVAL
				}
				return int64(w)
			}
			w += n
		}
		if f.off >= 2 && f.off < ovDirentBase {
			c = tmp.nodes[c].nextSibling
		}
		f.off++
	}
}

// ovDirentBase is the directory offset of an overlay directory's first
// packed entry.
const ovDirentBase = 1 << 32

// tmpDirentType is the d_type of a node of mode m.
func tmpDirentType(m uint32) byte {
	switch m & tmpModeMask {
	case tmpModeDir:
		return dtDir
	case tmpModeLink:
		return dtLink
	case tmpModeSock:
		return dtSock
	case tmpModeFifo:
		return dtFifo
	case tmpModeChr:
		return dtChr
	case tmpModeBlk:
		return dtBlk
	}
	return dtReg
}

// tmpChmod sets the permission bits of node i.
func tmpChmod(i int, mode uint32) int64 {
	n := &tmp.nodes[i]
	n.mode = n.mode&tmpModeMask | mode&0o7777
	inotifyNotify(i, inAttrib)
	return 0
}

// tmpRelease closes description f of a node (inotify's close events).
func tmpRelease(f *file) {
	if f.flags&oAccMode != oRdonly {
		inotifyNotify(f.node, inCloseWrite)
	} else {
		inotifyNotify(f.node, inCloseNowr)
	}
	tmpClose(f.node)
}

// tmpClose drops an open of node i.
func tmpClose(i int) {
	tmp.nodes[i].opens--
	tmpMaybeFree(i)
}

// fillTmpStat describes tmpfs node i.
func fillTmpStat(st *statBuf, i int) int64 {
	n := &tmp.nodes[i]
	*st = statBuf{nlink: 1 + uint64(n.links), blksize: 4096, dev: 2, ino: uint64(i) + 1, mode: n.mode, size: n.size, rdev: uint64(n.rdev)}
	if n.isDir() {
		st.nlink = 2 + uint64(tmpSubdirs(i))
		st.size = 4096
	}
	if !n.linked {
		st.nlink = 0 // removed, still open (Linux counts no name)
	}
	st.blocks = tmpBlocks(i)
	mt := atomic.LoadInt64(&n.mtime)
	st.mtime, st.mtimeNs = mt/1e9, mt%1e9
	ct := tmpCtime(n, mt)
	st.atime, st.atimeNs, st.ctime, st.ctimeNs = st.mtime, st.mtimeNs, ct/1e9, ct%1e9
	return 0
}

// tmpSubdirs counts the directories in directory i, each of whose ".."
// is a link to it (Linux's nlink of a directory is 2 plus that). A
// directory merging a packed one counts its upper entries only.
func tmpSubdirs(i int) int {
	k := 0
	for c := tmp.nodes[i].firstChild; c >= 0; c = tmp.nodes[c].nextSibling {
		if tmp.nodes[c].isDir() {
			k++
		}
	}
	return k
}
