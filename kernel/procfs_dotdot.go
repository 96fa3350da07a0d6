package kernel

// ".." in /proc, resolved physically as Linux does: after a file it is
// ENOTDIR (/proc/self/status/..), after a link out of /proc the parent of
// where the link leads (/proc/self/cwd/.. is the working directory's
// parent, /proc/self/fd/N/.. the parent of descriptor N's directory,
// ENOTDIR if N is no directory), after a missing name ENOENT. The
// cleaning of a path (cleanJoin) keeps such a ".." (procDotDotKept) and
// procLookup resolves it; a ".." after a directory of /proc reached
// without leaving it (/proc/self/fd/.., /proc/self/.., where self's
// target's parent is /proc too) names what the lexical cleaning gives,
// and is cleaned as before, so the calls that do not look paths up in
// /proc (those that create or remove files) see the same paths as before.

// procDotDotKept reports whether a ".." after p, the clean absolute path
// built so far, names something other than p's lexical parent: p lies
// below /proc and its walk there does not end at a directory reached
// without leaving /proc (it meets a file, a link other than self, a
// missing name, or a ".." kept before).
func procDotDotKept(p []byte) bool {
	rest, in := inProc(unsafeString(p))
	if !in || rest == "" {
		return false
	}
	cur := procRef{ent: peRoot}
	for len(rest) > 0 {
		rest = rest[1:] // p is clean: one slash before each component
		j := 0
		for j < len(rest) && rest[j] != '/' {
			j++
		}
		comp := rest[:j]
		rest = rest[j:]
		if comp == ".." || cur.typ() != tmpModeDir {
			return true
		}
		next := procChild(cur, comp)
		switch {
		case next.ent == peNone:
			return true
		case next.ent == peSelf:
			next = procRef{ent: pePid}
		case next.typ() == tmpModeLink:
			return true // mounts, exe, cwd, root, fd/N
		}
		cur = next
	}
	return cur.typ() != tmpModeDir
}

// procParent is directory d's parent in /proc (not for the root).
func procParent(d procRef) procRef {
	p := procRef{ent: procTable[d.ent].parent}
	if p.ent == peTask {
		p.arg = d.arg // a task's directory keeps its id
	}
	return p
}

// procDotDotOut is the lookup of rest after a ".." at /proc itself: the
// root's, dispatched anew (-errRedirect, as procLinkOut). Reached only
// after a ".." the cleaning kept (procDotDotKept), so never on the common
// paths.
//
//go:noinline
func procDotDotOut(bufs *lookupBufs, rest string) int64 {
	for len(rest) > 0 && rest[0] == '/' {
		rest = rest[1:]
	}
	p, ok := cleanJoin(bufs.path[0][:], "/", rest)
	if !ok {
		return -ENAMETOOLONG
	}
	return redirectTo(&bufs.redir, p, bufs.procLinks)
}
