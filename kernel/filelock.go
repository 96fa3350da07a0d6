package kernel

import "unsafe"

// Advisory file locks: flock(2) and fcntl(2) record locks, with Linux's
// owners and lifetimes.
//
//   - flock locks belong to the open file description: dup'd descriptors
//     share them, a second open of the same file conflicts, and they go
//     when the description's last descriptor closes.
//   - Traditional (POSIX) record locks belong to the process. There is one
//     process, so they never conflict with each other; a new lock replaces
//     the process's own over its range, and closing any descriptor of the
//     file drops all of them (the POSIX rule SQLite works around).
//   - Open-file-description record locks (F_OFD_*) belong to the
//     description, so they conflict between two opens of one file, and with
//     the process's traditional locks.
//
// flock and record locks do not interact, as on Linux. A file is named by
// its file system and node (lockKey). Locks on virtio-fs files are seen by
// the guest only, not by host processes. Blocking requests (flock without
// LOCK_NB, F_SETLKW) wait for a release and fail with EINTR on a signal.

const (
	maxFlocks   = 256
	maxRecLocks = 512

	lockSH = 1
	lockEX = 2
	lockNB = 4
	lockUN = 8

	fRdlck = 0
	fWrlck = 1
	fUnlck = 2

	fGetlk     = 5
	fSetlk     = 6
	fSetlkw    = 7
	fOfdGetlk  = 36
	fOfdSetlk  = 37
	fOfdSetlkw = 38

	ENOLCK    = 37
	EOVERFLOW = 75

	// recOwnerProcess owns the traditional record locks; description i
	// owns its OFD locks as i.
	recOwnerProcess = -1
	lockEnd         = int64(^uint64(0) >> 1)
)

type flockEntry struct {
	used      bool
	exclusive bool
	key       uint64
	file      int32 // owning description
}

type recLock struct {
	used  bool
	write bool
	key   uint64
	owner int32 // recOwnerProcess or a description
	start int64
	end   int64 // inclusive
}

var locks struct {
	// taken is set by the first lock ever taken: until then closing a
	// file need not look at the tables.
	taken  bool
	flocks [maxFlocks]flockEntry
	recs   [maxRecLocks]recLock
}

// lockWaitKey is what blocked lock requests wait on.
func lockWaitKey() uintptr { return uintptr(unsafe.Pointer(&locks)) }

// Lock keys (the lockKey file operation) name the file behind a
// description: its file system in the top byte and its node below; files
// without one (pipes, sockets) are named by their description.
const (
	lockKeyImage = 1 << 56
	lockKeyTmp   = 2 << 56
	lockKeyShare = 4 << 56
	lockKeyBlock = 5 << 56
	lockKeyOwn   = 6 << 56
)

// lockKey names the file behind f (description fi) for locking.
func lockKey(fi int32, f *file) uint64 { return f.ops().lockKey(f, fi) }

func sysFlock(fd, op, _, _, _, _ uintptr) int64 { return flock(fd, int32(op)) }

func flock(fd uintptr, op int32) int64 {
	fi, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	if f.flags&oPath != 0 {
		return -EBADF
	}
	nb := op&lockNB != 0
	op &^= lockNB
	if op != lockSH && op != lockEX && op != lockUN {
		return -EINVAL
	}
	key := lockKey(fi, f)
	if op == lockUN {
		flockDrop(fi, key)
		return 0
	}
	excl := op == lockEX
	for {
		if !flockConflict(fi, key, excl) {
			break
		}
		if nb {
			return -EAGAIN
		}
		// Converting a lock is not atomic on Linux either: the old one is
		// dropped before waiting, so two converting holders cannot
		// deadlock.
		flockDrop(fi, key)
		if waitOn(lockWaitKey(), 0) == wakeSignal {
			return -errRestartSys
		}
	}
	free := -1
	for i := range locks.flocks {
		l := &locks.flocks[i]
		if l.used && l.key == key && l.file == fi {
			if l.exclusive != excl {
				l.exclusive = excl
				wakeKey(lockWaitKey()) // a downgrade admits shared waiters
			}
			return 0
		}
		if !l.used && free < 0 {
			free = i
		}
	}
	if free < 0 {
		return -ENOLCK
	}
	locks.flocks[free] = flockEntry{used: true, exclusive: excl, key: key, file: fi}
	locks.taken = true
	return 0
}

// flockConflict reports whether another description holds a flock on key
// that a lock of the wanted kind would conflict with.
func flockConflict(fi int32, key uint64, excl bool) bool {
	for i := range locks.flocks {
		l := &locks.flocks[i]
		if l.used && l.key == key && l.file != fi && (excl || l.exclusive) {
			return true
		}
	}
	return false
}

// flockDrop releases description fi's flock on key, if any.
func flockDrop(fi int32, key uint64) {
	for i := range locks.flocks {
		l := &locks.flocks[i]
		if l.used && l.key == key && l.file == fi {
			l.used = false
			wakeKey(lockWaitKey())
		}
	}
}

// flockT is struct flock on x86-64.
type flockT struct {
	typ    int16
	whence int16
	_      int32
	start  int64
	len    int64
	pid    int32
	_      int32
}

// sysFcntlLock serves F_GETLK, F_SETLK, F_SETLKW and their OFD forms.
func sysFcntlLock(fd uintptr, cmd int32, arg uintptr) int64 {
	fi, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	b, ok := userBytes(arg, unsafe.Sizeof(flockT{}), cmd == fGetlk || cmd == fOfdGetlk)
	if !ok {
		return -EFAULT
	}
	fl := (*flockT)(unsafe.Pointer(&b[0]))
	ofd := cmd >= fOfdGetlk
	owner := int32(recOwnerProcess)
	if ofd {
		if fl.pid != 0 {
			return -EINVAL
		}
		owner = fi
	}
	if f.flags&oPath != 0 {
		return -EBADF
	}
	start, end, e := lockRange(f, fl)
	if e != 0 {
		return e
	}
	key := lockKey(fi, f)
	switch cmd {
	case fGetlk, fOfdGetlk:
		if fl.typ != fRdlck && fl.typ != fWrlck {
			return -EINVAL
		}
		c := recConflict(key, owner, fl.typ == fWrlck, start, end)
		if c < 0 {
			fl.typ = fUnlck
			return 0
		}
		l := &locks.recs[c]
		fl.typ = fRdlck
		if l.write {
			fl.typ = fWrlck
		}
		fl.whence, fl.start, fl.len = 0, l.start, 0
		if l.end != lockEnd {
			fl.len = l.end - l.start + 1
		}
		fl.pid = 1
		if l.owner != recOwnerProcess {
			fl.pid = -1
		}
		return 0
	}
	switch fl.typ {
	case fUnlck:
		return recSet(key, owner, false, true, start, end)
	case fRdlck:
		if f.flags&oAccMode == oWronly {
			return -EBADF
		}
	case fWrlck:
		if f.flags&oAccMode == oRdonly {
			return -EBADF
		}
	default:
		return -EINVAL
	}
	write := fl.typ == fWrlck
	for recConflict(key, owner, write, start, end) >= 0 {
		if cmd == fSetlk || cmd == fOfdSetlk {
			return -EAGAIN
		}
		if waitOn(lockWaitKey(), 0) == wakeSignal {
			return -errRestartSys
		}
	}
	return recSet(key, owner, write, false, start, end)
}

// lockRange turns a struct flock's whence, start and len into an
// inclusive byte range.
func lockRange(f *file, fl *flockT) (start, end int64, e int64) {
	switch fl.whence {
	case 0: // SEEK_SET
	case 1: // SEEK_CUR
		start = f.off
	case 2: // SEEK_END
		if start = f.ops().size(f); start < 0 {
			return 0, 0, start
		}
	default:
		return 0, 0, -EINVAL
	}
	if (fl.start > 0 && start > lockEnd-fl.start) || start+fl.start < 0 {
		return 0, 0, -EINVAL
	}
	start += fl.start
	switch {
	case fl.len == 0:
		end = lockEnd
	case fl.len > 0:
		if start > lockEnd-fl.len+1 {
			return 0, 0, -EOVERFLOW
		}
		end = start + fl.len - 1
	default: // a negative length locks the bytes before start
		if start+fl.len < 0 {
			return 0, 0, -EINVAL
		}
		start, end = start+fl.len, start-1
	}
	return start, end, 0
}

// recConflict returns a record lock of another owner on key overlapping
// [start, end] that conflicts with a lock of the wanted kind, or -1.
func recConflict(key uint64, owner int32, write bool, start, end int64) int {
	for i := range locks.recs {
		l := &locks.recs[i]
		if l.used && l.key == key && l.owner != owner && l.start <= end && start <= l.end && (write || l.write) {
			return i
		}
	}
	return -1
}

// recSet gives owner a lock of the kind write over [start, end] on key
// (or, with unlock, removes its locks there): its own locks over the range
// are cut back or split, then the new one is added.
func recSet(key uint64, owner int32, write, unlock bool, start, end int64) int64 {
	// Count the free slots first, so that a full table fails before
	// anything changes: a split needs one, the new lock another.
	free := 0
	for i := range locks.recs {
		if !locks.recs[i].used {
			free++
		}
	}
	need := 0
	if !unlock {
		need++
	}
	for i := range locks.recs {
		l := &locks.recs[i]
		if l.used && l.key == key && l.owner == owner && l.start < start && l.end > end {
			need++
		}
	}
	if need > free {
		return -ENOLCK
	}
	changed := false
	for i := range locks.recs {
		l := &locks.recs[i]
		if !l.used || l.key != key || l.owner != owner || l.end < start || l.start > end {
			continue
		}
		changed = true
		switch {
		case l.start >= start && l.end <= end:
			l.used = false
		case l.start < start && l.end > end:
			tail := *l
			tail.start = end + 1
			l.end = start - 1
			recAdd(tail)
		case l.start < start:
			l.end = start - 1
		default:
			l.start = end + 1
		}
	}
	if !unlock {
		recAdd(recLock{used: true, write: write, key: key, owner: owner, start: start, end: end})
	}
	if changed {
		wakeKey(lockWaitKey())
	}
	return 0
}

func recAdd(l recLock) {
	for i := range locks.recs {
		if !locks.recs[i].used {
			locks.recs[i] = l
			locks.taken = true
			return
		}
	}
}

// recDropOwner removes every record lock of owner on key (key 0: on every
// file).
func recDropOwner(key uint64, owner int32) {
	changed := false
	for i := range locks.recs {
		l := &locks.recs[i]
		if l.used && l.owner == owner && (key == 0 || l.key == key) {
			l.used = false
			changed = true
		}
	}
	if changed {
		wakeKey(lockWaitKey())
	}
}

// locksOnClose applies the POSIX rule when descriptor of description fi
// closes: the process's record locks on the file go.
//
//go:nosplit
func locksOnClose(fi int32, f *file) {
	if !locks.taken {
		return
	}
	recDropOwner(lockKey(fi, f), recOwnerProcess)
}

// locksOnRelease drops the locks of a description whose last descriptor
// closed: its flocks and OFD locks.
//
//go:nosplit
func locksOnRelease(fi int32, f *file) {
	if !locks.taken {
		return
	}
	key := lockKey(fi, f)
	flockDrop(fi, key)
	recDropOwner(key, fi)
}
