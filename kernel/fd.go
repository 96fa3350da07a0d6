package kernel

// File descriptors. A descriptor points at an open file description
// (shared by dup, as on Linux); descriptions are console, in-image files and
// directories, /dev devices, eventfds and epoll instances.

const (
	maxFDs   = 1024
	maxFiles = 1024
)

type fileKind uint8

const (
	fkNone fileKind = iota
	fkConsole
	fkFile
	fkDir
	fkNull
	fkZero
	fkRandom
	fkEventfd
	fkEpoll
	fkPipeRead
	fkPipeWrite
	fkTmpFile
	fkTmpDir
	fkSocket
	fkStatic
	fkBlock    // a virtio-blk device (dev_block.go)
	fkFuseFile // a file on a shared directory (fuse_sys.go)
	fkFuseDir  // a directory on a shared directory
	fkVsock    // an AF_VSOCK socket (vsock_socket.go)
	fkNetctl   // the network service's control device (netctl.go)
	fkNetDev   // /dev/net0, the virtio-net device's frames (virtio_net.go)
)

// Open flags (Linux x86-64).
const (
	oAccMode   = 3
	oRdonly    = 0
	oWronly    = 1
	oRdwr      = 2
	oCreat     = 0x40
	oExcl      = 0x80
	oTrunc     = 0x200
	oAppend    = 0x400
	oNonblock  = 0x800
	oDirectory = 0x10000
	oNofollow  = 0x20000
	oCloexec   = 0x80000
	oPath      = 0x200000
)

type file struct {
	kind  fileKind
	refs  int32
	flags uint32
	node  int    // imagefs entry
	off   int64  // read offset (directories: next entry number)
	count uint64 // eventfd counter
	gen   uint64 // bumped on each readiness change, for edge-triggered epoll
	ep    int32  // epoll instance
}

var files [maxFiles]file

var fdtab [maxFDs]struct {
	file    int32 // index+1 into files; 0 = unused
	cloexec bool
}

// fileAlloc returns a free description with one reference.
func fileAlloc(kind fileKind, flags uint32) int32 {
	for i := range files {
		if files[i].kind == fkNone {
			files[i] = file{kind: kind, refs: 1, flags: flags}
			return int32(i)
		}
	}
	return -1
}

func fileRelease(i int32) {
	f := &files[i]
	f.refs--
	if f.refs > 0 {
		return
	}
	locksOnRelease(i, f)
	switch f.kind {
	case fkEpoll:
		epollFree(f.ep)
	case fkPipeRead, fkPipeWrite:
		pipeClose(f.node, f.kind == fkPipeWrite)
	case fkSocket:
		sockClose(f.node)
	case fkVsock:
		vsClose(f.node)
	case fkNetctl:
		ncClose()
	case fkNetDev:
		netClose()
	case fkTmpFile, fkTmpDir:
		tmp.nodes[f.node].opens--
		tmpMaybeFree(f.node)
	case fkFuseFile, fkFuseDir:
		fuseClose(f)
	}
	epollForget(i)
	f.kind = fkNone
}

// fdInstall gives description fi the lowest free descriptor >= min.
func fdInstall(fi int32, min int, cloexec bool) int64 {
	for fd := min; fd < maxFDs; fd++ {
		if fdtab[fd].file == 0 {
			fdtab[fd].file = fi + 1
			fdtab[fd].cloexec = cloexec
			return int64(fd)
		}
	}
	return -EMFILE
}

// newFD allocates a description of kind and a descriptor for it.
func newFD(kind fileKind, flags uint32) (int64, *file) {
	fi := fileAlloc(kind, flags&^oCloexec)
	if fi < 0 {
		return -ENFILE, nil
	}
	fd := fdInstall(fi, 0, flags&oCloexec != 0)
	if fd < 0 {
		fileRelease(fi)
		return fd, nil
	}
	return fd, &files[fi]
}

// fdGet returns the description behind fd.
func fdGet(fd uintptr) (int32, *file) {
	if fd >= maxFDs || fdtab[fd].file == 0 {
		return -1, nil
	}
	fi := fdtab[fd].file - 1
	return fi, &files[fi]
}

func fdClose(fd uintptr) int64 {
	fi, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	fdtab[fd].file = 0
	locksOnClose(fi, f)
	fileRelease(fi)
	return 0
}

func fdDup(old uintptr, newfd int, exact bool, cloexec bool) int64 {
	fi, f := fdGet(old)
	if f == nil {
		return -EBADF
	}
	if !exact {
		fd := fdInstall(fi, newfd, cloexec)
		if fd >= 0 {
			f.refs++
		}
		return fd
	}
	if newfd < 0 || newfd >= maxFDs {
		return -EBADF
	}
	if uintptr(newfd) == old {
		return int64(newfd)
	}
	if fdtab[newfd].file != 0 {
		fdClose(uintptr(newfd))
	}
	fdtab[newfd].file = fi + 1
	fdtab[newfd].cloexec = cloexec
	f.refs++
	return int64(newfd)
}

// fdInit opens the console as descriptors 0, 1 and 2.
func fdInit() {
	fi := fileAlloc(fkConsole, oRdwr)
	files[fi].refs = 3
	for fd := 0; fd < 3; fd++ {
		fdtab[fd].file = fi + 1
	}
}

func sysClose(fd, _, _, _, _, _ uintptr) int64 { return fdClose(fd) }

func sysCloseRange(first, last, _, _, _, _ uintptr) int64 {
	for fd := first; fd <= last && fd < maxFDs; fd++ {
		fdClose(fd)
	}
	return 0
}

func sysDup(fd, _, _, _, _, _ uintptr) int64 { return fdDup(fd, 0, false, false) }

func sysDup2(old, newfd, _, _, _, _ uintptr) int64 { return fdDup(old, int(newfd), true, false) }

func sysDup3(old, newfd, flags, _, _, _ uintptr) int64 {
	if old == newfd {
		return -EINVAL
	}
	return fdDup(old, int(newfd), true, flags&oCloexec != 0)
}
