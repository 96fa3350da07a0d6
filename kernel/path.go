package kernel

import "github.com/gotoro/gotoro/internal/imagefs"

// Path handling shared by the in-image file tree and the in-memory /tmp:
// a path is made absolute against the working directory or a directory
// descriptor and cleaned lexically into a caller-provided buffer.

// pathMax is the size of path buffers (PATH_MAX).
const pathMax = imagefs.MaxPath + 1

// cwdBuf[:cwdLen] is the working directory, absolute and clean.
var (
	cwdBuf [pathMax]byte
	cwdLen int
)

func cwdString() string { return unsafeString(cwdBuf[:cwdLen]) }

// setCwd makes p, a directory that is no node of /tmp or the writable
// tree, the working directory (those are setCwdTmp's, cwd.go).
func setCwd(p string) {
	cwdRelease()
	cwdLen = copy(cwdBuf[:], p)
}

// cleanJoin writes the clean absolute form of base + "/" + rel (or of rel
// alone if it is absolute) into buf and returns it. It reports false if the
// result does not fit. A trailing slash is kept (it requires a directory).
//
//go:nosplit
func cleanJoin(buf []byte, base, rel string) (string, bool) {
	if isCleanAbs(rel) {
		// The common case (the Go runtime's and most programs' opens) in a
		// few straight-line blocks: the component walk below is some 35
		// translated blocks under TCG (docs/boot.md).
		if len(rel) > len(buf) {
			return "", false
		}
		return unsafeString(buf[:copy(buf, rel)]), true
	}
	return cleanJoinWalk(buf, base, rel)
}

// isCleanAbs reports whether p is an absolute path that cleaning leaves
// as it is: no empty component, no component starting with a dot (which
// covers "." and ".."), no trailing slash; "/" itself is clean. Not inlined: cleanJoin and
// procPath share its translated blocks under TCG.
//
//go:noinline
//go:nosplit
func isCleanAbs(p string) bool {
	if len(p) == 0 || p[0] != '/' || len(p) > 1 && p[len(p)-1] == '/' {
		return false
	}
	for i := 1; i < len(p); i++ {
		if p[i-1] == '/' && (p[i] == '/' || p[i] == '.') {
			return false
		}
	}
	return true
}

// cleanJoinWalk is cleanJoin component by component.
func cleanJoinWalk(buf []byte, base, rel string) (string, bool) {
	n := 0
	put := func(s string) bool {
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c == '/' {
				continue
			}
			// Start of a component.
			j := i
			for j < len(s) && s[j] != '/' {
				j++
			}
			comp := s[i:j]
			i = j - 1
			switch comp {
			case ".":
			case "..":
				if inTmpDeep(buf[:n]) || procDotDotKept(buf[:n]) || imageLinkBefore(buf[:n]) {
					// Below /tmp, after a file or a link of /proc, or
					// after a symlink of the packed tree, a ".." may
					// not name the lexical parent: keep it for the
					// walk, which resolves it physically.
					if n+3 > len(buf) {
						return false
					}
					copy(buf[n:], "/..")
					n += 3
					break
				}
				for n > 0 && buf[n-1] != '/' {
					n--
				}
				if n > 0 {
					n--
				}
			default:
				if n+1+len(comp) > len(buf) {
					return false
				}
				buf[n] = '/'
				copy(buf[n+1:], comp)
				n += 1 + len(comp)
			}
		}
		return true
	}
	if len(rel) == 0 || rel[0] != '/' {
		if !put(base) {
			return "", false
		}
	}
	if !put(rel) {
		return "", false
	}
	if n == 0 {
		buf[0] = '/'
		n = 1
	} else if requiresDir(rel) && n < len(buf) {
		buf[n] = '/'
		n++
	}
	return unsafeString(buf[:n]), true
}

// tmpPrefix is where the in-memory file system is mounted.
const tmpPrefix = "/tmp"

// inTmp reports whether the clean absolute path p lies in /tmp and returns
// the rest of it.
func inTmp(p string) (string, bool) {
	if len(p) < len(tmpPrefix) || p[:len(tmpPrefix)] != tmpPrefix {
		return "", false
	}
	rest := p[len(tmpPrefix):]
	if rest != "" && rest[0] != '/' {
		return "", false
	}
	return rest, true
}

// requiresDir reports whether path names a directory by its form: a
// trailing slash, or a last component of "." or "..".
func requiresDir(p string) bool {
	if p == "" {
		return false
	}
	if p[len(p)-1] == '/' {
		return true
	}
	i := len(p)
	for i > 0 && p[i-1] != '/' {
		i--
	}
	last := p[i:]
	return last == "." || last == ".."
}

// imageLinkBefore reports whether the walk of the path built so far in
// the packed tree (the writable tree's, with the overlay) meets a symlink
// (or a ".." kept before), so that a ".." after it is resolved
// physically: kept, it comes after the link in the path, and the walks
// follow the link first (imagefs.Walk to the link target's parent,
// imageLinkOut and ovResolve by splicing the target in). Not for a path
// the tree lacks (a share's, /proc's), cleaned lexically as before.
func imageLinkBefore(p []byte) bool {
	if !rootFS.Valid(rootFS.Root()) || len(p) < 2 {
		return false
	}
	if ov.on && ovActive() {
		return ovLinkBefore(unsafeString(p))
	}
	_, errno, plain := rootFS.WalkNoted(rootFS.Root(), unsafeString(p), false)
	return !plain && errno != imagefs.ENAMETOOLONG
}

// ovLinkBefore is imageLinkBefore in the writable tree: its walk of p
// stops at a symlink to follow.
//
//go:noinline
func ovLinkBefore(p string) bool {
	var out [pathMax]byte
	_, _, next, _ := ovResolve(out[:], p, true, false)
	return next != ""
}

// inTmpDeep reports whether the path built so far names something below
// /tmp (not /tmp itself).
func inTmpDeep(p []byte) bool {
	return len(p) > len(tmpPrefix)+1 && string(p[:len(tmpPrefix)+1]) == tmpPrefix+"/"
}
