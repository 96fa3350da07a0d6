package kernel

import (
	"github.com/gotoro/gotoro/internal/imagefs"
)

// Path resolution across the packed tree and /tmp.

// userPath reads a NUL-terminated path from user memory without copying.
// As on Linux, a path is at most PATH_MAX bytes with its NUL: none in the
// first pathMax bytes is ENAMETOOLONG, even where memory ends right after
// them; an unmapped page before the NUL is EFAULT. It checks each page
// once and finds the NUL in it with one REPNE SCASB (indexNUL): one
// instruction for QEMU to translate under TCG, where a Go byte loop cost
// blocks for each byte.
//
//go:nosplit
func userPath(p uintptr) (string, int64) {
	if p == 0 {
		return "", -EFAULT
	}
	for n := uintptr(0); n < pathMax; {
		if !userRange(p+n, 1, false) {
			return "", -EFAULT
		}
		chunk := min(pageSize-(p+n)&(pageSize-1), pathMax-n)
		if i := indexNUL(p+n, chunk); i >= 0 {
			return unsafeString(unsafeSlice(p, n+uintptr(i))), 0
		}
		n += chunk
	}
	return "", -ENAMETOOLONG
}

// indexNUL returns the index of the first NUL among the n bytes at p, or
// -1 (indexnul_amd64.s). The kernel does not import strings for its
// IndexByte: strings brings unicode, sync, errors and iter, whose package
// initializations would run in every program (docs/boot.md).
func indexNUL(p, n uintptr) int

// resolveBuf holds the absolute path being resolved, per thread (a
// resolution can block, in a virtio-fs lookup, and another thread of the
// same core may resolve meanwhile; resolution does not nest); two buffers,
// because following a symlink builds the next path from the current one,
// and where a lookup redirected to (redirect.go). Walk keeps references
// to the path, which is why it cannot live on the stack.
var resolveBuf [maxThreads]lookupBufs

// lookupBufs are one thread's buffers for path lookup.
type lookupBufs struct {
	path  [2][pathMax]byte
	redir redirection // where the last lookup redirected to
	// links is how many links the lookup had followed before the
	// redirect it now continues; 0 outside a redirect loop (redirect.go).
	links int
	// procLinks is how many links the last lookup in /proc had followed
	// in all (procLookup), for procLinkOut.
	procLinks int
}

// nodeRef names a file in either file system: an imagefs entry or a tmpfs
// node.
type nodeRef struct {
	tmp bool
	idx int
}

// absPath makes path absolute and clean, relative to dirfd. (Not
// nosplit: procPath's chain through it exceeds the linker's budget in an
// unoptimized build.)
func absPath(buf []byte, dirfd int32, path string) (string, int64) {
	if path == "" {
		return "", -ENOENT
	}
	if path[0] != '/' && dirfd != atFDCWD {
		return absPathAt(buf, dirfd, path)
	}
	abs, ok := cleanJoin(buf, cwdString(), path)
	if !ok {
		return "", -ENAMETOOLONG
	}
	return abs, 0
}

// absPathAt is absPath for a relative path and a directory descriptor,
// whose path it builds on the stack (the other paths, most opens, need
// no such buffer: no 4 KiB cleared at each call).
func absPathAt(buf []byte, dirfd int32, path string) (string, int64) {
	_, f := fdGet(uintptr(dirfd))
	if f == nil {
		return "", -EBADF
	}
	if !f.is(kindDir) {
		return "", -ENOTDIR
	}
	var dbuf [pathMax]byte
	abs, ok := cleanJoin(buf, dirPath(f, &dbuf), path)
	if !ok {
		return "", -ENAMETOOLONG
	}
	return abs, 0
}

// resolveAt resolves path relative to dirfd in /tmp and the packed tree.
func resolveAt(dirfd int32, path string, follow bool) (nodeRef, int64) {
	ref, _, e := resolve(dirfd, path, follow, false, false)
	return ref, e
}

// lookupAt is resolveAt for the system calls that dispatch a path to
// every file system (open, stat, readlink, access, chdir, statfs): a
// symlink that leads into another one (/proc, /dev, a share, a built-in
// file) gives -errRedirect (redirect.go).
func lookupAt(dirfd int32, path string, follow bool) (nodeRef, int64) {
	ref, _, e := resolve(dirfd, path, follow, false, true)
	return ref, e
}

// resolveParent resolves all but the last component of path, which must
// lie in the writable /tmp or, with the overlay, the writable packed tree
// (whose directories on the way are copied up); elsewhere the answer is
// EROFS (or ENOENT).
func resolveParent(dirfd int32, path string) (int, string, int64) {
	ref, last, e := resolve(dirfd, path, false, true, false)
	return ref.idx, last, e
}

// lookupParent is resolveParent for the system calls that dispatch a
// path to every file system (mkdir, unlink, rename, symlink, mknod): a
// symlink on the way that leads into another one gives -errRedirect.
func lookupParent(dirfd int32, path string) (int, string, int64) {
	ref, last, e := resolve(dirfd, path, false, true, true)
	return ref.idx, last, e
}

// resolve is resolveAt and, with parent set, resolveParent. Paths in /tmp
// are walked in the in-memory file system (following its symlinks by
// splicing their targets into the path); others, and names in /tmp that
// only the packed tree has, in the image, or in both layers of the
// overlay (overlay.go). With redir set, a symlink (or a "..") that leads
// into a file system the caller dispatches itself ends the walk with
// -errRedirect (foreignPath).
//
//go:nosplit
func resolve(dirfd int32, path string, follow, parent, redir bool) (nodeRef, string, int64) {
	return resolveIn(&resolveBuf[curThread().index()], dirfd, path, follow, parent, redir)
}

// resolveIn is resolve with the calling thread's path buffers.
func resolveIn(bufs *lookupBufs, dirfd int32, path string, follow, parent, redir bool) (nodeRef, string, int64) {
	if cwdNode != 0 && dirfd == atFDCWD && path != "" && path[0] != '/' && cwdDead() {
		return resolveFromDeadCwd(bufs, path, follow, parent, redir)
	}
	abs, e := absPath(bufs.path[0][:], dirfd, path)
	if e != 0 {
		return nodeRef{}, "", e
	}
	links := bufs.links // followed before a redirect to path
	for hops := 0; ; hops++ {
		rest, ok := inTmp(abs)
		if !ok || !tmp.ready {
			if ov.on && (parent || ovActive()) {
				r, last, next, e := ovResolve(bufs.path[(hops+1)%2][:], abs, follow, parent)
				if next != "" {
					if links >= imagefs.MaxSymlinks {
						return nodeRef{}, "", -ELOOP
					}
					links++
					if redir && foreignPath(next) {
						return nodeRef{}, "", redirectTo(&bufs.redir, next, links)
					}
					abs = next
					continue
				}
				if e == -ENOENT && !parent && abs[len(abs)-1] == '/' {
					e = missingDir(abs)
				}
				return r, last, e
			}
		} else {
			r, e := tmpWalk(rest, parent, follow)
			if e == 0 && r.escape {
				abs, ok = cleanJoin(bufs.path[(hops+1)%2][:], "/", r.rest)
				if !ok {
					return nodeRef{}, "", -ENAMETOOLONG
				}
				if redir && foreignPath(abs) {
					return nodeRef{}, "", redirectTo(&bufs.redir, abs, links)
				}
				continue
			}
			if e == 0 && r.link >= 0 {
				if links >= imagefs.MaxSymlinks {
					return nodeRef{}, "", -ELOOP
				}
				links++
				abs, e = followTmpLink(bufs.path[(hops+1)%2][:], r)
				if e != 0 {
					return nodeRef{}, "", e
				}
				if redir && foreignPath(abs) {
					return nodeRef{}, "", redirectTo(&bufs.redir, abs, links)
				}
				continue
			}
			if e != -ENOENT || parent {
				return nodeRef{tmp: true, idx: r.node}, r.last, e
			}
			// Files packed into the image under /tmp stay visible
			// (read-only) beside the in-memory ones.
		}
		if parent {
			e := int64(-EROFS) // the tree is read-only
			switch _, errno := rootFS.Walk(rootFS.Root(), abs, false); errno {
			case 0:
			case imagefs.ENOENT:
				// Report a missing parent as such.
				if _, e2 := rootFS.Walk(rootFS.Root(), parentOf(abs), true); e2 != 0 {
					e = -ENOENT
				}
			default:
				e = -int64(errno) // ELOOP, ENOTDIR on the way
			}
			// A link of the tree on the way may lead out of it, into
			// /tmp or (redir) another file system (imageLinkOut; the
			// last name is not followed).
			if next, n := imageLinkOut(bufs.path[(hops+1)%2][:], abs, false); n > 0 {
				if links += n; links > imagefs.MaxSymlinks {
					return nodeRef{}, "", -ELOOP
				}
				if !foreignPath(next) {
					abs = next
					continue
				}
				if redir {
					return nodeRef{}, "", redirectTo(&bufs.redir, next, links)
				}
			}
			return nodeRef{}, "", e
		}
		i, errno, plain := rootFS.WalkNoted(rootFS.Root(), abs, follow)
		if errno == 0 {
			return nodeRef{idx: i}, "", 0
		}
		if !plain && (errno == imagefs.ENOENT || errno == imagefs.ENOTDIR) {
			// A symlink of the packed tree may lead where its walk
			// cannot go: into /tmp, or (redir) another file system.
			// (A walk of plain names met none: the runtime's start-up
			// opens of missing files pay nothing.)
			if next, n := imageLinkOut(bufs.path[(hops+1)%2][:], abs, follow); n > 0 {
				if links += n; links > imagefs.MaxSymlinks {
					return nodeRef{}, "", -ELOOP
				}
				if !foreignPath(next) {
					abs = next // into /tmp, or the tree's again
					continue
				}
				if redir {
					return nodeRef{}, "", redirectTo(&bufs.redir, next, links)
				}
			}
			if errno == imagefs.ENOENT && abs[len(abs)-1] == '/' {
				// (A path with a trailing slash is never plain.)
				return nodeRef{}, "", missingDir(abs)
			}
		}
		return nodeRef{}, "", -int64(errno)
	}
}

// missingDir is the answer of a lookup of abs, a clean absolute path
// with a trailing slash, that neither /tmp nor the packed tree holds:
// ENOTDIR if the name before the slash is a device or a built-in file
// (/dev/null/, /etc/hosts/, or a link's target such as these: no
// directory, as Linux answers), else ENOENT. Only a path that requires
// a directory and was not found pays for it.
//
//go:noinline
func missingDir(abs string) int64 {
	p := abs
	for len(p) > 1 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	if deviceKind(p) != fkNone || blkByPath(p) >= 0 || staticFile(p) >= 0 {
		return -ENOTDIR
	}
	return -ENOENT
}

func parentOf(p string) string {
	i := len(p) - 1
	for i > 0 && p[i] == '/' {
		i--
	}
	for i > 0 && p[i] != '/' {
		i--
	}
	if i == 0 {
		return "/"
	}
	return p[:i]
}
