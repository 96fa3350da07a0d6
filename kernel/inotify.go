package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/internal/byteorder"
)

// inotify on what the program's own system calls change in /tmp and in
// the writable packed tree (overlay.go): every change to those trees is a
// system call of this process, so the calls that make them report events
// (inotifyNotify and friends, called from the file system calls) to the
// watches on the node and on its directory. A watch names a tmpfs node; a
// directory of the packed tree is copied up to be watched when the overlay
// is on (without it the tree cannot change, and its watch never fires).
// Shared directories (virtio-fs) change behind the guest's back, so
// watching them is refused (EOPNOTSUPP) rather than silent.
//
// An instance's queue holds struct inotify_event records (16 bytes and the
// name, NUL-padded to 16) in an ordinary pipe; an event identical to the
// last unread one is merged into it, and a full queue ends with one
// IN_Q_OVERFLOW, as on Linux.

const (
	inAccess      = 0x1
	inModify      = 0x2
	inAttrib      = 0x4
	inCloseWrite  = 0x8
	inCloseNowr   = 0x10
	inOpen        = 0x20
	inMovedFrom   = 0x40
	inMovedTo     = 0x80
	inCreate      = 0x100
	inDelete      = 0x200
	inDeleteSelf  = 0x400
	inMoveSelf    = 0x800
	inAllEvents   = 0xfff
	inUnmount     = 0x2000
	inQOverflow   = 0x4000
	inIgnored     = 0x8000
	inOnlydir     = 0x1000000
	inDontFollow  = 0x2000000
	inExclUnlink  = 0x4000000
	inMaskCreate  = 0x10000000
	inMaskAdd     = 0x20000000
	inIsdir       = 0x40000000
	inOneshot     = 0x80000000
	inEventHdrLen = 16
	fionread      = 0x541B

	maxInotify = 128
	maxWatches = 1024
)

type inotifyInst struct {
	used    bool
	q       int    // the queue: a pipe
	nextWd  int32  // the last watch descriptor given out
	written uint64 // bytes ever queued
	read    uint64 // bytes ever read
	// The last event queued (for merging) and where it starts.
	lastAt               uint64
	lastWd               int32
	lastMask, lastCookie uint32
	lastNameLen          int
	lastName             [tmpNameMax]byte
	overflowed           bool
	gen                  uint64
}

type inotifyWatch struct {
	used bool
	inst int32
	wd   int32
	node int32 // a tmpfs node, or -2-i for entry i of a read-only packed tree
	mask uint32
}

var inotify struct {
	inst    [maxInotify]inotifyInst
	watches [maxWatches]inotifyWatch
	// nwatch counts the watches in use: 0 lets the file system calls skip
	// the search. Changed under the big kernel lock, read atomically by
	// tmpFile.readUnlocked and writeUnlocked, which leave reads and writes
	// to the locked path (and its IN_ACCESS and IN_MODIFY) while there are
	// watches.
	nwatch int32
	cookie uint32 // rename cookies
}

func sysInotifyInit(_, _, _, _, _, _ uintptr) int64 { return inotifyInit(0) }

func sysInotifyInit1(flags, _, _, _, _, _ uintptr) int64 { return inotifyInit(uint32(flags)) }

func inotifyInit(flags uint32) int64 {
	if flags&^(oNonblock|oCloexec) != 0 {
		return -EINVAL
	}
	ii := -1
	for i := range inotify.inst {
		if !inotify.inst[i].used {
			ii = i
			break
		}
	}
	if ii < 0 {
		return -EMFILE
	}
	q, e := pipeAlloc()
	if e != 0 {
		return e
	}
	fd, f := newFD(fkInotify, flags|oRdonly)
	if f == nil {
		pipeClose(q, false)
		pipeClose(q, true)
		return fd
	}
	inotify.inst[ii] = inotifyInst{used: true, q: q, lastWd: -1}
	f.node = ii
	return fd
}

func sysInotifyAddWatch(fd, p, mask, _, _, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	if f.kind != fkInotify {
		return -EINVAL
	}
	m := uint32(mask)
	if m&inAllEvents == 0 {
		return -EINVAL
	}
	if m&inMaskAdd != 0 && m&inMaskCreate != 0 {
		return -EINVAL
	}
	path, e := userPath(p)
	if e != 0 {
		return e
	}
	if r := watchPath(f, path, m); r != -errRedirect {
		return r
	}
	return redirectCall(&pathCall{kind: callWatch, inst: f, flags: int32(m)}, nil)
}

// watchPath is inotify_add_watch of path for instance f with mask m;
// -errRedirect if a link on the way led into another file system. A
// share is not watched (its files change on the host too: EOPNOTSUPP);
// a device or a name of /proc is, as on Linux, but no event is reported
// for it (devWatchNode, procWatchNode).
func watchPath(f *file, path string, m uint32) int64 {
	if ab, _ := pathBufs0(); nfuseMounts > 0 {
		if mi, _ := fuseAbs(ab, atFDCWD, path); mi >= 0 {
			return -EOPNOTSUPP // changes on a share happen on the host too
		}
	}
	if k := deviceKind(path); k != fkNone {
		if m&inOnlydir != 0 {
			return -ENOTDIR
		}
		return addWatch(f, devWatchNode(k), m)
	}
	if r, e, ok := procPath(atFDCWD, path, m&inDontFollow == 0); ok {
		if e != 0 {
			return e
		}
		if r.typ() == tmpModeLink && m&inDontFollow == 0 {
			// A link out of /proc: its target is watched.
			t, e := procLinkEnd(r)
			if e != 0 {
				return e
			}
			if i := tmpNodeOf(t); i >= 0 {
				if m&inOnlydir != 0 && !tmp.nodes[i].isDir() {
					return -ENOTDIR
				}
				return addWatch(f, int32(i), m)
			}
			if deviceNumber(t.kind) != 0 {
				return addWatch(f, devWatchNode(t.kind), m)
			}
		}
		if m&inOnlydir != 0 && r.typ() != tmpModeDir {
			return -ENOTDIR
		}
		return addWatch(f, procWatchNode(r), m)
	}
	ref, e := lookupAt(atFDCWD, path, m&inDontFollow == 0)
	if e != 0 {
		return e
	}
	isDir := ref.tmp && tmp.nodes[ref.idx].isDir() || !ref.tmp && rootFS.IsDir(ref.idx)
	if m&inOnlydir != 0 && !isDir {
		return -ENOTDIR
	}
	if !ref.tmp && ov.on {
		if e := ovWritable(&ref); e != 0 {
			return e
		}
	}
	node := int32(-2 - ref.idx)
	if ref.tmp {
		node = int32(ref.idx)
	}
	return addWatch(f, node, m)
}

// Watch nodes of the files that are neither /tmp's (a node's index) nor
// the packed tree's (-2 - an entry's index): below those.
const (
	devWatchBase  = -1 << 31             // math.MinInt32 (package math is not linked: docs/boot.md); + a device's kind
	procWatchBase = devWatchBase + 1<<20 // + a /proc name's entry<<12 | its number
)

// devWatchNode is the watch node of device kind k.
func devWatchNode(k fileKind) int32 { return devWatchBase + int32(k) }

// procWatchNode is the watch node of the /proc name r.
func procWatchNode(r procRef) int32 {
	return procWatchBase + int32(r.ent)<<12 | int32(r.arg)&0xfff
}

// addWatch adds (or changes, or with IN_MASK_CREATE refuses) the watch of
// node for instance f with mask m.
func addWatch(f *file, node int32, m uint32) int64 {
	want := m & (inAllEvents | inOneshot | inExclUnlink)
	for i := range inotify.watches {
		w := &inotify.watches[i]
		if w.used && w.inst == int32(f.node) && w.node == node {
			if m&inMaskCreate != 0 {
				return -EEXIST
			}
			if m&inMaskAdd != 0 {
				w.mask |= want
			} else {
				w.mask = want
			}
			return int64(w.wd)
		}
	}
	for i := range inotify.watches {
		w := &inotify.watches[i]
		if !w.used {
			in := &inotify.inst[f.node]
			in.nextWd++
			*w = inotifyWatch{used: true, inst: int32(f.node), wd: in.nextWd, node: node, mask: want}
			atomic.AddInt32(&inotify.nwatch, 1)
			return int64(w.wd)
		}
	}
	return -ENOSPC
}

func sysInotifyRmWatch(fd, wd, _, _, _, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	if f.kind != fkInotify {
		return -EINVAL
	}
	for i := range inotify.watches {
		w := &inotify.watches[i]
		if w.used && w.inst == int32(f.node) && w.wd == int32(wd) {
			inotifyQueue(int(w.inst), w.wd, inIgnored, 0, "")
			inotifyDrop(w)
			return 0
		}
	}
	return -EINVAL
}

func inotifyDrop(w *inotifyWatch) {
	w.used = false
	atomic.AddInt32(&inotify.nwatch, -1)
}

// inotifyQueue appends an event to instance ii's queue.
func inotifyQueue(ii int, wd int32, mask, cookie uint32, name string) {
	in := &inotify.inst[ii]
	p := &pipes[in.q]
	// Merge with the last event if it is identical and unread.
	if in.lastAt >= in.read && in.lastWd == wd && in.lastMask == mask && in.lastCookie == cookie &&
		in.written > in.lastAt && unsafeString(in.lastName[:in.lastNameLen]) == name {
		return
	}
	nameLen := 0
	if name != "" {
		nameLen = (len(name) + 1 + 15) &^ 15
	}
	need := inEventHdrLen + nameLen
	if pipeSize-p.n < need+inEventHdrLen {
		// Keep room for the overflow event.
		if !in.overflowed && pipeSize-p.n >= inEventHdrLen {
			in.overflowed = true
			inotifyPut(in, p, -1, inQOverflow, 0, "", 0)
		}
		return
	}
	in.lastAt, in.lastWd, in.lastMask, in.lastCookie = in.written, wd, mask, cookie
	in.lastNameLen = copy(in.lastName[:], name)
	inotifyPut(in, p, wd, mask, cookie, name, nameLen)
}

func inotifyPut(in *inotifyInst, p *pipe, wd int32, mask, cookie uint32, name string, nameLen int) {
	var h [inEventHdrLen]byte
	byteorder.LittleEndian.PutUint32(h[0:], uint32(wd))
	byteorder.LittleEndian.PutUint32(h[4:], mask)
	byteorder.LittleEndian.PutUint32(h[8:], cookie)
	byteorder.LittleEndian.PutUint32(h[12:], uint32(nameLen))
	w := (p.r + p.n) % pipeSize
	w = (w + pageRingWrite(p.pages[:], w, h[:])) % pipeSize
	if nameLen > 0 {
		var nb [tmpNameMax + 16]byte
		copy(nb[:], name)
		pageRingWrite(p.pages[:], w, nb[:nameLen])
	}
	p.n += inEventHdrLen + nameLen
	in.written += uint64(inEventHdrLen + nameLen)
	in.gen++
	pipeChanged(p)
}

// inotifyEmit reports mask on node (named name in its directory, or ""
// for a watch on the node itself) to the watches of node.
func inotifyEmit(node int32, mask, cookie uint32, name string) {
	for i := range inotify.watches {
		w := &inotify.watches[i]
		if !w.used || w.node != node || w.mask&mask&inAllEvents == 0 && mask&inAllEvents != 0 {
			continue
		}
		inotifyQueue(int(w.inst), w.wd, mask, cookie, name)
		if w.mask&inOneshot != 0 {
			inotifyQueue(int(w.inst), w.wd, inIgnored, 0, "")
			inotifyDrop(w)
		}
	}
}

// inotifyNotify reports mask for tmpfs node i: to watches on i and on its
// directory (with i's name). Directories add IN_ISDIR.
func inotifyNotify(i int, mask uint32) {
	if inotify.nwatch == 0 || i < 0 {
		return
	}
	inotifyNotifyCookie(i, mask, 0)
}

func inotifyNotifyCookie(i int, mask, cookie uint32) {
	n := &tmp.nodes[i]
	if n.isDir() {
		mask |= inIsdir
	}
	// The directory's watches first, then the node's own, as Linux. A
	// removed node that is still open reports to its last directory.
	if p := n.parent; p != int32(i) && tmp.nodes[p].used && tmp.nodes[p].isDir() {
		inotifyEmit(p, mask, cookie, n.nameStr())
	}
	inotifyEmit(int32(i), mask, cookie, "")
}

// inotifySelf reports mask to node i's own watches only.
func inotifySelf(i int, mask uint32) {
	if inotify.nwatch == 0 {
		return
	}
	inotifyEmit(int32(i), mask, 0, "")
}

// inotifyChild reports mask for name in directory dir (an entry that was
// created, removed or moved).
func inotifyChild(dir int, name string, mask, cookie uint32) {
	if inotify.nwatch == 0 {
		return
	}
	inotifyEmit(int32(dir), mask, cookie, name)
}

// inotifyGone reports that node i is deleted (IN_DELETE_SELF) and ends
// its watches (IN_IGNORED): when the last link and the last open of it
// are gone (tmpMaybeFree).
func inotifyGone(i int) {
	if inotify.nwatch == 0 {
		return
	}
	inotifyEmit(int32(i), inDeleteSelf, 0, "")
	for k := range inotify.watches {
		w := &inotify.watches[k]
		if w.used && w.node == int32(i) {
			inotifyQueue(int(w.inst), w.wd, inIgnored, 0, "")
			inotifyDrop(w)
		}
	}
}

// inotifyRemoved reports the removal of the entry name of directory dir:
// IN_DELETE there (the node's own IN_ATTRIB came before the unlink, and its
// IN_DELETE_SELF when it was freed, as Linux orders them).
func inotifyRemoved(dir int, name string, isDir bool) {
	if inotify.nwatch == 0 {
		return
	}
	mask := uint32(inDelete)
	if isDir {
		mask |= inIsdir
	}
	inotifyEmit(int32(dir), mask, 0, name)
}

// inotifyMoved reports that node i moved from oldName in oldDir to its
// place now, replacing node over (or -1), whose link count fell.
func inotifyMoved(i, oldDir int, oldName string, over int) {
	if inotify.nwatch == 0 {
		return
	}
	inotify.cookie++
	c := inotify.cookie
	var dirFlag uint32
	if tmp.nodes[i].isDir() {
		dirFlag = inIsdir
	}
	inotifyEmit(int32(oldDir), inMovedFrom|dirFlag, c, oldName)
	inotifyEmit(tmp.nodes[i].parent, inMovedTo|dirFlag, c, tmp.nodes[i].nameStr())
	if over >= 0 && !tmp.nodes[over].isDir() {
		inotifyEmit(int32(over), inAttrib, 0, "")
	}
	inotifyEmit(int32(tmpIno(i)), inMoveSelf, 0, "") // (a hard link's extra name: its file)
}

// inotifyFile is an inotify instance: f.node indexes inotify.inst.
type inotifyFile struct{ fileBase }

func (*inotifyFile) statfs(f *file, st *statfsBuf) int64 { return statfsPseudo(st, anonInodeMagic) }

// stat describes the instance as Linux's anonymous inode: mode 0600 and
// no file type, as an eventfd or epoll instance (not a character device).
func (*inotifyFile) stat(f *file, st *statBuf) int64 { return devStat(st, f.kind, 0o600) }

// read takes whole events; a buffer too small for the next one is EINVAL.
func (*inotifyFile) read(f *file, b []byte, off int64) int64 {
	in := &inotify.inst[f.node]
	p := &pipes[in.q]
	for p.n == 0 {
		if f.flags&oNonblock != 0 {
			return -EAGAIN
		}
		if pipeWait(p) == wakeSignal {
			return -errRestartSys
		}
	}
	done := 0
	for p.n > 0 {
		var h [inEventHdrLen]byte
		pageRingRead(h[:], p.pages[:], p.r, p.n)
		n := inEventHdrLen + int(byteorder.LittleEndian.Uint32(h[12:]))
		if n > len(b)-done {
			if done == 0 {
				return -EINVAL
			}
			break
		}
		m := pageRingRead(b[done:done+n], p.pages[:], p.r, p.n)
		p.r = (p.r + m) % pipeSize
		p.n -= m
		in.read += uint64(m)
		done += m
	}
	if p.n == 0 {
		in.overflowed = false
	}
	pipeChanged(p)
	return int64(done)
}

func (*inotifyFile) readiness(f *file) uint32 {
	if pipes[inotify.inst[f.node].q].n > 0 {
		return epollIn
	}
	return 0
}

func (*inotifyFile) gen(f *file) uint64 { return pipes[inotify.inst[f.node].q].gen }

func (*inotifyFile) ioctl(f *file, req, arg uintptr) int64 {
	if req != fionread {
		return -ENOTTY
	}
	b, ok := userBytes(arg, 4, true)
	if !ok {
		return -EFAULT
	}
	byteorder.LittleEndian.PutUint32(b, uint32(pipes[inotify.inst[f.node].q].n))
	return 0
}

func (*inotifyFile) release(f *file) {
	for i := range inotify.watches {
		if w := &inotify.watches[i]; w.used && w.inst == int32(f.node) {
			inotifyDrop(w)
		}
	}
	in := &inotify.inst[f.node]
	pipeClose(in.q, false)
	pipeClose(in.q, true)
	in.used = false
}
