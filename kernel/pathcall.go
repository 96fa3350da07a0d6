package kernel

// The redirect loop: every system call that names a file by path and
// whose lookup may stop at a link into another file system (redirect.go)
// dispatches the redirected path anew here, as one loop that switches on
// the call's kind. The arguments other than the path travel in a
// pathCall, not in a function value: an indirect call would take the
// path (a slice of the loop's stack buffer) and escape analysis would
// move the buffer to the heap, which the kernel may not use
// (TestNoHeapAllocation).

// callKind names the system call a redirect loop dispatches.
type callKind uint8

const (
	callOpen     callKind = iota // openPath
	callStat                     // fstatatPath
	callReadlink                 // readlinkPath
	callAccess                   // faccessPath
	callChdir                    // chdirPath
	callStatfs                   // statfsPath
	callTruncate                 // truncatePath
	callMkdir                    // mkdirPath
	callMknod                    // mknodPath
	callSymlink                  // symlinkPath
	callUnlink                   // unlinkPath
	callChmod                    // attrPath, attrMode
	callChown                    // attrPath, attrOwner
	callUtimens                  // attrPath, attrMtime
	callWatch                    // watchPath
	callSettle                   // settlePath: where a rename's or a link's name lies
)

// pathCall is a system call's arguments besides its path, for the
// redirect loop; each kind uses the fields its *Path function takes.
type pathCall struct {
	kind     callKind
	flags    int32  // open's (as uint32), fstatat's, unlinkat's, fchmodat's, fchownat's, utimensat's, inotify's mask
	mode     uint32 // open's, access's, mkdir's, mknod's (type and permissions), chmod's
	dev      uint32 // mknod's device number
	uid, gid uint32 // chown's
	size     int64  // truncate's size; utimensat's modification time
	st       *statBuf
	sfs      *statfsBuf
	buf, n   uintptr // readlink's buffer
	target   string  // symlink's target (in user memory)
	inst     *file   // inotify_add_watch's instance
}

// redirectCall dispatches the calling thread's redirected path (and the
// paths that one redirects to) to call c, at most redirectLimit times,
// and clears the lookup's count of links. out is settle's buffer (nil
// for the other calls), apart from c, whose contents escape (its stat
// buffers reach interface calls). Not inlined: its buffer is cleared
// only when a link leads out of a file system.
//
//go:noinline
func redirectCall(c *pathCall, out *[pathMax]byte) int64 {
	var buf [pathMax]byte
	r := int64(-errRedirect)
	for range redirectLimit {
		p, ok := redirected(&buf)
		if !ok {
			return lookupDone(-ELOOP)
		}
		if r = c.dispatch(p, out); r != -errRedirect {
			break
		}
	}
	return lookupDone(r)
}

// dispatch is call c of the absolute path p (out: redirectCall's).
func (c *pathCall) dispatch(p string, out *[pathMax]byte) int64 {
	switch c.kind {
	case callOpen:
		return openPath(atFDCWD, p, uint32(c.flags), c.mode)
	case callStat:
		return fstatatPath(atFDCWD, p, c.st, c.flags)
	case callReadlink:
		return readlinkPath(atFDCWD, p, c.buf, c.n)
	case callAccess:
		return faccessPath(atFDCWD, p, c.mode)
	case callChdir:
		return chdirPath(p)
	case callStatfs:
		return statfsPath(p, c.sfs)
	case callTruncate:
		return truncatePath(p, c.size)
	case callMkdir:
		return mkdirPath(atFDCWD, p, c.mode)
	case callMknod:
		return mknodPath(atFDCWD, p, c.mode, c.dev)
	case callSymlink:
		return symlinkPath(c.target, atFDCWD, p)
	case callUnlink:
		return unlinkPath(atFDCWD, p, c.flags)
	case callChmod:
		return attrPath(atFDCWD, p, attrChange{what: attrMode, mode: c.mode}, c.flags)
	case callChown:
		return attrPath(atFDCWD, p, attrChange{what: attrOwner, uid: c.uid, gid: c.gid}, c.flags)
	case callUtimens:
		return attrPath(atFDCWD, p, attrChange{what: attrMtime, mtime: c.size}, c.flags)
	case callWatch:
		return watchPath(c.inst, p, uint32(c.flags))
	case callSettle:
		return settlePath(atFDCWD, p, out)
	}
	return -EINVAL
}
