package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/kernel/arch"
)

// File descriptors. A descriptor points at an open file description
// (shared by dup, as on Linux), whose kind serves the operations on it
// (fileops.go, filekinds.go).
//
// The descriptor table is written under fdLock (and the big kernel lock),
// and a description's reference count changes atomically. A system call
// running without the big lock (sys_file.go) pins the description behind
// a descriptor on its core (fdPin) while another core may close it: the
// description then lives until that call unpins (fdUnpin), as on Linux.

const (
	maxFDs   = 1024
	maxFiles = 1024
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

// file is an open file description.
type file struct {
	kind  fileKind
	refs  int32
	flags uint32 // open flags
	node  int    // what the kind's table index is: an imagefs entry, a pipe, a socket…
	off   int64  // file offset (directories: next entry number)
	count uint64 // eventfd counter
	gen   uint64 // bumped on each readiness change, for edge-triggered epoll
	ep    int32  // epoll instance
}

var files [maxFiles]file

var fdtab [maxFDs]struct {
	file    int32 // index+1 into files; 0 = unused
	cloexec bool
	// pending: installed by a system call that has not returned yet
	// (newFD), which may still be setting up the description. fdPin
	// does not see it (EBADF, as on Linux, which installs a descriptor
	// last) until the call returns and publishes it (fdPublish).
	pending bool
}

// fdLock orders changes of fdtab. It is a leaf: nothing else is taken
// while it is held. fdPin reads the table without it: an entry's file is
// stored last (atomically), after its flags.
var fdLock spinLock

// fileAlloc returns a free description with one reference.
func fileAlloc(kind fileKind, flags uint32) int32 {
	for i := range files {
		if files[i].kind == fkNone {
			files[i] = file{kind: kind, flags: flags}
			// Last: fdPin takes a reference only to a live description.
			atomic.StoreInt32(&files[i].refs, 1)
			return int32(i)
		}
	}
	return -1
}

// fileHold takes one more reference to description i.
func fileHold(i int32) { atomic.AddInt32(&files[i].refs, 1) }

// fileRelease drops a reference to description i and releases it when it
// was the last; the caller holds the big kernel lock.
func fileRelease(i int32) {
	if atomic.AddInt32(&files[i].refs, -1) > 0 {
		return
	}
	fileFinish(i)
}

// fileFinish releases description i, whose last reference is gone; the
// caller holds the big kernel lock.
//
//go:nosplit
func fileFinish(i int32) {
	pinWait(i)
	f := &files[i]
	locksOnRelease(i, f)
	f.ops().release(f)
	epollForget(i)
	f.kind = fkNone
}

// fdInstall gives description fi the lowest free descriptor >= min.
//
//go:nosplit
func fdInstall(fi int32, min int, cloexec, pending bool) int64 {
	fdLock.lock()
	for fd := min; fd < maxFDs; fd++ {
		if fdtab[fd].file == 0 {
			fdtab[fd].cloexec = cloexec
			fdtab[fd].pending = pending
			// Last: fdPin reads the entry without fdLock.
			atomic.StoreInt32(&fdtab[fd].file, fi+1)
			fdLock.unlock()
			return int64(fd)
		}
	}
	fdLock.unlock()
	return -EMFILE
}

// newFD allocates a description of kind and a descriptor for it.
//
//go:nosplit
func newFD(kind fileKind, flags uint32) (int64, *file) {
	fi := fileAlloc(kind, flags&^oCloexec)
	if fi < 0 {
		return -ENFILE, nil
	}
	// The calling thread publishes the descriptor when its system call
	// returns; past its list's room (never seen: pipe2 and socketpair
	// make two) it is visible at once.
	t := curThread() // nil in the idle context
	pending := t != nil && int(t.fdNewN) < len(t.fdNew)
	fd := fdInstall(fi, 0, flags&oCloexec != 0, pending)
	if fd < 0 {
		fileRelease(fi)
		return fd, nil
	}
	if pending {
		t.fdNew[t.fdNewN] = [2]int32{int32(fd), fi + 1}
		t.fdNewN++
	}
	return fd, &files[fi]
}

// fdPublish makes the descriptors t's system call created visible to
// fdPin; syscall calls it when a call returns.
//
//go:nosplit
func fdPublish(t *thread) {
	fdLock.lock()
	for _, e := range t.fdNew[:t.fdNewN] {
		if fdtab[e[0]].file == e[1] {
			fdtab[e[0]].pending = false
		}
	}
	fdLock.unlock()
	t.fdNewN = 0
}

// fdPin returns the description behind fd, pinned on this core until
// fdUnpin, if it is of a kind whose reads and writes may run unlocked
// (kindUnlocked), and nil otherwise — also when fd is pending or changes
// meanwhile, for the caller's locked path to sort out under the big
// kernel lock. It takes no lock and changes no reference count: the core
// names the description in its pinned slot, and a description whose last
// reference goes waits, before it is released, until no other core has it
// pinned (fileFinish). The slot is written before the descriptor is read
// again, with a fence between: either the closing core sees the pin and
// waits, or this core sees the descriptor cleared and gives up.
//
//go:nosplit
func fdPin(fd uintptr) (int32, *file) {
	if fd >= maxFDs {
		return -1, nil
	}
	e := &fdtab[fd]
	v := atomic.LoadInt32(&e.file)
	if v <= 0 || e.pending {
		return -1, nil
	}
	f := &files[v-1]
	if unlockedKinds&(1<<f.kind) == 0 { // a hint: the kind is read again once pinned
		return -1, nil
	}
	c := thisCPU()
	atomic.StoreInt32(&c.sched().pinned, v) // an exchange: a full fence
	if atomic.LoadInt32(&e.file) != v || e.pending {
		c.sched().pinned = 0
		return -1, nil
	}
	return v - 1, f
}

// fdUnpin ends the running core's pin (fdPin). A plain store: on x86 it
// is not seen before the loads and stores of the call that came before.
func fdUnpin() { thisCPU().sched().pinned = 0 }

// pinWait waits until no other core has description fi pinned (fdPin).
//
//go:nosplit
func pinWait(fi int32) {
	if ncpu == 1 {
		return // only the calling core, which pins nothing across a call
	}
	me := thisCPU()
	for i := 0; i < ncpu; i++ {
		c := &cpus[i]
		if c == me {
			continue
		}
		for atomic.LoadInt32(&c.sched().pinned) == fi+1 {
			arch.Pause()
			tlbService(me)
		}
	}
}

// fdGet returns the description behind fd; the caller holds the big
// kernel lock. It is not inlined: its checks in each of its many callers
// would be translated again under TCG, a call only once.
//
//go:noinline
func fdGet(fd uintptr) (int32, *file) {
	if fd >= maxFDs || fdtab[fd].file == 0 {
		return -1, nil
	}
	fi := fdtab[fd].file - 1
	return fi, &files[fi]
}

//go:nosplit
func fdClose(fd uintptr) int64 {
	fi, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	fdLock.lock()
	atomic.StoreInt32(&fdtab[fd].file, 0)
	fdLock.unlock()
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
		fileHold(fi) // before the descriptor is visible to fdPin
		fd := fdInstall(fi, newfd, cloexec, false)
		if fd < 0 {
			atomic.AddInt32(&f.refs, -1)
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
	fileHold(fi)
	fdLock.lock()
	fdtab[newfd].cloexec = cloexec
	fdtab[newfd].pending = false
	atomic.StoreInt32(&fdtab[newfd].file, fi+1)
	fdLock.unlock()
	return int64(newfd)
}

// unlockedKinds has bit k set if file kind k has unlocked reads and
// writes (kindUnlocked in its flags), for fdPin to ask without a call. It
// is a constant rather than a table filled at boot, which called every
// kind's flags once (about 50 translated blocks of a TCG boot, most for
// kinds a program never opens); TestUnlockedKinds checks that it says
// what the kinds' flags say.
const unlockedKinds uint64 = 1<<fkFile | 1<<fkNull | 1<<fkZero | 1<<fkEventfd |
	1<<fkPipeRead | 1<<fkPipeWrite | 1<<fkTmpFile | 1<<fkSocket | 1<<fkUnix | 1<<fkFifo

// Every kind has a bit in unlockedKinds.
const _ = 64 - numFileKinds

// fdInit opens the console as descriptors 0, 1 and 2. The tables are
// empty at boot, so the console is description 0 (fileAlloc's search,
// inlined here, would be blocks QEMU's TCG translates for nothing).
func fdInit() {
	files[0] = file{kind: fkConsole, flags: oRdwr}
	atomic.StoreInt32(&files[0].refs, 3)
	fdtab[0].file, fdtab[1].file, fdtab[2].file = 1, 1, 1
}

//go:nosplit
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

const (
	fDupfd        = 0
	fGetfd        = 1
	fSetfd        = 2
	fGetfl        = 3
	fSetfl        = 4
	fDupfdCloexec = 1030
)

//go:nosplit
func sysFcntl(fd, cmd, arg, _, _, _ uintptr) int64 {
	return fcntl(fd, int32(cmd), arg)
}

//go:nosplit
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
	// The seals (memfd.go) after the switch: as cases they cost the
	// calls above a translated block under TCG (hello's run: 12 blocks
	// of fcntl against 11).
	switch cmd {
	case fAddSeals:
		return addSeals(f, uint32(arg))
	case fGetSeals:
		return fileSeals(f)
	}
	return -EINVAL
}
