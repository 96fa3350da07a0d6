package kernel

import "github.com/gotoro/gotoro/kernel/ktime"

// The writable packed tree: a copy-up overlay (kernel command line rw=1,
// which gotoro test sets). The packed tree is the read-only lower layer;
// the upper layer is a second tree of tmpfs nodes whose root, ov.root,
// stands for "/". An upper directory that mirrors a packed directory
// records it (tmpNode.lower) and lists both layers (getdents); a file is
// copied up, data and mode, when it is opened for writing, truncated or
// has its mode or times changed; removing a packed entry leaves a whiteout
// (a node of mode tmpModeWhiteout) that hides it. Directories of the
// packed tree cannot be renamed (EXDEV, as overlayfs says without
// redirect_dir). Changes live in guest memory; the host's tree is never
// touched. Without rw=1 the packed tree is read-only (EROFS).
//
// Path resolution walks both layers component by component (ovResolve)
// once anything has been copied up; before that, the packed tree's own
// walk is exact.

// tmpModeWhiteout is a file type Linux does not have (BSD's S_IFWHT), so
// that a whiteout is never taken for a device node.
const tmpModeWhiteout = 0o160000

var ov struct {
	on   bool
	root int // the upper layer's root: "/"
}

// ovInit makes the upper layer (after tmpInit).
func ovInit() {
	for i := 1; i < maxTmpNodes; i++ {
		n := &tmp.nodes[i]
		if n.used {
			continue
		}
		*n = tmpNode{used: true, linked: true, mode: tmpModeDir | 0o755, parent: int32(i), firstChild: -1, nextSibling: -1}
		n.lower = int32(rootFS.Root()) + 1
		n.mtime = ktime.EpochNs()
		ov.root, ov.on = i, true
		return
	}
}

func (n *tmpNode) isWhiteout() bool { return n.mode&tmpModeMask == tmpModeWhiteout }

// lowerOf returns the packed directory beneath upper directory i, or -1.
func lowerOf(i int) int { return int(tmp.nodes[i].lower) - 1 }

// tmpRootOf returns the root of the tree node i is in: tmpRoot or ov.root.
func tmpRootOf(i int) int {
	for tmp.nodes[i].parent != int32(i) {
		i = int(tmp.nodes[i].parent)
	}
	return i
}

// ovActive reports whether path resolution must look at the upper layer.
func ovActive() bool { return ov.on && tmp.nodes[ov.root].firstChild >= 0 }

// ovResolve resolves the clean absolute path abs (not in /tmp) across the
// two layers. With parent set it returns the upper directory of the last
// component, copying up the directories on the way, and the last name. A
// symlink to follow is returned in next: the path to resolve instead,
// written into out.
func ovResolve(out []byte, abs string, follow, parent bool) (ref nodeRef, last, next string, e int64) {
	up, lo := ov.root, rootFS.Root()
	i := 0
	for {
		for i < len(abs) && abs[i] == '/' {
			i++
		}
		if i == len(abs) {
			break
		}
		j := i
		for j < len(abs) && abs[j] != '/' {
			j++
		}
		comp, rest := abs[i:j], abs[j:]
		isLast := onlySlashes(rest)
		if up >= 0 && !tmp.nodes[up].isDir() || up < 0 && !rootFS.IsDir(lo) {
			return nodeRef{}, "", "", -ENOTDIR
		}
		if len(comp) > tmpNameMax {
			return nodeRef{}, "", "", -ENAMETOOLONG
		}
		if parent && isLast {
			return nodeRef{tmp: true, idx: up}, comp, "", 0
		}
		uc := -1
		if up >= 0 {
			if uc = tmpChild(up, comp); uc >= 0 {
				uc = tmpIno(uc) // a hard link's extra name: the node it names
			}
			lo = lowerOf(up)
		}
		needFollow := !isLast || follow || rest != ""
		switch {
		case uc >= 0 && tmp.nodes[uc].isWhiteout():
			return nodeRef{}, "", "", -ENOENT
		case uc >= 0:
			if tmp.nodes[uc].isSymlink() && needFollow {
				var tbuf [pathMax]byte
				return ovFollow(out, abs[:i], tmpLinkTarget(tbuf[:], uc), rest)
			}
			up, lo = uc, lowerOf(uc)
		default:
			lc := -1
			if lo >= 0 {
				if c, ok := rootFS.LookupChild(lo, comp); ok {
					lc = c
				}
			}
			if lc < 0 {
				return nodeRef{}, "", "", -ENOENT
			}
			if rootFS.IsSymlink(lc) && needFollow {
				return ovFollow(out, abs[:i], rootFS.LinkTarget(lc), rest)
			}
			if parent && rootFS.IsDir(lc) {
				// Copy the directory up on the way to the parent.
				d, e := ovMkdirUp(up, comp, lc)
				if e != 0 {
					return nodeRef{}, "", "", e
				}
				up, lo = d, lc
			} else {
				up, lo = -1, lc
			}
		}
		if isLast && rest != "" && (up >= 0 && !tmp.nodes[up].isDir() || up < 0 && !rootFS.IsDir(lo)) {
			return nodeRef{}, "", "", -ENOTDIR // a trailing slash needs a directory
		}
		i = j
	}
	if parent {
		return nodeRef{}, "", "", -EBUSY // the root itself
	}
	if up >= 0 {
		return nodeRef{tmp: true, idx: up}, "", "", 0
	}
	return nodeRef{idx: lo}, "", "", 0
}

// ovFollow writes into out the path that replaces a symlink found at dir
// + "/" + name: its target, relative to dir, followed by rest.
func ovFollow(out []byte, dir, target, rest string) (nodeRef, string, string, int64) {
	if target == "" {
		return nodeRef{}, "", "", -ENOENT
	}
	if dir == "" {
		dir = "/"
	}
	var mid [pathMax]byte
	m, ok := cleanJoin(mid[:], dir, target)
	if !ok {
		return nodeRef{}, "", "", -ENAMETOOLONG
	}
	for len(rest) > 1 && rest[0] == '/' {
		rest = rest[1:]
	}
	if rest == "/" || rest == "" && requiresDir(target) {
		rest = "./"
	}
	p, ok := cleanJoin(out, m, rest)
	if !ok {
		return nodeRef{}, "", "", -ENAMETOOLONG
	}
	return nodeRef{}, "", p, 0
}

// ovMkdirUp makes the upper copy of packed directory lc as name in upper
// directory dir.
func ovMkdirUp(dir int, name string, lc int) (int, int64) {
	d, e := tmpCreate(dir, name, tmpModeDir|rootFS.Mode(lc)&0o7777)
	if e != 0 {
		return -1, e
	}
	tmp.nodes[d].lower = int32(lc) + 1
	tmp.nodes[d].mtime = rootFS.ModTimeNs(lc)
	return d, 0
}

// ovCopyUp copies packed entry idx (a file, symlink or directory) into the
// upper layer and returns its node.
func ovCopyUp(idx int) (int, int64) {
	var buf [pathMax]byte
	p := copy(buf[:], rootFS.Path(idx))
	dir, name, e := resolveIn(&resolveBuf[curThread().index()], atFDCWD, unsafeString(buf[:p]), false, true, false)
	if e != 0 {
		return -1, e
	}
	if c := tmpChild(dir.idx, name); c >= 0 && !tmp.nodes[c].isWhiteout() {
		return c, 0 // already up
	}
	if rootFS.IsDir(idx) {
		return ovMkdirUp(dir.idx, name, idx)
	}
	return ovCopyInto(dir.idx, name, idx)
}

// ovCopyInto copies packed file or symlink idx into upper directory dir
// as name.
func ovCopyInto(dir int, name string, idx int) (int, int64) {
	n, e := tmpCreate(dir, name, rootFS.Mode(idx))
	if e != 0 {
		return -1, e
	}
	data := rootFS.Data(idx)
	if rootFS.IsSymlink(idx) {
		data = unsafeSliceOfString(rootFS.LinkTarget(idx))
	}
	if len(data) > 0 {
		if w := tmpWrite(n, data, 0); w != int64(len(data)) {
			tmpUnlink(n)
			return -1, -ENOSPC
		}
	}
	tmp.nodes[n].mtime = rootFS.ModTimeNs(idx)
	return n, 0
}

// ovCopyUpTree copies everything beneath upper directory n up, so that
// the directory no longer merges a packed one (renaming it then moves it
// whole).
func ovCopyUpTree(n int) int64 {
	lo := lowerOf(n)
	if lo < 0 {
		return 0
	}
	for k := 0; k < rootFS.NumChildren(lo); k++ {
		c := rootFS.Child(lo, k)
		name := rootFS.Name(c)
		if u := tmpChild(n, name); u >= 0 {
			if tmp.nodes[u].isDir() {
				if e := ovCopyUpTree(u); e != 0 {
					return e
				}
			}
			continue // shadowed, or hidden by a whiteout
		}
		if rootFS.IsDir(c) {
			d, e := ovMkdirUp(n, name, c)
			if e != 0 {
				return e
			}
			if e := ovCopyUpTree(d); e != 0 {
				return e
			}
			continue
		}
		if _, e := ovCopyInto(n, name, c); e != 0 {
			return e
		}
	}
	ovRemoveWhiteouts(n)
	tmp.nodes[n].lower = 0
	return 0
}

// ovWritable makes ref, found by path resolution, writable: a packed entry
// is copied up (EROFS without the overlay).
func ovWritable(ref *nodeRef) int64 {
	if ref.tmp {
		return 0
	}
	if !ov.on {
		return -EROFS
	}
	n, e := ovCopyUp(ref.idx)
	if e != 0 {
		return e
	}
	*ref = nodeRef{tmp: true, idx: n}
	return 0
}

// ovLowerHas reports whether the packed directory beneath upper directory
// dir has an entry name (which a removal must then hide).
func ovLowerHas(dir int, name string) bool {
	lo := lowerOf(dir)
	if lo < 0 {
		return false
	}
	_, ok := rootFS.LookupChild(lo, name)
	return ok
}

// ovWhiteout hides name in upper directory dir.
func ovWhiteout(dir int, name string) int64 {
	_, e := tmpCreate(dir, name, tmpModeWhiteout)
	return e
}

// ovDirEmpty reports whether upper directory i is empty in the merged
// view: no upper entries but whiteouts, and every packed entry hidden.
func ovDirEmpty(i int) bool {
	for c := tmp.nodes[i].firstChild; c >= 0; c = tmp.nodes[c].nextSibling {
		if !tmp.nodes[c].isWhiteout() {
			return false
		}
	}
	lo := lowerOf(i)
	if lo < 0 {
		return true
	}
	for k := 0; k < rootFS.NumChildren(lo); k++ {
		if c := tmpChild(i, rootFS.Name(rootFS.Child(lo, k))); c < 0 {
			return false
		}
	}
	return true
}

// ovRemoveWhiteouts frees the whiteouts in upper directory i (before it
// is removed).
func ovRemoveWhiteouts(i int) {
	for c := tmp.nodes[i].firstChild; c >= 0; {
		next := tmp.nodes[c].nextSibling
		if tmp.nodes[c].isWhiteout() {
			tmpUnlink(int(c))
		}
		c = next
	}
}

// ovLowerEntry returns the k-th entry of the packed directory beneath
// upper directory dir, or -1 past the end.
func ovLowerEntry(dir, k int) int {
	lo := lowerOf(dir)
	if lo < 0 || k >= rootFS.NumChildren(lo) {
		return -1
	}
	return rootFS.Child(lo, k)
}

// ovShadowed reports whether upper directory dir has an entry (or a
// whiteout) named name.
func ovShadowed(dir int, name string) bool { return tmpChild(dir, name) >= 0 }
