package kernel

import (
	"unsafe"

	"github.com/gotoro/gotoro/internal/bootabi"
	"github.com/gotoro/gotoro/internal/virtio"
	"github.com/gotoro/gotoro/kernel/mm"
)

// Shared host directories (virtio-fs) mounted at guest paths: the
// command line entry fs=TAG:GUESTDIR[:ro] mounts the device with that tag.
// Paths are made absolute and cleaned lexically first (as everywhere in
// this kernel), so ".." never walks above the mount point inside the
// share: /share/../etc is the guest's /etc. The share's symlinks are
// followed only when their target stays inside the same share; others
// fail with EXDEV (like openat2's RESOLVE_BENEATH). A read-only mount
// refuses every change with EROFS.
//
// Every LOOKUP takes a reference on the server's inode; intermediate
// directories are forgotten when the operation ends, an open file's node
// when it is closed.

// fuseAttr is struct fuse_attr.
type fuseAttr struct {
	ino, size, blocks, atime, mtime, ctime uint64
	atimeNs, mtimeNs, ctimeNs, mode, nlink uint32
	uid, gid, rdev, blksize, flags         uint32
}

// fuseFile is the state of an open file or directory on a share, at the
// index of its description in files.
type fuseFile struct {
	m      int32
	nodeid uint64
	fh     uint64
	path   uintptr // directories: a page with the absolute path (for *at calls)
	plen   int
}

var fuseFiles [maxFiles]fuseFile

// fuseScratch holds each thread's path buffers: FUSE calls block, so a
// per-core buffer could be overwritten by another thread meanwhile.
var fuseScratch [maxThreads][5]uintptr

// scratch returns the running thread's three path buffers for
// fuseResolve.
func scratch() (a, b, c []byte) {
	s := scratchPages()
	return unsafeSlice(s[0], pathMax), unsafeSlice(s[1], pathMax), unsafeSlice(s[2], pathMax)
}

// pathBufs returns the running thread's two buffers for the absolute
// paths of a system call (fuseResolve does not touch them).
func pathBufs() (a, b []byte) {
	s := scratchPages()
	return unsafeSlice(s[3], pathMax), unsafeSlice(s[4], pathMax)
}

func scratchPages() *[5]uintptr {
	s := &fuseScratch[curThread().index()]
	for i := range s {
		if s[i] == 0 {
			s[i] = mm.Alloc()
			if s[i] == 0 {
				kpanic("out of memory for path buffers")
			}
		}
	}
	return s
}

// fuseMountAll mounts the shares the command line names.
func fuseMountAll(cmdline string) {
	var buf [pathMax + virtio.FSTagLen + 8]byte
	for rest := cmdline; ; {
		k, raw, r, ok := bootabi.NextParam(rest)
		if !ok {
			break
		}
		rest = r
		if k != bootabi.KeyFS || len(raw) > len(buf) {
			continue
		}
		v := unsafeString(buf[:bootabi.Unescape(buf[:], raw)])
		i := 0
		for i < len(v) && v[i] != ':' {
			i++
		}
		if i == len(v) {
			continue
		}
		tag, dir, ro := v[:i], v[i+1:], false
		if len(dir) > 3 && dir[len(dir)-3:] == ":ro" {
			dir, ro = dir[:len(dir)-3], true
		}
		m := fuseByTag(tag)
		if m == nil || len(dir) < 2 || dir[0] != '/' {
			kprint("gotoro: virtio-fs: no device for fs=")
			kprint(v)
			kprint("\n")
			continue
		}
		m.pathLen = copy(m.path[:], dir)
		m.readOnly = ro
		if e := m.init(); e != 0 {
			kprint("gotoro: virtio-fs: FUSE_INIT failed for ")
			kprint(tag)
			kprint("\n")
			continue
		}
		m.mounted = true
	}
}

func fuseByTag(tag string) *fuseMount {
	for i := 0; i < nfuseMounts; i++ {
		m := &fuseMounts[i]
		if !m.mounted && unsafeString(m.tag[:m.tagLen]) == tag {
			return m
		}
	}
	return nil
}

// fuseMountOf returns the mount abs lies in and the path below it ("" for
// the mount point itself), or -1.
func fuseMountOf(abs string) (int, string) {
	for i := 0; i < nfuseMounts; i++ {
		m := &fuseMounts[i]
		p := m.mountPoint()
		if !m.mounted || len(abs) < len(p) || abs[:len(p)] != p {
			continue
		}
		if len(abs) == len(p) || abs[len(p)] == '/' {
			return i, abs[len(p):]
		}
	}
	return -1, ""
}

// fuseAbs makes path absolute into buf and reports the mount it lies in,
// or -1 (also when the path is malformed: the caller's own resolution
// reports that).
func fuseAbs(buf []byte, dirfd int32, path string) (int, string) {
	if nfuseMounts == 0 || path == "" {
		return -1, ""
	}
	abs, e := absPath(buf, dirfd, path)
	if e != 0 {
		return -1, ""
	}
	m, _ := fuseMountOf(abs)
	return m, abs
}

// fwalk collects the nodes an operation looked up, to forget them at its
// end.
type fwalk struct {
	m   *fuseMount
	ids [32]uint64
	n   int
}

func (w *fwalk) hold(id uint64) {
	if id == virtio.FuseRootID {
		return
	}
	if w.n == len(w.ids) {
		w.done()
	}
	w.ids[w.n] = id
	w.n++
}

// done forgets the collected nodes.
func (w *fwalk) done() {
	w.m.forget(w.ids[:w.n])
	w.n = 0
}

// lookup looks name up in directory parent.
func (w *fwalk) lookup(parent uint64, name string, a *fuseAttr) (uint64, int64) {
	if len(name) > virtio.FuseMaxNameLen {
		return 0, -ENAMETOOLONG
	}
	m := w.m
	s := m.slot()
	in := m.slotIn[s] + virtio.FuseInHeaderLen
	copy(unsafeSlice(in, uintptr(len(name))), name)
	*(*byte)(ptr(in + uintptr(len(name)))) = 0
	_, e := m.call(s, virtio.FuseLookup, parent, uintptr(len(name)+1), virtio.FuseEntryOutLen, nil, nil)
	id := uint64(0)
	if e == 0 {
		out := m.slotOut[s] + virtio.FuseOutHeaderLen
		id = *(*uint64)(ptr(out))
		*a = *(*fuseAttr)(ptr(out + 40))
		if id == 0 {
			e = -ENOENT // a negative entry
		}
	}
	m.release(s)
	return id, e
}

// readlink reads the target of symlink node into buf.
func (w *fwalk) readlink(node uint64, buf []byte) (string, int64) {
	m := w.m
	s := m.slot()
	n, e := m.call(s, virtio.FuseReadlink, node, 0, pageSize-virtio.FuseOutHeaderLen, nil, nil)
	t := ""
	if e == 0 {
		n = copy(buf, unsafeSlice(m.slotOut[s]+virtio.FuseOutHeaderLen, uintptr(n)))
		t = unsafeString(buf[:n])
	}
	m.release(s)
	return t, e
}

func isLinkMode(mode uint32) bool { return mode&0o170000 == 0o120000 }
func isDirMode(mode uint32) bool  { return mode&0o170000 == 0o040000 }

// fuseResolve walks abs (in mount mi) from the share's root. With parent
// set it stops before the last component and returns it as last. Symlinks
// are followed (the last one only with follow) while they stay in the
// share. The returned node is held in w unless keep is set, then the
// caller owns its reference.
func fuseResolve(w *fwalk, mi int, abs string, follow, parent, keep bool) (node uint64, a fuseAttr, last string, e int64) {
	b0, b1, b2 := scratch()
	bufs := [2][]byte{b0, b1}
	cur := 0
	for hops := 0; ; hops++ {
		m, rel := fuseMountOf(abs)
		if m != mi {
			return 0, a, "", -EXDEV
		}
		trailing := len(rel) > 0 && rel[len(rel)-1] == '/'
		for len(rel) > 0 && rel[len(rel)-1] == '/' {
			rel = rel[:len(rel)-1]
		}
		node = virtio.FuseRootID
		a = fuseAttr{mode: 0o040755, ino: 1}
		restart := false
		i := 0
		for i < len(rel) {
			for i < len(rel) && rel[i] == '/' {
				i++
			}
			j := i
			for j < len(rel) && rel[j] != '/' {
				j++
			}
			name := rel[i:j]
			isLast := j == len(rel)
			if isLast && parent {
				return node, a, name, 0
			}
			if !isDirMode(a.mode) {
				return 0, a, "", -ENOTDIR
			}
			var ca fuseAttr
			child, e := w.lookup(node, name, &ca)
			if e != 0 {
				return 0, a, "", e
			}
			if isLinkMode(ca.mode) && (!isLast || follow || trailing) {
				if hops >= 40 {
					w.hold(child)
					return 0, a, "", -ELOOP
				}
				t, e := w.readlink(child, b2)
				w.hold(child)
				if e != 0 {
					return 0, a, "", e
				}
				// New path: the link's directory, the target, the rest.
				dir := abs[:len(abs)-len(rel)+i]
				next := bufs[1-cur]
				n := copy(next, t)
				if j < len(rel) {
					n += copy(next[n:], rel[j:])
				}
				if n >= len(next) {
					return 0, a, "", -ENAMETOOLONG
				}
				joined, ok := cleanJoin(b2, dir, unsafeString(next[:n]))
				if !ok {
					return 0, a, "", -ENAMETOOLONG
				}
				abs = unsafeString(bufs[1-cur][:copy(bufs[1-cur], joined)])
				cur = 1 - cur
				restart = true
				break
			}
			if isLast && keep {
				// The caller owns this reference.
			} else {
				w.hold(child)
			}
			node, a = child, ca
			i = j
		}
		if restart {
			continue
		}
		if trailing && !isDirMode(a.mode) {
			if keep && node != virtio.FuseRootID {
				w.hold(node)
			}
			return 0, a, "", -ENOTDIR
		}
		if parent {
			// The mount point itself has no parent in the share.
			return 0, a, "", -EBUSY
		}
		return node, a, "", 0
	}
}

// fillFuseStat converts a FUSE attribute to struct stat.
func fillFuseStat(st *statBuf, a *fuseAttr, mi int) {
	*st = statBuf{dev: devFuse0 + uint64(mi), ino: a.ino, nlink: uint64(a.nlink), mode: a.mode,
		uid: a.uid, gid: a.gid, rdev: uint64(a.rdev), size: int64(a.size),
		blksize: int64(a.blksize), blocks: int64(a.blocks),
		atime: int64(a.atime), atimeNs: int64(a.atimeNs),
		mtime: int64(a.mtime), mtimeNs: int64(a.mtimeNs),
		ctime: int64(a.ctime), ctimeNs: int64(a.ctimeNs)}
	if st.blksize == 0 {
		st.blksize = 4096
	}
}

// writeName writes name and a NUL at in and returns the bytes written.
func writeName(in uintptr, name string) uintptr {
	copy(unsafeSlice(in, uintptr(len(name))), name)
	*(*byte)(ptr(in + uintptr(len(name)))) = 0
	return uintptr(len(name) + 1)
}

// getattr fetches node's attributes (fh if nonzero).
func (m *fuseMount) getattr(node, fh uint64, a *fuseAttr) int64 {
	s := m.slot()
	in := m.slotIn[s] + virtio.FuseInHeaderLen
	*(*uint32)(ptr(in)) = 0
	if fh != 0 {
		*(*uint32)(ptr(in)) = 1 // FUSE_GETATTR_FH
	}
	*(*uint32)(ptr(in + 4)) = 0
	*(*uint64)(ptr(in + 8)) = fh
	_, e := m.call(s, virtio.FuseGetattr, node, virtio.FuseGetattrInLen, virtio.FuseAttrOutLen, nil, nil)
	if e == 0 {
		*a = *(*fuseAttr)(ptr(m.slotOut[s] + virtio.FuseOutHeaderLen + 16))
		if node == virtio.FuseRootID {
			m.rootIno, m.rootSeen = a.ino, true
		}
	}
	m.release(s)
	return e
}

// setattrSize truncates node (open as fh, if nonzero) to size.
func (m *fuseMount) setattrSize(node, fh uint64, size int64) int64 {
	s := m.slot()
	in := m.slotIn[s] + virtio.FuseInHeaderLen
	clear(unsafeSlice(in, virtio.FuseSetattrInLen))
	valid := uint32(virtio.FattrSize)
	if fh != 0 {
		valid |= virtio.FattrFH
	}
	*(*uint32)(ptr(in)) = valid
	*(*uint64)(ptr(in + 8)) = fh
	*(*uint64)(ptr(in + 16)) = uint64(size)
	_, e := m.call(s, virtio.FuseSetattr, node, virtio.FuseSetattrInLen, virtio.FuseAttrOutLen, nil, nil)
	m.release(s)
	return e
}

// statPtr views a user stat buffer.
func statPtr(b []byte) *statBuf { return (*statBuf)(unsafe.Pointer(&b[0])) }

// pathBufs0 is pathBufs when a share is mounted (nil otherwise, so
// system calls pay nothing without shares).
func pathBufs0() (a, b []byte) {
	if nfuseMounts == 0 {
		return nil, nil
	}
	return pathBufs()
}
