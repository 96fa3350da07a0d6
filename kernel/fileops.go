package kernel

// File operations. An open file description (file, fd.go) has a kind, and
// the kind's type serves every operation on it: read, write, poll
// readiness, stat, ioctl, seek, directory listing, release, the socket
// calls. Each kind is a type in its own file that embeds fileBase (the
// answers of a file that does not support an operation) and overrides
// what it does; fileKinds (filekinds.go) maps kinds to types. Generic code
// (the system calls, epoll, splice) calls f.ops().op(f, …) and never
// looks at the kind.
//
// Why an interface of zero-size types: the table of kinds is static data
// (the compiler lays out the interface values; the kernel runs no package
// initialisation), a call costs one indirect call, and a kind's methods
// may call generic code back (a conversion to an interface does not refer
// to the methods, so there is no initialisation cycle, which a table of
// function values would have).
//
// The rule that comes with it: an interface call lets its pointer
// arguments escape, which would move a caller's stack buffer to the heap.
// Operations are therefore given only the description (a pointer into the
// static files table), user memory, and kernel memory that is not on the
// caller's stack; a caller that must lend a stack buffer passes its
// address as a uintptr (dirPath; kernel stacks never move).
// TestNoHeapAllocation catches a violation.

// fileOps is what every file kind implements.
type fileOps interface {
	// flags says what kind of object this is.
	flags() kindFlags

	// read reads into b at off, or at the file offset if off < 0.
	read(f *file, b []byte, off int64) int64
	// write writes b at off, or at the file offset if off < 0.
	write(f *file, b []byte, off int64) int64
	// readUnlocked and writeUnlocked are read and write of the n bytes of
	// user memory at buf without the big kernel lock, for kinds whose
	// objects need no lock or have their own (docs/kernel.md, "Locks").
	// They reach user memory only through present pages (usermem.go); ok
	// false means nothing has happened and the call is to run again under
	// the big lock (fileBase: always).
	readUnlocked(f *file, buf, n uintptr, off int64) (r int64, ok bool)
	writeUnlocked(f *file, buf, n uintptr, off int64) (r int64, ok bool)
	// writev writes the buffers of the user's iovec (16 bytes an entry)
	// at off, or at the file offset if off < 0 (offAppend, offAppendKeep:
	// at the end, sys_vecio.go).
	writev(f *file, iov []byte, off int64) int64
	// seek is lseek.
	seek(f *file, off int64, whence int) int64
	// readiness returns the epoll events the file is ready for.
	readiness(f *file) uint32
	// gen returns a number that changes whenever readiness may have
	// changed (edge-triggered epoll compares it).
	gen(f *file) uint64
	// stat describes the file.
	stat(f *file, st *statBuf) int64
	// size is the file's size as stat reports it (lock ranges relative
	// to the end count from it), or -errno.
	size(f *file) int64
	// statfs describes the file system the file is on (fstatfs).
	statfs(f *file, st *statfsBuf) int64
	// lockKey names the object behind the description for file locks
	// (flock, fcntl): two descriptions of one file share a key. fi is the
	// description's index, the key of objects without a file.
	lockKey(f *file, fi int32) uint64
	// pageIn copies n bytes of the file at off into the kernel page at p,
	// for a private file mapping (kindMappable kinds).
	pageIn(f *file, p uintptr, off int64, n int) int64
	ioctl(f *file, req, arg uintptr) int64
	fsync(f *file) int64
	truncate(f *file, size int64) int64
	// fallocate allocates or punches holes (mode: FALLOC_FL_*) in
	// [off, off+n), checked by sysFallocate (fallocate.go).
	fallocate(f *file, mode uint32, off, n int64) int64
	chmod(f *file, mode uint32) int64
	// getdents lists a directory (kindDir) into b.
	getdents(f *file, b []byte) int64
	// dirPath writes the absolute path of a directory (kindDir) into the
	// pathMax bytes at buf and returns it.
	dirPath(f *file, buf uintptr) string
	// release runs when the last descriptor of the description closes.
	release(f *file)

	// spliceRoom returns how many bytes a write takes without blocking,
	// or -1 if it never blocks; spliceWait blocks until that may have
	// changed (splice and sendfile wait for room before they read).
	spliceRoom(f *file) int
	spliceWait(f *file) int32

	// Socket calls (fileBase: ENOTSOCK). sendto, recvfrom and the msg
	// calls default to plain writes and reads.
	bind(f *file, addr, n uintptr) int64
	listen(f *file, backlog int32) int64
	connect(f *file, addr, n uintptr) int64
	accept(f *file, addr, lenp uintptr, flags uint32) int64
	shutdown(f *file, how int32) int64
	sockname(f *file, addr, lenp uintptr, peer bool) int64
	setsockopt(f *file, level, name int32, val, n uintptr) int64
	getsockopt(f *file, level, name int32, val, lenp uintptr) int64
	sendto(f *file, buf, n uintptr, flags uint32, addr, alen uintptr) int64
	recvfrom(f *file, buf, n uintptr, flags uint32, addr, lenp uintptr) int64
	// msg is sendmsg (send) and recvmsg on the user's msghdr m.
	msg(f *file, m []byte, send bool) int64
	// sendUnlocked and recvUnlocked are send and recv (sendto and
	// recvfrom without an address) with flags of at most MSG_DONTWAIT
	// and MSG_NOSIGNAL, without the big kernel lock, as readUnlocked and
	// writeUnlocked (ok false: nothing happened, run sendto or recvfrom
	// under the big lock).
	sendUnlocked(f *file, buf, n uintptr, flags uint32) (r int64, ok bool)
	recvUnlocked(f *file, buf, n uintptr, flags uint32) (r int64, ok bool)
}

// kindFlags describe a kind to generic code.
type kindFlags uint8

const (
	// kindSeekable: a file-system object with a file offset (files,
	// directories, block devices). epoll refuses it (EPERM, as Linux does
	// for regular files); splice gives back what it read but could not
	// write.
	kindSeekable kindFlags = 1 << iota
	// kindRegular: a regular file whose data is in guest memory (the
	// packed tree, /tmp): copy_file_range copies between these.
	kindRegular
	// kindDir: a directory: getdents, fchdir, the base of relative paths.
	kindDir
	// kindMappable: mmap maps it (vm_file.go).
	kindMappable
	// kindUnlocked: readUnlocked or writeUnlocked may serve a call; read
	// and write of other kinds go straight to the big kernel lock.
	kindUnlocked
)

// ops returns the operations of f's kind.
func (f *file) ops() fileOps { return fileKinds[f.kind] }

func (f *file) is(k kindFlags) bool { return f.ops().flags()&k != 0 }

// fileBase gives the answers of a file that does not support an
// operation. Every kind embeds it.
type fileBase struct{}

func (fileBase) flags() kindFlags                         { return 0 }
func (fileBase) read(f *file, b []byte, off int64) int64  { return -EINVAL }
func (fileBase) write(f *file, b []byte, off int64) int64 { return -EINVAL }
func (fileBase) readUnlocked(f *file, buf, n uintptr, off int64) (int64, bool) {
	return 0, false
}
func (fileBase) writeUnlocked(f *file, buf, n uintptr, off int64) (int64, bool) {
	return 0, false
}
func (fileBase) writev(f *file, iov []byte, off int64) int64        { return writeEach(f, iov, off) }
func (fileBase) seek(f *file, off int64, whence int) int64          { return -ESPIPE }
func (fileBase) readiness(f *file) uint32                           { return 0 }
func (fileBase) gen(f *file) uint64                                 { return f.gen }
func (fileBase) stat(f *file, st *statBuf) int64                    { return devStat(st, f.kind, 0o020666) }
func (fileBase) size(f *file) int64                                 { return 0 }
func (fileBase) statfs(f *file, st *statfsBuf) int64                { return statfsDev(st) }
func (fileBase) lockKey(f *file, fi int32) uint64                   { return lockKeyOwn | uint64(fi) }
func (fileBase) pageIn(f *file, p uintptr, off int64, n int) int64  { return -ENODEV }
func (fileBase) ioctl(f *file, req, arg uintptr) int64              { return -ENOTTY }
func (fileBase) fsync(f *file) int64                                { return 0 }
func (fileBase) truncate(f *file, size int64) int64                 { return -EINVAL }
func (fileBase) fallocate(f *file, mode uint32, off, n int64) int64 { return -ENODEV }
func (fileBase) chmod(f *file, mode uint32) int64                   { return baseChmod(f, mode) }
func (fileBase) getdents(f *file, b []byte) int64                   { return -ENOTDIR }
func (fileBase) dirPath(f *file, buf uintptr) string                { return "" }
func (fileBase) release(f *file)                                    {}
func (fileBase) spliceRoom(f *file) int                             { return -1 }
func (fileBase) spliceWait(f *file) int32                           { return blockOnFile(f) }
func (fileBase) bind(f *file, addr, n uintptr) int64                { return -ENOTSOCK }
func (fileBase) listen(f *file, backlog int32) int64                { return -ENOTSOCK }
func (fileBase) connect(f *file, addr, n uintptr) int64             { return -ENOTSOCK }
func (fileBase) shutdown(f *file, how int32) int64                  { return -ENOTSOCK }
func (fileBase) sockname(f *file, a, lenp uintptr, p bool) int64    { return -ENOTSOCK }

func (fileBase) accept(f *file, addr, lenp uintptr, flags uint32) int64 { return -ENOTSOCK }

func (fileBase) setsockopt(f *file, level, name int32, val, n uintptr) int64 { return -ENOTSOCK }

func (fileBase) getsockopt(f *file, level, name int32, val, lenp uintptr) int64 {
	return -ENOTSOCK
}

func (fileBase) sendto(f *file, buf, n uintptr, flags uint32, addr, alen uintptr) int64 {
	return writeUser(f, buf, n, -1)
}

func (fileBase) sendUnlocked(f *file, buf, n uintptr, flags uint32) (int64, bool) {
	return 0, false
}

func (fileBase) recvUnlocked(f *file, buf, n uintptr, flags uint32) (int64, bool) {
	return 0, false
}

func (fileBase) recvfrom(f *file, buf, n uintptr, flags uint32, addr, lenp uintptr) int64 {
	if addr != 0 && lenp != 0 {
		if b, ok := userBytes(lenp, 4, true); ok {
			clear(b) // no address to report
		}
	}
	return readUser(f, buf, n, -1)
}

func (fileBase) msg(f *file, m []byte, send bool) int64 { return msgIov(f, m, send) }

// seekIn is lseek on a file of size bytes (SEEK_END counts from it).
func seekIn(f *file, off int64, whence int, size int64) int64 {
	var base int64
	switch whence {
	case seekSet:
	case seekCur:
		base = f.off
	case seekEnd:
		if size < 0 {
			return size // the size could not be found out: -errno
		}
		base = size
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
	seekSet = 0
	seekCur = 1
	seekEnd = 2
)
