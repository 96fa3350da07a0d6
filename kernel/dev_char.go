package kernel

// Character devices every image has: the console (fds 0–2, /dev/console,
// /dev/tty, /dev/std*), /dev/null, /dev/zero, /dev/urandom and /dev/random.

// deviceKind returns the kind of the device file at path, or fkNone.
func deviceKind(path string) fileKind {
	if !isDevPath(path) {
		return fkNone
	}
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

// deviceOpen opens a device of kind k.
func deviceOpen(k fileKind, flags uint32) int64 {
	fd, _ := newFD(k, flags)
	return fd
}

// devStat describes a device or anonymous file of kind k with mode; a
// built-in device has its own permission bits and owner (dev_attr.go).
func devStat(st *statBuf, k fileKind, mode uint32) int64 {
	*st = statBuf{nlink: 1, blksize: 4096, dev: 5, ino: uint64(k), mode: mode, rdev: uint64(deviceNumber(k))}
	if st.rdev != 0 {
		perm, uid, gid := devPerm(k)
		st.mode, st.uid, st.gid = mode&tmpModeMask|perm, uid, gid
		st.mtime, st.mtimeNs = devAttrs[k].mtime/1e9, devAttrs[k].mtime%1e9
	}
	return 0
}

// Device numbers (Linux's encoding: major<<8 | minor for small numbers)
// of the built-in character devices.
const (
	devNull    = 1<<8 | 3
	devZero    = 1<<8 | 5
	devRandom  = 1<<8 | 8
	devURandom = 1<<8 | 9
	devTTY     = 5<<8 | 0
	devConsole = 5<<8 | 1
)

// deviceNumber returns the device number of kind k, or 0 if k is not a
// device.
func deviceNumber(k fileKind) uint32 {
	switch k {
	case fkNull:
		return devNull
	case fkZero:
		return devZero
	case fkRandom:
		return devURandom
	case fkConsole:
		return devConsole
	}
	return 0
}

// deviceByNumber returns the kind of the built-in character device
// numbered rdev (a device node made by mknod opens it), or fkNone.
func deviceByNumber(rdev uint32) fileKind {
	switch rdev {
	case devNull:
		return fkNull
	case devZero:
		return fkZero
	case devRandom, devURandom:
		return fkRandom
	case devTTY, devConsole:
		return fkConsole
	}
	return fkNone
}

// consoleFile: writes go to the console; reads take the host's standard
// input when it is wired to the guest (stdin.go), else end of file.
type consoleFile struct{ fileBase }

func (*consoleFile) read(f *file, b []byte, off int64) int64 {
	return stdinRead(b, f.flags&oNonblock != 0)
}

//go:nosplit
func (*consoleFile) write(f *file, b []byte, off int64) int64 {
	consoleWrite(b)
	return int64(len(b))
}

func (*consoleFile) readiness(f *file) uint32 { return epollIn | epollOut }

// fsync: Linux refuses it on a terminal.
func (*consoleFile) fsync(f *file) int64 { return -EINVAL }

type nullFile struct{ fileBase }

func (*nullFile) flags() kindFlags { return kindUnlocked }

func (*nullFile) read(f *file, b []byte, off int64) int64   { return 0 }
func (*nullFile) write(f *file, b []byte, off int64) int64  { return int64(len(b)) }
func (*nullFile) readiness(f *file) uint32                  { return pollDefault }
func (*nullFile) seek(f *file, off int64, whence int) int64 { return 0 }

// /dev/null and /dev/zero keep no state: their reads and writes need no
// lock at all.

func (*nullFile) readUnlocked(f *file, buf, n uintptr, off int64) (int64, bool) { return 0, true }
func (*nullFile) writeUnlocked(f *file, buf, n uintptr, off int64) (int64, bool) {
	return discardUnlocked(buf, n)
}

// discardUnlocked is a write that keeps nothing: the buffer must be
// program memory (EFAULT otherwise, from the locked path).
func discardUnlocked(buf, n uintptr) (int64, bool) {
	if !userPresent(buf, n, false) {
		return 0, false
	}
	return int64(n), true
}

type zeroFile struct{ fileBase }

func (*zeroFile) flags() kindFlags { return kindUnlocked }

func (*zeroFile) read(f *file, b []byte, off int64) int64 {
	clear(b)
	return int64(len(b))
}

func (*zeroFile) write(f *file, b []byte, off int64) int64 { return int64(len(b)) }

func (*zeroFile) readUnlocked(f *file, buf, n uintptr, off int64) (int64, bool) {
	if !userPresentFault(buf, n, true) {
		return 0, false
	}
	done := uintptr(0)
	for done < n {
		c := userChunk(buf+done, n-done, true)
		if c == nil {
			break // unmapped by another core meanwhile
		}
		clear(c)
		done += uintptr(len(c))
	}
	if done == 0 && n > 0 {
		return -EFAULT, true
	}
	return int64(done), true
}

func (*zeroFile) writeUnlocked(f *file, buf, n uintptr, off int64) (int64, bool) {
	return discardUnlocked(buf, n)
}
func (*zeroFile) readiness(f *file) uint32                  { return pollDefault }
func (*zeroFile) seek(f *file, off int64, whence int) int64 { return 0 }

type randomFile struct{ fileBase }

func (*randomFile) read(f *file, b []byte, off int64) int64 {
	fillRandom(b)
	return int64(len(b))
}

func (*randomFile) write(f *file, b []byte, off int64) int64 { return int64(len(b)) }
func (*randomFile) readiness(f *file) uint32                 { return pollDefault }
