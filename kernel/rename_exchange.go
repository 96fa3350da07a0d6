package kernel

// renameat2's RENAME_EXCHANGE: the two names swap the entries they name,
// atomically, whatever their kinds (a file and a directory too). Both
// must exist (ENOENT); neither may be an ancestor of the other's
// directory (EINVAL); a name with a trailing slash must name a
// directory (ENOTDIR). In /tmp and the writable packed tree the two nodes
// swap their directories and names (a moved directory's ".." is its new
// parent); on a share the server swaps them (FUSE_RENAME2).

// exchangeLookups looks both names up in /dev or /proc, where nothing
// swaps: 0 if both exist, else the first lookup's errno.
func exchangeLookups(olddirfd int32, oldPath string, newdirfd int32, newPath string) int64 {
	if _, e := linkName(olddirfd, oldPath, false); e != 0 {
		return e
	}
	_, e := linkName(newdirfd, newPath, false)
	return e
}

// exchangeTree swaps oldPath and newPath within /tmp or the writable
// packed tree (EXDEV between the two, EROFS in the read-only packed
// tree).
func exchangeTree(olddirfd int32, oldPath string, newdirfd int32, newPath string) int64 {
	a, e := lookupAt(olddirfd, oldPath, false)
	if e != 0 {
		return e
	}
	b, e := lookupAt(newdirfd, newPath, false)
	if e != 0 {
		return e
	}
	if treeRoot(a) != treeRoot(b) {
		return -EXDEV // /tmp and the packed tree are two file systems
	}
	// A packed entry swaps as its upper copy (each copied up before the
	// other is looked up again: copying up reuses the path buffers).
	if e := ovWritable(&a); e != 0 {
		return e
	}
	if b, e = lookupAt(newdirfd, newPath, false); e != 0 {
		return e
	}
	if e := ovWritable(&b); e != 0 {
		return e
	}
	if a, e = lookupAt(olddirfd, oldPath, false); e != 0 || !a.tmp {
		return -ENOENT // (the copy of b cannot have removed a)
	}
	x, y := a.idx, b.idx
	if requiresDir(oldPath) && !tmp.nodes[x].isDir() || requiresDir(newPath) && !tmp.nodes[y].isDir() {
		return -ENOTDIR
	}
	if x == tmpRoot || y == tmpRoot || ov.on && (x == ov.root || y == ov.root) {
		return -EBUSY
	}
	if x == y {
		return 0 // one name, or two names of one file
	}
	x, y = tmpEntry(x, olddirfd, oldPath), tmpEntry(y, newdirfd, newPath)
	if tmpAncestor(x, int(tmp.nodes[y].parent)) || tmpAncestor(y, int(tmp.nodes[x].parent)) {
		return -EINVAL
	}
	for _, n := range [2]int{x, y} {
		if tmp.nodes[n].isDir() && tmp.nodes[n].lower != 0 {
			// A directory that merges a packed one moves whole.
			if e := ovCopyUpTree(n); e != 0 {
				return e
			}
		}
	}
	tmpExchange(x, y)
	return 0
}

// treeRoot is the root of the tree ref lies in: tmpRoot for /tmp, else
// the overlay's upper root (-1 for the read-only packed tree).
func treeRoot(ref nodeRef) int {
	switch {
	case ref.tmp:
		return tmpRootOf(ref.idx)
	case ov.on:
		return ov.root
	}
	return -1
}

// tmpAncestor reports whether directory a is d or one of d's ancestors.
func tmpAncestor(a, d int) bool {
	for ; ; d = int(tmp.nodes[d].parent) {
		if d == a {
			return true
		}
		if tmp.nodes[d].parent == int32(d) {
			return false
		}
	}
}

// tmpExchange swaps the directories and names of nodes x and y and
// reports the two moves to inotify, as Linux does: x's, then y's.
func tmpExchange(x, y int) {
	nx, ny := &tmp.nodes[x], &tmp.nodes[y]
	dx, dy := int(nx.parent), int(ny.parent)
	var bx, by [tmpNameMax]byte
	nameX := unsafeString(bx[:copy(bx[:], nx.nameStr())])
	nameY := unsafeString(by[:copy(by[:], ny.nameStr())])
	tmpDetach(x)
	tmpDetach(y)
	nx.nameLen = uint8(copy(nx.name[:], nameY))
	ny.nameLen = uint8(copy(ny.name[:], nameX))
	tmpLink(dy, x)
	tmpLink(dx, y)
	inotifyMoved(x, dx, nameX, -1)
	inotifyMoved(y, dy, nameY, -1)
	cwdMoved()
}

// fuseExchange is RENAME_EXCHANGE on share mi: both names must exist;
// the server swaps them. ab and bb are the caller's path buffers, made
// anew here (a share's lookups reuse them).
func fuseExchange(mi int, ab, bb []byte, olddirfd int32, oldPath string, newdirfd int32, newPath string) int64 {
	var st statBuf
	_, abs := fuseAbs(ab, olddirfd, oldPath)
	if e := fuseStat(mi, abs, false, &st); e != 0 {
		return e
	}
	_, abs = fuseAbs(ab, newdirfd, newPath)
	if e := fuseStat(mi, abs, false, &st); e != 0 {
		return e
	}
	_, oldAbs := fuseAbs(ab, olddirfd, oldPath)
	_, newAbs := fuseAbs(bb, newdirfd, newPath)
	return fuseRename2(mi, oldAbs, newAbs, renameExchange)
}

// fuseRename2Len is the size of fuse_rename2_in: the new directory's
// node, the flags and padding.
const fuseRename2Len = 16
