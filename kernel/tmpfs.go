package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/kernel/ktime"
	"github.com/gotoro/gotoro/kernel/mm"
)

// tmpfs: the writable in-memory file system mounted at /tmp. Nodes live in
// a fixed table; each file owns a 1 GiB window of kernel virtual address
// space whose pages are mapped on first write, so file data needs no
// allocator of its own and holes read as zeros. The windows of all nodes
// (4 TiB) lie just above where mmap places the program's mappings
// (mmapBase) and below its stack, inside the canonical lower half
// (TestTmpfsWindows). The table is shared by /tmp and the writable tree's
// upper layer (overlay.go); when it is full, creating a node fails with
// ENOSPC and the console says once why (tmpOutOfNodes).

const (
	maxTmpNodes = 4096
	tmpNameMax  = 255
	tmpFileSpan = 1 << 30
	tmpfsBase   = 0x7B00_0000_0000
	tmpfsEnd    = tmpfsBase + maxTmpNodes*tmpFileSpan
	tmpRoot     = 0
	tmpModeDir  = 0o040000
	tmpModeFile = 0o100000
	tmpModeLink = 0o120000
	tmpModeFifo = 0o010000
	tmpModeChr  = 0o020000
	tmpModeBlk  = 0o060000
	tmpModeMask = 0o170000
)

type tmpNode struct {
	used        bool
	linked      bool // present in its directory
	mode        uint32
	parent      int32
	firstChild  int32
	nextSibling int32
	nchildren   int32
	opens       int32
	lower       int32  // overlay directories: the packed directory beneath + 1 (overlay.go)
	rdev        uint32 // device nodes: the device number (mknod.go)
	fifo        int32  // FIFOs: the pipe + 1 while any end is open (fifo.go)
	ino         int32  // a hard link's extra name: the node it names + 1 (tmpfs_link.go)
	links       int32  // a file's extra names (hard links) beside its own
	size        int64
	pages       int64 // pages backed in the window (st_blocks; tmpfs_blocks.go)
	mtime       int64
	ctime       int64 // the last change of the node's metadata alone (link count); see tmpCtime
	nameLen     uint8
	name        [tmpNameMax]byte
}

var tmp struct {
	ready bool
	nodes [maxTmpNodes]tmpNode
}

// tmpInit makes the root directory in the zeroed node table (BSS at
// boot). It sets the root's fields one by one: assigning a whole node
// copies its 328 bytes from a constant in a loop, blocks QEMU's TCG
// translates for nothing.
func tmpInit() {
	r := &tmp.nodes[tmpRoot]
	r.used, r.linked = true, true
	r.mode = tmpModeDir | 0o1777
	r.parent, r.firstChild, r.nextSibling = tmpRoot, -1, -1
	r.mtime = ktime.EpochNs()
	tmp.ready = true
}

func (n *tmpNode) nameStr() string { return unsafeString(n.name[:n.nameLen]) }
func (n *tmpNode) isDir() bool     { return n.mode&tmpModeMask == tmpModeDir }
func (n *tmpNode) isSymlink() bool { return n.mode&tmpModeMask == tmpModeLink }

func tmpData(i int) uintptr { return tmpfsBase + uintptr(i)*tmpFileSpan }

// tmpChild finds name in directory dir.
func tmpChild(dir int, name string) int {
	for c := tmp.nodes[dir].firstChild; c >= 0; c = tmp.nodes[c].nextSibling {
		if tmp.nodes[c].nameStr() == name {
			return int(c)
		}
	}
	return -1
}

// tmpResult is where a tmpfs walk ended.
type tmpResult struct {
	node int    // the entry found (or, with parent set, its directory)
	last string // with parent set: the last component
	link int    // a symlink to follow first, or -1
	rest string // with link or escape: the path after it
	// escape: a ".." left /tmp; rest is to be resolved from "/".
	escape bool
}

// tmpWalk resolves rest (the part of a clean path after /tmp). With parent
// set it resolves all but the last component and returns that directory
// and the last name. It stops at a symlink that must be followed
// (intermediate components always; the last one if follow) and returns it
// in link with the unresolved rest, for the caller to splice in.
func tmpWalk(rest string, parent, follow bool) (tmpResult, int64) {
	cur := tmpRoot
	for len(rest) > 0 {
		for len(rest) > 0 && rest[0] == '/' {
			rest = rest[1:]
		}
		if rest == "" {
			break
		}
		j := 0
		for j < len(rest) && rest[j] != '/' {
			j++
		}
		comp := rest[:j]
		rest = rest[j:]
		if len(comp) > tmpNameMax {
			return tmpResult{}, -ENAMETOOLONG
		}
		if !tmp.nodes[cur].isDir() {
			return tmpResult{}, -ENOTDIR
		}
		last := onlySlashes(rest)
		if comp == ".." {
			if cur == tmpRoot {
				// Leaving /tmp: the caller resolves the rest from "/".
				return tmpResult{link: -1, escape: true, rest: rest}, 0
			}
			cur = int(tmp.nodes[cur].parent)
			continue
		}
		if parent && last {
			return tmpResult{node: cur, last: comp, link: -1}, 0
		}
		c := tmpChild(cur, comp)
		if c < 0 {
			return tmpResult{}, -ENOENT
		}
		c = tmpIno(c) // a hard link's extra name: the node it names
		if tmp.nodes[c].isSymlink() && (!last || follow || rest != "") {
			return tmpResult{node: cur, link: c, rest: rest}, 0
		}
		if last && rest != "" && !tmp.nodes[c].isDir() {
			return tmpResult{}, -ENOTDIR // a trailing slash needs a directory
		}
		cur = c
	}
	if parent {
		return tmpResult{}, -EEXIST // the mount point itself
	}
	return tmpResult{node: cur, link: -1}, 0
}

// tmpLinkTarget returns the target of symlink i, copied into buf.
func tmpLinkTarget(buf []byte, i int) string {
	n := tmpRead(i, buf, 0)
	return unsafeString(buf[:n])
}

// followTmpLink writes into out the path that replaces r's symlink: its
// target, relative to the link's directory, followed by r.rest.
func followTmpLink(out []byte, r tmpResult) (string, int64) {
	var dirBuf, tgtBuf, midBuf [pathMax]byte
	dir := tmpPath(dirBuf[:], r.node) // the directory the link was found in (a hard link's may be another)
	target := tmpLinkTarget(tgtBuf[:], r.link)
	if target == "" {
		return "", -ENOENT
	}
	mid, ok := cleanJoin(midBuf[:], dir, target)
	if !ok {
		return "", -ENAMETOOLONG
	}
	rest := r.rest
	for len(rest) > 0 && rest[0] == '/' && len(rest) > 1 {
		rest = rest[1:]
	}
	if rest == "/" || rest == "" && requiresDir(target) {
		rest = "./" // keep the trailing slash: the result must be a directory
	}
	p, ok := cleanJoin(out, mid, rest)
	if !ok {
		return "", -ENAMETOOLONG
	}
	return p, 0
}

func onlySlashes(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '/' {
			return false
		}
	}
	return true
}

// tmpCreate makes a new node name in dir.
func tmpCreate(dir int, name string, mode uint32) (int, int64) {
	if !tmp.nodes[dir].isDir() {
		return -1, -ENOTDIR
	}
	if len(name) > tmpNameMax {
		return -1, -ENAMETOOLONG
	}
	if w := tmpChild(dir, name); w >= 0 && tmp.nodes[w].isWhiteout() {
		tmpUnlink(w) // a new entry where the overlay hid a packed one
	}
	for i := 1; i < maxTmpNodes; i++ {
		n := &tmp.nodes[i]
		if n.used {
			continue
		}
		*n = tmpNode{used: true, linked: true, mode: mode, parent: int32(dir), firstChild: -1}
		n.nameLen = uint8(copy(n.name[:], name))
		n.mtime = ktime.EpochNs() + ktime.Now()
		tmpLink(dir, i)
		return i, 0
	}
	tmpOutOfNodes()
	return -1, -ENOSPC
}

// tmpNodesWarned records that tmpOutOfNodes spoke.
var tmpNodesWarned bool

// tmpOutOfNodes tells, once, why a file could not be created: the node
// table is full (statfs on /tmp shows it: f_ffree is 0).
func tmpOutOfNodes() {
	if tmpNodesWarned {
		return
	}
	tmpNodesWarned = true
	kprint("gotoro: /tmp and the writable tree are out of nodes (")
	kprintDec(maxTmpNodes)
	kprint(" files, directories and links in all); creating more fails with ENOSPC until some are removed\n")
}

func tmpLink(dir, i int) {
	d := &tmp.nodes[dir]
	tmp.nodes[i].nextSibling = d.firstChild
	tmp.nodes[i].parent = int32(dir)
	tmp.nodes[i].linked = true
	d.firstChild = int32(i)
	d.nchildren++
	d.mtime = ktime.EpochNs() + ktime.Now()
}

// tmpUnlink removes the directory entry i: an extra name of a file
// (tmpUnlinkName), a file's own name while it has extra ones (the node
// takes one of them, tmpPromote), or the node's only name, freeing the
// node unless it is open.
func tmpUnlink(i int) {
	n := &tmp.nodes[i]
	switch {
	case n.ino != 0:
		tmpUnlinkName(i)
	case n.links > 0:
		tmpPromote(i)
	default:
		tmpDetach(i)
		tmpMaybeFree(i)
	}
}

// tmpDetach takes entry i out of its directory's list (its parent stays
// recorded: a removed node that is still open reports there).
func tmpDetach(i int) {
	n := &tmp.nodes[i]
	d := &tmp.nodes[n.parent]
	p := &d.firstChild
	for *p >= 0 {
		if int(*p) == i {
			*p = n.nextSibling
			break
		}
		p = &tmp.nodes[*p].nextSibling
	}
	d.nchildren--
	d.mtime = ktime.EpochNs() + ktime.Now()
	n.linked = false
}

// tmpMaybeFree releases a node that is neither linked nor open.
func tmpMaybeFree(i int) {
	n := &tmp.nodes[i]
	if n.linked || n.opens > 0 {
		return
	}
	inotifyGone(i)
	tmpTruncate(i, 0)
	n.used = false
}

// tmpNodeLocks: a node's lock orders everything that changes its data
// and size: writes with and without the big kernel lock (tmpfs_write.go),
// truncation, and readers without the big lock (tmpFile.readUnlocked),
// whose pages truncation must not take away under them. It also orders
// the file offset of the calls that run without the big lock. The tree
// (names, links, modes) stays under the big lock.
var tmpNodeLocks [maxTmpNodes]spinLock

// tmpTruncate sets the size of file i, freeing pages past the end (also
// at the same size: pages allocated past it with KEEP_SIZE go, as on
// Linux, and a freed node keeps none). The
// caller holds the big lock: the shared mappings it unmaps (tmpTruncated)
// are read from the VMA table, whose writers hold the big lock, and file
// faults, which could map a page again, take it too. The size is read and
// set under the node lock, so that a write without the big lock lands
// wholly before or wholly after the truncation.
func tmpTruncate(i int, size int64) {
	n := &tmp.nodes[i]
	l := &tmpNodeLocks[i]
	l.lock()
	if size < n.size || size == n.size && atomic.LoadInt64(&n.pages) > 0 {
		start := (uintptr(size) + pageSize - 1) &^ (pageSize - 1)
		tmpTruncated(i, int64(start))
		tmpUnmapRange(i, start, tmpFileSpan)
		if size&(pageSize-1) != 0 {
			// Zero the tail of the last page.
			p := tmpData(i) + uintptr(size)
			if e := mm.PTE(p, false); e != nil && *e&mm.PTEPresent != 0 {
				clear(unsafeSlice(p, start-uintptr(size)))
			}
		}
	}
	atomic.StoreInt64(&n.size, size)
	tmpTouch(n)
	l.unlock()
}

// tmpTouch sets node n's modification time to now. Writes without the
// big lock store it too, so it is stored and loaded atomically.
func tmpTouch(n *tmpNode) { atomic.StoreInt64(&n.mtime, ktime.EpochNs()+ktime.Now()) }

func tmpRead(i int, b []byte, off int64) int64 {
	n := &tmp.nodes[i]
	if off >= n.size {
		return 0
	}
	total := min(int64(len(b)), n.size-off)
	done := int64(0)
	for done < total {
		p := tmpData(i) + uintptr(off+done)
		m := min(total-done, int64(pageSize-p&(pageSize-1)))
		if e := mm.PTE(p, false); e != nil && *e&mm.PTEPresent != 0 {
			copy(b[done:done+m], unsafeSlice(p, uintptr(m)))
		} else {
			clear(b[done : done+m])
		}
		done += m
	}
	return total
}

// tmpPath writes the absolute path of node i into buf: below /tmp, or
// in the overlay's upper layer, whose root is "/".
func tmpPath(buf []byte, i int) string {
	n := len(buf)
	for tmp.nodes[i].parent != int32(i) {
		nd := &tmp.nodes[i]
		l := int(nd.nameLen)
		if n < l+1+len(tmpPrefix) {
			break
		}
		n -= l
		copy(buf[n:], nd.nameStr())
		n--
		buf[n] = '/'
		i = int(nd.parent)
	}
	if i == tmpRoot {
		n -= len(tmpPrefix)
		copy(buf[n:], tmpPrefix)
	} else if n == len(buf) {
		n--
		buf[n] = '/'
	}
	return unsafeString(buf[n:])
}
