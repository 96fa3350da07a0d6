package kernel

import (
	"unsafe"

	"github.com/gotoro/gotoro/internal/imagefs"
)

// File system calls over the in-image file tree (read-only), the console
// and a few devices.

var rootFS imagefs.FS
var cwd int // imagefs index of the working directory

const atFDCWD = -100

const (
	atSymlinkNofollow = 0x100
	atRemovedir       = 0x200
	atEmptyPath       = 0x1000
)

func fileSyscall(nr uint64, a0, a1, a2, a3, a4, a5 uintptr) int64 {
	switch nr {
	case nrRead:
		return sysReadFD(a0, a1, a2, -1)
	case nrPread64:
		return sysReadFD(a0, a1, a2, int64(a3))
	case nrWrite:
		return sysWriteFD(a0, a1, a2)
	case nrPwrite64:
		return sysWriteFD(a0, a1, a2)
	case nrReadv:
		return sysIov(a0, a1, a2, false)
	case nrWritev:
		return sysIov(a0, a1, a2, true)
	case nrClose:
		return fdClose(a0)
	case nrLseek:
		return sysLseekFD(a0, int64(a1), int(a2))
	case nrFstat:
		return sysFstatFD(a0, a1)
	case nrNewfstatat:
		return sysFstatat(int32(a0), a1, a2, int32(a3))
	case nrStat:
		return sysFstatat(atFDCWD, a0, a1, 0)
	case nrLstat:
		return sysFstatat(atFDCWD, a0, a1, atSymlinkNofollow)
	case nrOpenat:
		return sysOpenatPath(int32(a0), a1, uint32(a2))
	case nrOpen:
		return sysOpenatPath(atFDCWD, a0, uint32(a1))
	case nrGetdents64:
		return sysGetdents64FD(a0, a1, a2)
	case nrFcntl:
		return sysFcntlFD(a0, int32(a1), a2)
	case nrIoctl:
		if _, f := fdGet(a0); f == nil {
			return -EBADF
		}
		return -ENOTTY
	case nrDup:
		return fdDup(a0, 0, false, false)
	case nrDup2:
		return fdDup(a0, int(a1), true, false)
	case nrDup3:
		if a0 == a1 {
			return -EINVAL
		}
		return fdDup(a0, int(a1), true, a2&oCloexec != 0)
	case nrGetcwd:
		return sysGetcwdOp(a0, a1)
	case nrChdir:
		return sysChdirPath(a0)
	case nrFchdir:
		_, f := fdGet(a0)
		if f == nil {
			return -EBADF
		}
		if f.kind != fkDir {
			return -ENOTDIR
		}
		cwd = f.node
		return 0
	case nrReadlinkat:
		return sysReadlinkatPath(int32(a0), a1, a2, a3)
	case nrReadlink:
		return sysReadlinkatPath(atFDCWD, a0, a1, a2)
	case nrFaccessat, nrFaccessat2:
		return sysFaccessatPath(int32(a0), a1, uint32(a2))
	case nrAccess:
		return sysFaccessatPath(atFDCWD, a0, uint32(a1))
	case nrMkdirat, nrUnlinkat, nrRenameat, nrMkdir, nrRmdir, nrUnlink, nrRename:
		return -EROFS
	case nrFtruncate:
		if _, f := fdGet(a0); f == nil {
			return -EBADF
		}
		return -EINVAL
	case nrFsync, nrFdatasync:
		_, f := fdGet(a0)
		if f == nil {
			return -EBADF
		}
		if f.kind == fkConsole {
			return -EINVAL
		}
		return 0
	case nrFadvise64:
		return 0
	case nrEventfd2:
		return sysEventfdCreate(uint64(uint32(a0)), uint32(a1))
	case nrEventfd:
		return sysEventfdCreate(uint64(uint32(a0)), 0)
	case nrEpollCreate1:
		return sysEpollCreate(uint32(a0))
	case nrEpollCreate:
		if int32(a0) <= 0 {
			return -EINVAL
		}
		return sysEpollCreate(0)
	case nrEpollCtl:
		return sysEpollCtlOp(a0, int32(a1), a2, a3)
	case nrEpollPwait, nrEpollWait:
		return sysEpollWaitOp(a0, a1, int32(a2), int64(int32(a3)))
	case nrCloseRange:
		for fd := a0; fd <= a1 && fd < maxFDs; fd++ {
			fdClose(fd)
		}
		return 0
	case nrSocket:
		return -EAFNOSUPPORT
	case nrPipe:
		return sysPipe2Op(a0, 0)
	case nrPipe2:
		return sysPipe2Op(a0, uint32(a1))
	case nrStatx:
		return -ENOSYS
	}
	unknownSyscall(nr)
	return -ENOSYS
}

// unknownSyscall reports an unimplemented system call once per number when
// the kernel was started with ktrace.
func unknownSyscall(nr uint64) {
	if !ktrace || nr >= 512 || reportedSyscall[nr] {
		return
	}
	reportedSyscall[nr] = true
	kprint("gotoro: unimplemented system call ")
	kprintDec(nr)
	kprint("\n")
}

var (
	ktrace          bool
	reportedSyscall [512]bool
)

// userPath reads a NUL-terminated path from user memory without copying.
func userPath(p uintptr) (string, int64) {
	if p == 0 {
		return "", -EFAULT
	}
	for n := uintptr(0); n <= imagefs.MaxPath+1; n++ {
		if n&(pageSize-1) == 0 || (p+n)&(pageSize-1) == 0 {
			if !userRange(p+n, 1, false) {
				return "", -EFAULT
			}
		}
		if *(*byte)(ptr(p + n)) == 0 {
			return unsafeString(unsafeSlice(p, n)), 0
		}
	}
	return "", -ENAMETOOLONG
}

// lookupAt resolves path relative to dirfd; it returns the entry index or
// -errno.
func lookupAt(dirfd int32, path string, follow bool) (int, int64) {
	dir := cwd
	if len(path) > 0 && path[0] != '/' && dirfd != atFDCWD {
		_, f := fdGet(uintptr(dirfd))
		if f == nil {
			return -1, -EBADF
		}
		if f.kind != fkDir {
			return -1, -ENOTDIR
		}
		dir = f.node
	}
	i, errno := rootFS.Walk(dir, path, follow)
	if errno != 0 {
		return -1, -int64(errno)
	}
	return i, 0
}

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

func sysOpenatPath(dirfd int32, p uintptr, flags uint32) int64 {
	path, e := userPath(p)
	if e != 0 {
		return e
	}
	if k := deviceKind(path); k != fkNone {
		fd, _ := newFD(k, flags)
		return fd
	}
	i, e := lookupAt(dirfd, path, flags&oNofollow == 0)
	if e != 0 {
		if e == -ENOENT && flags&oCreat != 0 {
			return -EROFS
		}
		return e
	}
	if flags&(oCreat|oExcl) == oCreat|oExcl {
		return -EEXIST
	}
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

func sysReadFD(fd, buf, n uintptr, off int64) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	b, ok := userBytes(buf, n, true)
	if !ok {
		return -EFAULT
	}
	switch f.kind {
	case fkConsole, fkNull:
		return 0
	case fkZero:
		clear(b)
		return int64(n)
	case fkRandom:
		return sysGetrandomOp(buf, n, 0)
	case fkDir:
		return -EISDIR
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
	case fkPipeWrite:
		return -EBADF
	case fkFile:
		data := rootFS.Data(f.node)
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

func sysWriteFD(fd, buf, n uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	b, ok := userBytes(buf, n, false)
	if !ok {
		return -EFAULT
	}
	switch f.kind {
	case fkConsole:
		consoleWrite(b)
		return int64(n)
	case fkNull, fkZero, fkRandom:
		return int64(n)
	case fkEventfd:
		return eventfdWrite(f, b)
	case fkPipeWrite:
		return pipeWrite(f, b)
	case fkFile, fkDir, fkPipeRead:
		return -EBADF
	}
	return -EINVAL
}

// sysIov implements readv and writev.
func sysIov(fd, iov, cnt uintptr, write bool) int64 {
	if cnt > 1024 {
		return -EINVAL
	}
	v, ok := userBytes(iov, cnt*16, false)
	if !ok {
		return -EFAULT
	}
	total := int64(0)
	for i := uintptr(0); i < cnt; i++ {
		base := *(*uintptr)(unsafe.Pointer(&v[16*i]))
		l := *(*uintptr)(unsafe.Pointer(&v[16*i+8]))
		var r int64
		if write {
			r = sysWriteFD(fd, base, l)
		} else {
			r = sysReadFD(fd, base, l, -1)
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

func sysLseekFD(fd uintptr, off int64, whence int) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	if f.kind != fkFile && f.kind != fkDir {
		if f.kind == fkNull || f.kind == fkZero {
			return 0
		}
		return -ESPIPE
	}
	var base int64
	switch whence {
	case 0:
	case 1:
		base = f.off
	case 2:
		base = rootFS.Size(f.node)
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

func fillStat(st *statBuf, f *file, node int) {
	*st = statBuf{nlink: 1, blksize: 4096}
	switch {
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

func sysFstatFD(fd, buf uintptr) int64 {
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

func sysFstatat(dirfd int32, p, buf uintptr, flags int32) int64 {
	path, e := userPath(p)
	if e != 0 {
		return e
	}
	if path == "" && flags&atEmptyPath != 0 {
		return sysFstatFD(uintptr(dirfd), buf)
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
	i, e := lookupAt(dirfd, path, flags&atSymlinkNofollow == 0)
	if e != 0 {
		return e
	}
	fillStat((*statBuf)(unsafe.Pointer(&b[0])), nil, i)
	return 0
}

// sysGetdents64FD lists a directory: ".", "..", then the children in name
// order. The offset counts entries.
func sysGetdents64FD(fd, buf, n uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	if f.kind != fkDir {
		return -ENOTDIR
	}
	b, ok := userBytes(buf, n, true)
	if !ok {
		return -EFAULT
	}
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
		reclen := (19 + len(name) + 1 + 7) &^ 7
		if w+reclen > len(b) {
			if w == 0 {
				return -EINVAL
			}
			break
		}
		d := b[w : w+reclen]
		clear(d)
		*(*uint64)(unsafe.Pointer(&d[0])) = uint64(node) + 1
		*(*int64)(unsafe.Pointer(&d[8])) = f.off + 1
		*(*uint16)(unsafe.Pointer(&d[16])) = uint16(reclen)
		d[18] = direntType(rootFS.Mode(node))
		copy(d[19:], name)
		w += reclen
		f.off++
	}
	return int64(w)
}

func direntType(mode uint32) byte {
	switch mode & imagefs.ModeTypeMask {
	case imagefs.ModeDir:
		return 4
	case imagefs.ModeRegular:
		return 8
	case imagefs.ModeSymlink:
		return 10
	}
	return 0
}

const (
	fDupfd        = 0
	fGetfd        = 1
	fSetfd        = 2
	fGetfl        = 3
	fSetfl        = 4
	fDupfdCloexec = 1030
)

func sysFcntlFD(fd uintptr, cmd int32, arg uintptr) int64 {
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
	case fGetfl:
		return int64(f.flags)
	case fSetfl:
		f.flags = f.flags&^(oNonblock|oAppend) | uint32(arg)&(oNonblock|oAppend)
		return 0
	}
	return -EINVAL
}

func sysGetcwdOp(buf, n uintptr) int64 {
	p := rootFS.Path(cwd)
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

func sysChdirPath(p uintptr) int64 {
	path, e := userPath(p)
	if e != 0 {
		return e
	}
	i, e := lookupAt(atFDCWD, path, true)
	if e != 0 {
		return e
	}
	if !rootFS.IsDir(i) {
		return -ENOTDIR
	}
	cwd = i
	return 0
}

func sysReadlinkatPath(dirfd int32, p, buf, n uintptr) int64 {
	path, e := userPath(p)
	if e != 0 {
		return e
	}
	if path == "/proc/self/exe" {
		return -ENOENT
	}
	i, e := lookupAt(dirfd, path, false)
	if e != 0 {
		return e
	}
	if !rootFS.IsSymlink(i) {
		return -EINVAL
	}
	t := rootFS.LinkTarget(i)
	b, ok := userBytes(buf, min(n, uintptr(len(t))), true)
	if !ok {
		return -EFAULT
	}
	return int64(copy(b, t))
}

func sysFaccessatPath(dirfd int32, p uintptr, mode uint32) int64 {
	path, e := userPath(p)
	if e != 0 {
		return e
	}
	if deviceKind(path) != fkNone {
		return 0
	}
	i, e := lookupAt(dirfd, path, true)
	if e != 0 {
		return e
	}
	if mode&2 != 0 {
		return -EROFS
	}
	if mode&1 != 0 && rootFS.Mode(i)&0o111 == 0 {
		return -EACCES
	}
	return 0
}
