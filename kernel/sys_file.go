package kernel

import (
	"unsafe"

	"github.com/gotoro/gotoro/internal/imagefs"
)

// File system calls over the in-image file tree (read-only), the console
// and a few devices.

var rootFS imagefs.FS

const atFDCWD = -100

const (
	atSymlinkNofollow = 0x100
	atRemovedir       = 0x200
	atEmptyPath       = 0x1000
)

// devices are the /dev files every image has.
func deviceKind(path string) fileKind {
	switch path {
	case "/dev/null":
		return fkNull
	case "/dev/zero":
		return fkZero
	case "/dev/urandom", "/dev/random":
		return fkRandom
	case "/dev/console", "/dev/tty", "/dev/stdout", "/dev/stderr", "/dev/stdin":
		return fkConsole
	}
	return fkNone
}

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
	switch path {
	case "/dev/netctl":
		return ncOpen(flags)
	case "/dev/net0":
		return netOpen(flags)
	}
	if k := deviceKind(path); k != fkNone {
		fd, _ := newFD(k, flags)
		return fd
	}
	if u := blkByPath(path); u >= 0 {
		return blkOpen(u, flags)
	}
	if ab, _ := pathBufs0(); nfuseMounts > 0 {
		if mi, abs := fuseAbs(ab, dirfd, path); mi >= 0 {
			return fuseOpen(mi, abs, flags, mode)
		}
	}
	ref, e := resolveAt(dirfd, path, flags&oNofollow == 0)
	if e == -ENOENT && len(path) > 0 && path[0] == '/' {
		if si := staticFile(path); si >= 0 {
			if flags&oAccMode != oRdonly {
				return -EROFS
			}
			fd, f := newFD(fkStatic, flags)
			if f != nil {
				f.node = si
			}
			return fd
		}
	}
	if e == -ENOENT && flags&oCreat != 0 {
		dir, name, e2 := resolveParent(dirfd, path)
		if e2 != 0 {
			return e2
		}
		i, e3 := tmpCreate(dir, name, tmpModeFile|mode&0o7777&^0o022)
		if e3 != 0 {
			return e3
		}
		return openTmp(i, flags)
	}
	if e != 0 {
		return e
	}
	if flags&(oCreat|oExcl) == oCreat|oExcl {
		return -EEXIST
	}
	if ref.tmp {
		n := &tmp.nodes[ref.idx]
		if n.isSymlink() && flags&oPath == 0 {
			return -ELOOP // O_NOFOLLOW on a symlink
		}
		if n.isDir() && (flags&oAccMode != oRdonly || flags&oTrunc != 0) {
			return -EISDIR
		}
		if !n.isDir() && flags&oDirectory != 0 {
			return -ENOTDIR
		}
		if !n.isDir() && flags&oTrunc != 0 && flags&oAccMode != oRdonly {
			tmpTruncate(ref.idx, 0)
		}
		return openTmp(ref.idx, flags)
	}
	i := ref.idx
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

func sysRead(fd, buf, n, _, _, _ uintptr) int64 { return readFD(fd, buf, n, -1) }

func sysPread64(fd, buf, n, off, _, _ uintptr) int64 { return readFD(fd, buf, n, int64(off)) }

// readFD reads into the user buffer at off, or at the file offset if off
// is negative.
func readFD(fd, buf, n uintptr, off int64) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	b, ok := userBytes(buf, n, true)
	if !ok {
		return -EFAULT
	}
	return readFile(f, b, off)
}

// readFile reads into b at off, or at the file offset if off is negative.
func readFile(f *file, b []byte, off int64) int64 {
	n := uintptr(len(b))
	switch f.kind {
	case fkConsole:
		return stdinRead(b, f.flags&oNonblock != 0)
	case fkNull:
		return 0
	case fkZero:
		clear(b)
		return int64(n)
	case fkRandom:
		fillRandom(b)
		return int64(n)
	case fkDir:
		return -EISDIR
	case fkBlock:
		return blkReadWrite(f, b, off, false)
	case fkFuseFile, fkFuseDir:
		return fuseIO(f, b, off, false)
	case fkEventfd:
		if off >= 0 {
			return -ESPIPE
		}
		return eventfdRead(f, b)
	case fkPipeRead:
		if off >= 0 {
			return -ESPIPE
		}
		return pipeRead(f, b)
	case fkSocket:
		if off >= 0 {
			return -ESPIPE
		}
		return sockRead(f, b)
	case fkVsock:
		if off >= 0 {
			return -ESPIPE
		}
		return vsockRead(f, b)
	case fkNetctl:
		return ncRead(f, b)
	case fkNetDev:
		return netRead(f, b)
	case fkPipeWrite:
		return -EBADF
	case fkTmpFile:
		if f.flags&oAccMode == oWronly {
			return -EBADF
		}
		pos := off
		if off < 0 {
			pos = f.off
		}
		m := tmpRead(f.node, b, pos)
		if off < 0 {
			f.off += m
		}
		return m
	case fkTmpDir:
		return -EISDIR
	case fkFile, fkStatic:
		data := rootFS.Data(f.node)
		if f.kind == fkStatic {
			data = staticContent(f.node)
		}
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
	return -EINVAL
}

func sysWrite(fd, buf, n, _, _, _ uintptr) int64 { return writeFD(fd, buf, n, -1) }

func sysPwrite64(fd, buf, n, off, _, _ uintptr) int64 { return writeFD(fd, buf, n, int64(off)) }

// writeFD writes the user buffer at off, or at the file offset if off is
// negative.
func writeFD(fd, buf, n uintptr, off int64) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	b, ok := userBytes(buf, n, false)
	if !ok {
		return -EFAULT
	}
	return writeFile(f, b, off)
}

// writeFile writes b at off, or at the file offset if off is negative.
func writeFile(f *file, b []byte, off int64) int64 {
	n := uintptr(len(b))
	switch f.kind {
	case fkConsole:
		consoleWrite(b)
		return int64(n)
	case fkNull, fkZero, fkRandom:
		return int64(n)
	case fkBlock:
		return blkReadWrite(f, b, off, true)
	case fkFuseFile, fkFuseDir:
		return fuseIO(f, b, off, true)
	case fkEventfd:
		return eventfdWrite(f, b)
	case fkPipeWrite:
		return pipeWrite(f, b)
	case fkSocket:
		return sockWrite(f, b)
	case fkVsock:
		return vsockWrite(f, b)
	case fkNetctl:
		return ncWrite(b)
	case fkNetDev:
		return netWrite(f, b)
	case fkTmpFile:
		if f.flags&oAccMode == oRdonly {
			return -EBADF
		}
		pos := off
		if off < 0 {
			pos = f.off
			if f.flags&oAppend != 0 {
				pos = tmp.nodes[f.node].size
			}
		}
		m := tmpWrite(f.node, b, pos)
		if off < 0 && m > 0 {
			f.off = pos + m
		}
		return m
	case fkFile, fkDir, fkPipeRead, fkTmpDir, fkStatic:
		return -EBADF
	}
	return -EINVAL
}

func sysReadv(fd, iov, cnt, _, _, _ uintptr) int64 { return rwv(fd, iov, cnt, false) }

func sysWritev(fd, iov, cnt, _, _, _ uintptr) int64 { return rwv(fd, iov, cnt, true) }

// rwv implements readv and writev.
func rwv(fd, iov, cnt uintptr, write bool) int64 {
	if cnt > 1024 {
		return -EINVAL
	}
	v, ok := userBytes(iov, cnt*16, false)
	if !ok {
		return -EFAULT
	}
	if _, f := fdGet(fd); f != nil && f.kind == fkNetDev && write {
		return netWritev(f, v)
	}
	total := int64(0)
	for i := uintptr(0); i < cnt; i++ {
		base := *(*uintptr)(unsafe.Pointer(&v[16*i]))
		l := *(*uintptr)(unsafe.Pointer(&v[16*i+8]))
		var r int64
		if write {
			r = writeFD(fd, base, l, -1)
		} else {
			r = readFD(fd, base, l, -1)
		}
		if r < 0 {
			if total > 0 {
				return total
			}
			return r
		}
		total += r
		if uintptr(r) < l {
			break
		}
	}
	return total
}

func sysLseek(fd, off, whence, _, _, _ uintptr) int64 {
	return lseek(fd, int64(off), int(whence))
}

func lseek(fd uintptr, off int64, whence int) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	switch f.kind {
	case fkFile, fkDir, fkTmpFile, fkTmpDir, fkStatic, fkBlock, fkFuseFile, fkFuseDir:
	case fkNull, fkZero:
		return 0
	default:
		return -ESPIPE
	}
	var base int64
	switch whence {
	case 0:
	case 1:
		base = f.off
	case 2:
		if f.kind == fkBlock {
			base = blks[f.node].size()
		} else if f.kind == fkFuseFile || f.kind == fkFuseDir {
			base = fuseSize(f)
			if base < 0 {
				return base
			}
		} else if f.kind == fkTmpFile {
			base = tmp.nodes[f.node].size
		} else if f.kind == fkStatic {
			base = int64(len(staticFiles[f.node].content))
		} else {
			base = rootFS.Size(f.node)
		}
	default:
		return -EINVAL
	}
	n := base + off
	if n < 0 {
		return -EINVAL
	}
	f.off = n
	return n
}

const (
	fDupfd        = 0
	fGetfd        = 1
	fSetfd        = 2
	fGetfl        = 3
	fSetfl        = 4
	fDupfdCloexec = 1030
)

func sysFcntl(fd, cmd, arg, _, _, _ uintptr) int64 {
	return fcntl(fd, int32(cmd), arg)
}

func fcntl(fd uintptr, cmd int32, arg uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	switch cmd {
	case fDupfd, fDupfdCloexec:
		return fdDup(fd, int(arg), false, cmd == fDupfdCloexec)
	case fGetfd:
		if fdtab[fd].cloexec {
			return 1
		}
		return 0
	case fSetfd:
		fdtab[fd].cloexec = arg&1 != 0
		return 0
	case fGetlk, fSetlk, fSetlkw, fOfdGetlk, fOfdSetlk, fOfdSetlkw:
		return sysFcntlLock(fd, cmd, arg)
	case fGetfl:
		return int64(f.flags)
	case fSetfl:
		f.flags = f.flags&^(oNonblock|oAppend) | uint32(arg)&(oNonblock|oAppend)
		return 0
	}
	return -EINVAL
}

func sysGetcwd(buf, n, _, _, _, _ uintptr) int64 {
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
	ref, e := resolveAt(atFDCWD, path, true)
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
		setCwd(tmpPath(buf[:], ref.idx))
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
	if path == "/proc/self/exe" {
		return -ENOENT
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
	ref, e := resolveAt(dirfd, path, false)
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

func faccessat(dirfd int32, p uintptr, mode uint32) int64 {
	path, e := userPath(p)
	if e != 0 {
		return e
	}
	if deviceKind(path) != fkNone {
		return 0
	}
	if ab, _ := pathBufs0(); nfuseMounts > 0 {
		if mi, abs := fuseAbs(ab, dirfd, path); mi >= 0 {
			return fuseAccess(mi, abs, mode)
		}
	}
	ref, e := resolveAt(dirfd, path, true)
	if e != 0 {
		return e
	}
	m := uint32(0)
	if ref.tmp {
		m = tmp.nodes[ref.idx].mode
	} else {
		if mode&2 != 0 {
			return -EROFS
		}
		m = rootFS.Mode(ref.idx)
	}
	if mode&1 != 0 && m&0o111 == 0 {
		return -EACCES
	}
	return 0
}

func sysIoctl(fd, req, arg, _, _, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	if f.kind == fkBlock {
		return blkIoctl(f, req, arg)
	}
	if f.kind == fkNetctl {
		return ncIoctl(req, arg)
	}
	if f.kind == fkNetDev {
		return netIoctl(req, arg)
	}
	return -ENOTTY
}

func sysFchdir(fd, _, _, _, _, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	if f.kind != fkDir && f.kind != fkTmpDir && f.kind != fkFuseDir {
		return -ENOTDIR
	}
	var buf [pathMax]byte
	setCwd(filePath(buf[:], f))
	return 0
}

func sysFtruncate(fd, size, _, _, _, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	if f.kind == fkFuseFile {
		return fuseFtruncate(f, int64(size))
	}
	if f.kind != fkTmpFile || f.flags&oAccMode == oRdonly || int64(size) < 0 {
		return -EINVAL
	}
	if int64(size) > tmpFileSpan {
		return -EFBIG
	}
	tmpTruncate(f.node, int64(size))
	return 0
}

func sysFchmod(fd, mode, _, _, _, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	if f.kind == fkTmpFile || f.kind == fkTmpDir {
		n := &tmp.nodes[f.node]
		n.mode = n.mode&tmpModeMask | uint32(mode)&0o7777
		return 0
	}
	return -EROFS
}

// sysFchown accepts any owner: there is one user.
func sysFchown(fd, _, _, _, _, _ uintptr) int64 {
	if _, f := fdGet(fd); f == nil {
		return -EBADF
	}
	return 0
}

// sysFsync is fsync and fdatasync.
func sysFsync(fd, _, _, _, _, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	if f.kind == fkConsole {
		return -EINVAL
	}
	if f.kind == fkBlock {
		return blkFlush(&blks[f.node])
	}
	if f.kind == fkFuseFile || f.kind == fkFuseDir {
		return fuseFsync(f)
	}
	return 0
}
