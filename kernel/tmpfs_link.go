package kernel

import "github.com/gotoro/gotoro/kernel/ktime"

// Hard links in /tmp and the writable tree's upper layer. A node is both
// a directory entry and the file it names; a file's further names are
// nodes of their own whose ino field names the file (+ 1) and that hold
// nothing else: lookups (tmpWalk, ovResolve) and directory listings go
// through them to the file, whose links field counts them (its nlink is
// 1 + links while its own name exists). Removing an extra name frees
// its node; removing the file's own name while extra ones exist moves
// the file into the place of one of them (tmpPromote), so a file with
// names always has its own name linked, and a node is freed only when
// it has no name and is not open (tmpMaybeFree), as before.
// Directories have no hard links (EPERM), as on Linux.

// tmpIno is the file the directory entry i names: i itself, or for an
// extra name the file.
func tmpIno(i int) int {
	if a := tmp.nodes[i].ino; a != 0 {
		return int(a) - 1
	}
	return i
}

// tmpCtime is node n's change time, given its modification time mt: the
// later of mt and the last change of its metadata alone (a link count).
func tmpCtime(n *tmpNode, mt int64) int64 { return max(mt, n.ctime) }

// tmpChanged records a change of node i's metadata alone (its ctime).
func tmpChanged(i int) { tmp.nodes[i].ctime = ktime.EpochNs() + ktime.Now() }

// tmpHardLink makes name in directory dir a new name of file i.
func tmpHardLink(dir int, name string, i int) (int, int64) {
	k, e := tmpCreate(dir, name, tmp.nodes[i].mode&tmpModeMask)
	if e != 0 {
		return -1, e
	}
	tmp.nodes[k].ino = int32(i) + 1
	tmp.nodes[i].links++
	tmpChanged(i)
	return k, 0
}

// tmpUnlinkName removes the extra name k of a file and frees its node.
func tmpUnlinkName(k int) {
	n := &tmp.nodes[k]
	f := int(n.ino) - 1
	tmpDetach(k)
	n.ino, n.used = 0, false
	tmp.nodes[f].links--
	tmpChanged(f)
}

// tmpPromote removes file i's own name while it has extra ones: i takes
// the directory and name of one of them, whose node is freed.
func tmpPromote(i int) {
	k := -1
	for j := range tmp.nodes {
		if tmp.nodes[j].used && tmp.nodes[j].ino == int32(i)+1 {
			k = j
			break
		}
	}
	n, kn := &tmp.nodes[i], &tmp.nodes[k]
	tmpDetach(i)
	tmpDetach(k)
	n.nameLen = uint8(copy(n.name[:], kn.nameStr()))
	tmpLink(int(kn.parent), i)
	kn.ino, kn.used = 0, false
	n.links--
	tmpChanged(i)
}

// tmpEntry is the directory entry that path (relative to dirfd), found
// by a lookup that did not follow its last name, names: i itself, the
// node the lookup gave, unless i has extra names, one of which path may
// be.
func tmpEntry(i int, dirfd int32, path string) int {
	if tmp.nodes[i].links == 0 {
		return i
	}
	dir, name, e := lookupParent(dirfd, path)
	if e != 0 {
		return i
	}
	if c := tmpChild(dir, name); c >= 0 && tmpIno(c) == i {
		return c
	}
	return i
}

// linkTree is link within /tmp or the writable tree: newPath, which does
// not exist, becomes a name of the file oldPath names (following a
// last symlink with follow). A directory is EPERM; names in two trees
// EXDEV.
func linkTree(olddirfd int32, oldPath string, newdirfd int32, newPath string, follow bool) int64 {
	src, e := lookupAt(olddirfd, oldPath, follow)
	if e != 0 {
		return e
	}
	return linkNode(src, newdirfd, newPath)
}

// linkNode makes newPath (relative to newdirfd) a name of src: a node of
// /tmp or the tree (copied up if packed).
func linkNode(src nodeRef, newdirfd int32, newPath string) int64 {
	if src.tmp && tmp.nodes[src.idx].isDir() || !src.tmp && rootFS.IsDir(src.idx) {
		return -EPERM
	}
	if requiresDir(newPath) {
		return -ENOENT // a file's new name with a trailing slash
	}
	dir, name, e := lookupParent(newdirfd, newPath)
	if e != 0 {
		return e
	}
	if treeRoot(src) != tmpRootOf(dir) {
		return -EXDEV // /tmp and the packed tree are two file systems
	}
	if !src.tmp {
		// A packed file gets its upper copy first (the name's directory
		// is looked up again: copying up reuses the path buffers).
		if e := ovWritable(&src); e != 0 {
			return e
		}
		if dir, name, e = lookupParent(newdirfd, newPath); e != 0 {
			return e
		}
	}
	if tmpChild(dir, name) >= 0 && !tmp.nodes[tmpChild(dir, name)].isWhiteout() {
		return -EEXIST
	}
	k, e := tmpHardLink(dir, name, src.idx)
	if e != 0 {
		return e
	}
	inotifySelf(src.idx, inAttrib) // its link count rose
	inotifyNotify(k, inCreate)
	return 0
}

// linkFile is link of an open file (AT_EMPTY_PATH, or /proc/self/fd/N
// followed) to newPath: a file of /tmp or the tree that has a name; one
// removed while open is ENOENT, as Linux answers. A new name beyond a
// link into another file system is EXDEV.
func linkFile(f *file, newdirfd int32, newPath string) int64 {
	var r int64
	switch {
	case f.kind == fkTmpFile:
		if !tmp.nodes[f.node].linked {
			return -ENOENT
		}
		r = linkNode(nodeRef{tmp: true, idx: f.node}, newdirfd, newPath)
	case f.kind == fkFile:
		r = linkNode(nodeRef{idx: f.node}, newdirfd, newPath)
	case f.is(kindDir):
		return -EPERM
	default:
		return -EXDEV // a pipe, a socket, a device: another file system
	}
	if r == -errRedirect {
		return -EXDEV
	}
	return r
}
