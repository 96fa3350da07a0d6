package kernel

import (
	"unsafe"

	"github.com/gotoro/gotoro/internal/imagefs"
)

// Symlinks from one file system into another. The system calls that name
// a file look a path up by where it lies, in order: the devices (/dev),
// the virtio-fs shares, /proc, then /tmp and the packed tree, then the
// built-in files. A walk of /tmp that follows a symlink (or a "..") out of
// /tmp into one of the others (/tmp/st -> /proc/self/status, /tmp/p ->
// /proc, /tmp/null -> /dev/null, a link to a share), or a walk of /proc
// that meets a link out of /proc in the middle of a path
// (/proc/self/cwd/NAME), cannot go on in the walk: it stops with
// errRedirect and leaves the path to look up instead (absolute, with the
// link replaced by its target). The system call then dispatches that path
// from the start, as if the program had named it (redirectCall in
// pathcall.go, one loop for every such call),
// with the count of links the lookup followed so far carried along
// (lookupBufs.links): as on Linux, every link one lookup follows — in
// /tmp, the packed tree, /proc (self, mounts, cwd, root, fd/N) — counts
// against one bound of imagefs.MaxSymlinks (40), across its redirects; the
// 41st is ELOOP. Paths that lead from /tmp into the packed tree stay in
// the walk: the tree is walked there anyway.
//
// Every system call that names a file by path redirects so: open, stat,
// statx, readlink, access, chdir, statfs, truncate, and those that
// create, remove or change a file (mkdir, mknod, symlink, unlink, rmdir,
// chmod, chown, utimensat and utimes, inotify_add_watch: lookupAt, and
// lookupParent for the directory a name is made in). rename and link
// settle both names first (rename.go), then compare their file systems
// (EXDEV across two). Only the lookups that stay in /tmp and the tree
// (resolveAt: a unix socket's name, the boot's working directory) do
// not.

// errRedirect is returned (negated) by a lookup that stopped at a link
// into another file system; it is no errno (those are below 4096) and
// never reaches a program.
const errRedirect = 1 << 16

// redirection is where a lookup redirected to: a path in the same
// thread's resolveBuf, as an address and a length (not a string: a
// pointer stored in a global would need a write barrier), and how many
// links the lookup had followed up to there.
type redirection struct {
	p     uintptr
	n     int
	links int
}

// redirectTo records p, a path in the thread's lookup buffers, in r as
// where its lookup continues after following links links in all, and
// returns -errRedirect.
func redirectTo(r *redirection, p string, links int) int64 {
	*r = redirection{p: (*stringHeader)(unsafe.Pointer(&p)).data, n: len(p), links: links}
	return -errRedirect
}

// path is the redirected path (valid until the thread's next lookup).
func (r *redirection) path() string {
	return unsafeString(unsafeSlice(r.p, uintptr(r.n)))
}

// redirected copies the calling thread's redirected path into buf (the
// next lookup overwrites resolveBuf) and returns it, and carries the
// count of links followed to the lookup of it (lookupBufs.links; the
// redirect loop clears it with lookupDone). ok is false when that count
// is spent and the path goes through /proc/self, one more link: procPath
// takes /proc/self/NAME of a plain file in a few blocks that count none,
// so the bound is kept here, off the common path.
func redirected(buf *[pathMax]byte) (string, bool) {
	const self = "/proc/self/"
	bufs := &resolveBuf[curThread().index()]
	bufs.links = bufs.redir.links
	p := unsafeString(buf[:copy(buf[:], bufs.redir.path())])
	return p, bufs.links < imagefs.MaxSymlinks || len(p) < len(self) || p[:len(self)] != self
}

// lookupDone ends a redirect loop whose last dispatch answered r: the
// count of links is cleared for the thread's next lookup, and a lookup
// still redirecting after redirectLimit dispatches is a loop.
func lookupDone(r int64) int64 {
	resolveBuf[curThread().index()].links = 0
	if r == -errRedirect {
		return -ELOOP
	}
	return r
}

// foreignPath reports whether the clean absolute path p is looked up
// before (or after) /tmp and the packed tree, by a system call's own
// dispatch: /proc, the devices, a share, a built-in file. A walk that
// reaches it through a link redirects (redirectTo).
func foreignPath(p string) bool {
	if _, in := inProc(p); in {
		return true
	}
	if isDevPath(p) {
		return true
	}
	if nfuseMounts > 0 {
		if m, _ := fuseMountOf(p); m >= 0 {
			return true
		}
	}
	return staticFile(p) >= 0
}

// procLinkOut is the lookup of rest (the components after it) below r,
// a link of /proc that leads out of it: the directory's path with rest
// joined, to dispatch anew (-errRedirect), or ENOTDIR if r is no
// directory (exe; a descriptor of a file, socket, pipe). The path is
// made in the calling thread's first resolveBuf: procPath's own is the
// second.
//
//go:noinline
func procLinkOut(r procRef, rest string) int64 {
	var dbuf [pathMax]byte
	bufs := &resolveBuf[curThread().index()]
	if bufs.procLinks >= imagefs.MaxSymlinks {
		return -ELOOP
	}
	base := "/"
	switch r.ent {
	case pePidCwd:
		if cwdDead() {
			// A removed working directory has no path: the rest is
			// relative to it (resolveFromDeadCwd).
			p, ok := deadCwdRel(bufs.path[0][:], rest)
			if !ok {
				return -ENAMETOOLONG
			}
			return redirectTo(&bufs.redir, p, bufs.procLinks+1)
		}
		base = cwdString()
	case pePidRoot:
	case pePidFd:
		_, f := fdGet(uintptr(r.arg))
		if f == nil {
			return -ENOENT
		}
		if !f.is(kindDir) {
			return -ENOTDIR
		}
		base = dirPath(f, &dbuf)
	default:
		return -ENOTDIR
	}
	for len(rest) > 0 && rest[0] == '/' {
		rest = rest[1:]
	}
	p, ok := cleanJoin(bufs.path[0][:], base, rest)
	if !ok {
		return -ENAMETOOLONG
	}
	return redirectTo(&bufs.redir, p, bufs.procLinks+1)
}

// imageLinkOut is the path a symlink of the packed tree leads to when
// the tree's walk (imagefs.Walk, which treats the image as the whole
// world) cannot follow it: into /tmp or a file system a system call
// dispatches itself (foreignPath), as an image's /etc/mtab ->
// /proc/self/mounts or /var/tmp -> /tmp, or back into the tree after a
// ".." the walk took inside the image (/pkg/proc/../x with proc ->
// /proc). It follows the links on abs's way in the tree (a chain of
// them, at most imagefs.MaxSymlinks) and writes into out the path after
// the first that leads out, or the path left when none is left on the
// way, and how many links it followed (0: none, the walk's answer
// stands).
// Called only after the walk failed, so the paths that do not meet a
// link pay nothing.
//
//go:noinline
func imageLinkOut(out []byte, abs string, follow bool) (string, int) {
	var scratch [pathMax]byte
	p := abs
	for n := range imagefs.MaxSymlinks {
		link, rest, ok := imageFirstLink(p, follow)
		if !ok {
			// No link left on the way: p (if a link was followed, a
			// path whose ".." the cleaning resolved after it) is the
			// tree's to walk.
			return p, n
		}
		target := rootFS.LinkTarget(link)
		if target == "" || len(target)+len(rest) > len(scratch) {
			return "", 0
		}
		// The target and the rest in scratch, then joined to the link's
		// directory into out: p may be in out.
		k := copy(scratch[:], target)
		k += copy(scratch[k:], rest)
		next, ok := cleanJoin(out, rootFS.Path(rootFS.Parent(link)), unsafeString(scratch[:k]))
		if !ok {
			return "", 0
		}
		if _, in := inTmp(next); in && tmp.ready || foreignPath(next) {
			return next, n + 1
		}
		p = next
	}
	return "", 0
}

// imageFirstLink finds the first symlink on the clean absolute path p's
// way in the packed tree that a walk follows (any but the last component;
// the last if follow or a slash follows it) and returns it and the rest
// of p after it; ok is false if the walk meets none before it ends or
// fails.
func imageFirstLink(p string, follow bool) (link int, rest string, ok bool) {
	cur := rootFS.Root()
	for i := 1; i < len(p); {
		j := i
		for j < len(p) && p[j] != '/' {
			j++
		}
		comp, rest := p[i:j], p[j:]
		if comp == "" || comp == "." || comp == ".." {
			return -1, "", false
		}
		e, found := rootFS.LookupChild(cur, comp)
		if !found {
			return -1, "", false
		}
		if rootFS.IsSymlink(e) && (rest != "" || follow) {
			return e, rest, true
		}
		if !rootFS.IsDir(e) {
			return -1, "", false
		}
		cur, i = e, j+1
	}
	return -1, "", false
}

// redirectLimit is how many redirections one system call follows: each
// but one out of /tmp by ".." follows a link, so the count of links
// (lookupBufs.links) ends a loop first; this bounds the loop itself.
const redirectLimit = imagefs.MaxSymlinks + 1
