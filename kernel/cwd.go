package kernel

// The working directory as a reference. Where it is a directory of /tmp
// or the writable tree, the process holds its node (cwdNode, counted in
// the node's opens as an open directory is), so it stays the directory
// whatever happens to its names: a rename of it or of a directory above
// it moves its path (cwdMoved refreshes cwdBuf, so getcwd,
// /proc/self/cwd and relative names follow, as on Linux); once it is
// removed, "." is still it (nlink 0, getdents ENOENT), ".." the
// directory it was removed from, any other relative name ENOENT (nothing
// can be made in it), getcwd ENOENT and /proc/self/cwd's text its last
// path with " (deleted)". Elsewhere (the packed tree, /proc, /dev, a
// share) the working directory is its path alone (cwdBuf), as before.

// cwdNode is the working directory's node + 1 while it is one of /tmp
// or the writable tree; 0 otherwise.
var cwdNode int32

// setCwdTmp makes directory node i, whose path is p, the working
// directory.
func setCwdTmp(p string, i int) {
	tmp.nodes[i].opens++ // held first: i may be the directory it replaces
	cwdRelease()
	cwdNode = int32(i) + 1
	cwdLen = copy(cwdBuf[:], p)
}

// cwdRelease lets the working directory's node go (setCwd, setCwdTmp).
func cwdRelease() {
	if cwdNode == 0 {
		return
	}
	i := int(cwdNode) - 1
	cwdNode = 0
	tmp.nodes[i].opens--
	tmpMaybeFree(i)
}

// cwdDead reports whether the working directory is a removed directory.
func cwdDead() bool { return cwdNode != 0 && !tmp.nodes[cwdNode-1].linked }

// cwdMoved refreshes the working directory's path after a rename in
// /tmp or the writable tree, which may have moved it or a directory
// above it.
func cwdMoved() {
	if cwdNode == 0 || cwdDead() {
		return
	}
	var buf [pathMax]byte
	cwdLen = copy(cwdBuf[:], tmpPath(buf[:], int(cwdNode)-1))
}

// resolveFromDeadCwd is resolveIn of the relative path from a removed
// working directory: "." (with any "./" and slashes) is the directory
// itself, a first ".." is the directory it was removed from (while that
// one exists) and the rest resolves from there; any other name is
// ENOENT. (Not inlined: its buffers stay off the common path's stack.)
//
//go:noinline
func resolveFromDeadCwd(bufs *lookupBufs, path string, follow, parent, redir bool) (nodeRef, string, int64) {
	for {
		for len(path) > 0 && path[0] == '/' {
			path = path[1:]
		}
		if path == "." || len(path) > 1 && path[:2] == "./" {
			path = path[1:]
			continue
		}
		break
	}
	dead := int(cwdNode) - 1
	if path == "" {
		if parent {
			return nodeRef{}, "", -ENOENT
		}
		return nodeRef{tmp: true, idx: dead}, "", 0
	}
	if path != ".." && (len(path) < 3 || path[:3] != "../") {
		return nodeRef{}, "", -ENOENT
	}
	up := int(tmp.nodes[dead].parent)
	if !tmp.nodes[up].linked {
		return nodeRef{}, "", -ENOENT
	}
	var dbuf, buf [pathMax]byte
	abs, ok := cleanJoin(buf[:], tmpPath(dbuf[:], up), "./"+path[2:])
	if !ok {
		return nodeRef{}, "", -ENAMETOOLONG
	}
	return resolveIn(bufs, atFDCWD, abs, follow, parent, redir)
}

// deadCwdRel writes into buf the path rest (after /proc/self/cwd) names
// relative to a removed working directory: "./" + rest, or "." alone;
// false if it does not fit.
func deadCwdRel(buf []byte, rest string) (string, bool) {
	for len(rest) > 0 && rest[0] == '/' {
		rest = rest[1:]
	}
	if 2+len(rest) > len(buf) {
		return "", false
	}
	n := copy(buf, ".")
	if rest != "" {
		n += copy(buf[n:], "/")
		n += copy(buf[n:], rest)
	}
	return unsafeString(buf[:n]), true
}
