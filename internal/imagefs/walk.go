package imagefs

// walkFrame is a piece of path still to resolve. Resolving a symlink pushes
// a frame holding its target on top of the frame holding the rest of the
// path, so the path left to resolve is the frames read from top to bottom.
type walkFrame struct {
	s string // unresolved text; starts with '/' unless it is a new path
	// belowOnlySlashes reports whether every frame below this one holds only
	// slashes, i.e. whether this frame ends the path.
	belowOnlySlashes bool
	// belowHasSlash reports whether a frame below holds a slash, i.e.
	// whether the path has a trailing slash once this frame runs out.
	belowHasSlash bool
}

// Walk resolves path the way Linux path lookup does, inside the image:
// component by component, starting at "/" if path is absolute and at the
// directory with index dir otherwise (dir is ignored for absolute paths).
// It handles ".", "..", repeated slashes, symlinks in intermediate
// components and, if followLast, in the last component; a trailing slash
// requires a directory and follows a final symlink whatever followLast says.
//
// The image is the whole world: ".." at "/" stays at "/", an absolute
// symlink target starts at the image root, so no path leaves the image.
// At most MaxSymlinks symlinks are followed.
//
// Walk returns the index of the resolved entry and errno 0, or -1 and one
// of ENOENT (missing component, empty path or empty symlink target),
// ENOTDIR (a non-directory used as a directory, or dir is not one),
// ENAMETOOLONG (path longer than MaxPath or a component longer than
// MaxName), ELOOP (too many symlinks) or EBADF (relative path and dir is
// not a valid index). It does not allocate.
func (fs FS) Walk(dir int, path string, followLast bool) (idx int, errno int) {
	if idx, errno, ok := fs.walkPlain(path); ok {
		return idx, errno
	}
	return fs.walk(dir, path, followLast)
}

// WalkNoted is Walk that also reports whether the answer came from its
// short path for absolute paths of plain names (walkPlain): plain is
// true when the walk met no symlink, ".", ".." or empty component, so a
// failure of it needs no second look at symlinks (the kernel's resolve
// looks for one that leads out of the image).
func (fs FS) WalkNoted(dir int, path string, followLast bool) (idx, errno int, plain bool) {
	if idx, errno, ok := fs.walkPlain(path); ok {
		return idx, errno, true
	}
	idx, errno = fs.walk(dir, path, followLast)
	return idx, errno, false
}

// walkPlain is Walk's common case, an absolute path whose components are
// plain names and whose way holds no symlink (the opens of the Go
// runtime and most programs), in a few straight blocks: under TCG each
// of walk's branches is a translated block of a program's first open.
// ok is false when the path needs walk: relative, empty, a component ".",
// ".." or empty (repeated or trailing slashes), a name too long, a
// symlink met on the way. A walk that fails at a missing name or a
// non-directory answers as walk does.
func (fs FS) walkPlain(path string) (idx, errno int, ok bool) {
	if len(path) < 2 || len(path) > MaxPath || path[0] != '/' || fs.n == 0 {
		return 0, 0, false
	}
	cur := fs.Root()
	for i := 1; ; {
		j := i
		for j < len(path) && path[j] != '/' {
			j++
		}
		comp := path[i:j]
		if len(comp) == 0 || len(comp) > MaxName || comp[0] == '.' && (len(comp) == 1 || comp == "..") {
			return 0, 0, false
		}
		e, found := fs.LookupChild(cur, comp)
		if !found {
			// A path with a trailing slash is not plain (as its empty
			// last component is not): its caller may look at it again.
			return -1, ENOENT, path[len(path)-1] != '/'
		}
		if fs.IsSymlink(e) {
			return 0, 0, false
		}
		if j == len(path) {
			return e, 0, true
		}
		if !fs.IsDir(e) {
			return -1, ENOTDIR, true
		}
		cur, i = e, j+1
	}
}

// walk is Walk component by component, with symlinks, "." and "..".
func (fs FS) walk(dir int, path string, followLast bool) (idx int, errno int) {
	if len(path) == 0 {
		return -1, ENOENT
	}
	if len(path) > MaxPath {
		return -1, ENAMETOOLONG
	}
	cur := dir
	switch {
	case path[0] == '/':
		cur = fs.Root()
	case !fs.Valid(dir):
		return -1, EBADF
	case !fs.IsDir(dir):
		return -1, ENOTDIR
	}
	if fs.n == 0 {
		return -1, ENOENT // zero FS, never returned by Open
	}

	// Each followed symlink pushes at most one frame, so MaxSymlinks+1
	// frames always suffice.
	var stack [MaxSymlinks + 1]walkFrame
	stack[0] = walkFrame{s: path, belowOnlySlashes: true}
	depth, hops := 1, 0
	for depth > 0 {
		top := &stack[depth-1]
		s := trimSlashes(top.s)
		if s == "" {
			depth--
			continue
		}
		comp, rest := splitFirst(s)
		top.s = rest
		if len(comp) > MaxName {
			return -1, ENAMETOOLONG
		}
		last := top.belowOnlySlashes && onlySlashes(rest)
		trailing := last && (rest != "" || top.belowHasSlash)

		switch comp {
		case ".":
			if last {
				return cur, 0
			}
			continue
		case "..":
			cur = fs.Parent(cur)
			if last {
				return cur, 0
			}
			continue
		}

		e, ok := fs.LookupChild(cur, comp)
		if !ok {
			return -1, ENOENT
		}
		if fs.IsSymlink(e) && (!last || followLast || trailing) {
			hops++
			if hops > MaxSymlinks {
				return -1, ELOOP
			}
			target := fs.LinkTarget(e)
			if target == "" {
				return -1, ENOENT
			}
			if target[0] == '/' {
				cur = fs.Root()
			}
			next := walkFrame{
				s:                target,
				belowOnlySlashes: last,
				belowHasSlash:    top.belowHasSlash || rest != "",
			}
			if rest == "" {
				*top = next // nothing left in this frame: reuse it
			} else if depth < len(stack) {
				stack[depth] = next
				depth++
			} else {
				return -1, ELOOP // unreachable: hops bounds depth
			}
			continue
		}
		if last {
			if trailing && !fs.IsDir(e) {
				return -1, ENOTDIR
			}
			return e, 0
		}
		if !fs.IsDir(e) {
			return -1, ENOTDIR
		}
		cur = e
	}
	// The path held only slashes, or a symlink target ended in them.
	return cur, 0
}

// trimSlashes drops the leading slashes of s.
func trimSlashes(s string) string {
	for len(s) > 0 && s[0] == '/' {
		s = s[1:]
	}
	return s
}

// onlySlashes reports whether s holds nothing but slashes.
func onlySlashes(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '/' {
			return false
		}
	}
	return true
}

// splitFirst splits s, which does not start with '/', before its first
// slash: "a/b" gives "a" and "/b".
func splitFirst(s string) (comp, rest string) {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return s[:i], s[i:]
		}
	}
	return s, ""
}
