package kernel

import (
	"github.com/gotoro/gotoro/internal/imagefs"
	"github.com/gotoro/gotoro/kernel/ktime"
)

// /proc: the kernel's view of the one process, generated when read.
//
//	/proc                      cpuinfo meminfo stat uptime version loadavg
//	                           mounts (-> self/mounts), self (-> 1),
//	                           thread-self (-> 1/task/TID), 1
//	/proc/1                    stat status statm cmdline environ comm maps
//	                           cgroup mountinfo mounts limits exe cwd root
//	                           fd/ net/netstat net/dev task/
//	/proc/1/task/TID           stat status comm (one per live thread)
//	/proc/sys/net/core/somaxconn is a built-in file (static.go).
//
// A path below /proc is looked up here before the other file systems
// (procPath: a file of the table named /proc/NAME or /proc/self/NAME by
// one scan, procFileOf; any other path component by component,
// procLookup); an entry is a procEnt and, for /proc/1/fd/N, the
// descriptor number, for /proc/1/task/TID and its files the thread id. A file's text is generated (procfs_gen.go) at a
// read at offset 0 and kept for the later reads of the open file
// (procfs_snap.go), so lines stay whole when the content changes between
// two reads; their size is 0, as on Linux. Directories list their entries (and fd/ the open
// descriptors); symlinks answer readlink and are followed in lookups.

const (
	procPrefix = "/proc"
	procPid    = 1 // the process's id (getpid)
	procDev    = 4 // st_dev of /proc entries
)

// procEnt names an entry of /proc.
type procEnt uint8

const (
	peNone procEnt = iota
	peRoot
	peSelf       // /proc/self -> 1
	peThreadSelf // /proc/thread-self -> 1/task/TID, the calling thread's
	peMounts     // /proc/mounts -> self/mounts
	peCPUInfo
	peMeminfo
	peStat
	peUptime
	peVersion
	peLoadavg
	pePid // /proc/1
	pePidStat
	pePidStatus
	pePidStatm
	pePidCmdline
	pePidEnviron
	pePidComm
	pePidMaps
	pePidCgroup
	pePidMountinfo
	pePidMounts
	pePidLimits
	pePidExe
	pePidCwd
	pePidRoot
	pePidFdDir
	pePidFd // /proc/1/fd/N: arg is N
	pePidNetDir
	pePidNetstat
	pePidNetDev
	pePidTaskDir
	peTask // /proc/1/task/TID: arg is TID
	peTaskStat
	peTaskStatus
	peTaskComm
	numProcEnts
)

// procTable describes each entry: its name, its directory and its type.
var procTable = [numProcEnts]struct {
	name   string
	parent procEnt
	typ    uint32 // tmpModeDir, tmpModeFile or tmpModeLink
}{
	peRoot:         {"proc", peRoot, tmpModeDir},
	peSelf:         {"self", peRoot, tmpModeLink},
	peThreadSelf:   {"thread-self", peRoot, tmpModeLink},
	peMounts:       {"mounts", peRoot, tmpModeLink},
	peCPUInfo:      {"cpuinfo", peRoot, tmpModeFile},
	peMeminfo:      {"meminfo", peRoot, tmpModeFile},
	peStat:         {"stat", peRoot, tmpModeFile},
	peUptime:       {"uptime", peRoot, tmpModeFile},
	peVersion:      {"version", peRoot, tmpModeFile},
	peLoadavg:      {"loadavg", peRoot, tmpModeFile},
	pePid:          {"1", peRoot, tmpModeDir},
	pePidStat:      {"stat", pePid, tmpModeFile},
	pePidStatus:    {"status", pePid, tmpModeFile},
	pePidStatm:     {"statm", pePid, tmpModeFile},
	pePidCmdline:   {"cmdline", pePid, tmpModeFile},
	pePidEnviron:   {"environ", pePid, tmpModeFile},
	pePidComm:      {"comm", pePid, tmpModeFile},
	pePidMaps:      {"maps", pePid, tmpModeFile},
	pePidCgroup:    {"cgroup", pePid, tmpModeFile},
	pePidMountinfo: {"mountinfo", pePid, tmpModeFile},
	pePidMounts:    {"mounts", pePid, tmpModeFile},
	pePidLimits:    {"limits", pePid, tmpModeFile},
	pePidExe:       {"exe", pePid, tmpModeLink},
	pePidCwd:       {"cwd", pePid, tmpModeLink},
	pePidRoot:      {"root", pePid, tmpModeLink},
	pePidFdDir:     {"fd", pePid, tmpModeDir},
	pePidFd:        {"", pePidFdDir, tmpModeLink},
	pePidNetDir:    {"net", pePid, tmpModeDir},
	pePidNetstat:   {"netstat", pePidNetDir, tmpModeFile},
	pePidNetDev:    {"dev", pePidNetDir, tmpModeFile},
	pePidTaskDir:   {"task", pePid, tmpModeDir},
	peTask:         {"", pePidTaskDir, tmpModeDir},
	peTaskStat:     {"stat", peTask, tmpModeFile},
	peTaskStatus:   {"status", peTask, tmpModeFile},
	peTaskComm:     {"comm", peTask, tmpModeFile},
}

// numbered reports whether entry e is named by its argument (a
// descriptor or thread number) rather than by the table.
func (e procEnt) numbered() bool { return e == pePidFd || e == peTask }

// procRef is an entry of /proc and its argument (a descriptor number).
type procRef struct {
	ent procEnt
	arg int
}

// node packs r into a description's node.
func (r procRef) node() int { return int(r.ent) | r.arg<<8 }

func procRefOf(node int) procRef { return procRef{ent: procEnt(node & 0xff), arg: node >> 8} }

func (r procRef) typ() uint32 { return procTable[r.ent].typ }

// inProc reports whether the clean absolute path p lies in /proc and
// returns the rest of it.
func inProc(p string) (string, bool) {
	if len(p) < len(procPrefix) || p[:len(procPrefix)] != procPrefix {
		return "", false
	}
	rest := p[len(procPrefix):]
	if rest != "" && rest[0] != '/' {
		return "", false
	}
	return rest, true
}

// procPath makes path (relative to dirfd) absolute and, if it lies in
// /proc, looks it up. ok is false for paths elsewhere (and for malformed
// ones, which the caller's own resolution reports).
//
//go:nosplit
func procPath(dirfd int32, path string, follow bool) (r procRef, e int64, ok bool) {
	if len(path) == 0 {
		return procRef{}, 0, false
	}
	if path[0] != '/' {
		if dirfd != atFDCWD {
			_, f := fdGet(uintptr(dirfd))
			if f == nil || f.kind != fkProcDir {
				return procRef{}, 0, false
			}
		} else if _, in := inProc(cwdString()); !in {
			return procRef{}, 0, false
		}
	} else if rest, in := inProc(path); in {
		if r := procFileOf(rest); r.ent != peNone {
			return r, 0, true
		}
	} else if isCleanAbs(path) {
		return procRef{}, 0, false // elsewhere; "//proc/x", "/./proc/x" are cleaned first
	}
	bufs := &resolveBuf[curThread().index()]
	abs, e := absPath(bufs.path[1][:], dirfd, path)
	if e != 0 {
		return procRef{}, 0, false
	}
	rest, in := inProc(abs)
	if !in {
		return procRef{}, 0, false
	}
	r, e = procLookup(bufs, rest, follow)
	return r, e, true
}

// procLookup resolves rest, the part of a clean path after /proc.
// Symlinks within /proc (self, mounts) are followed in the middle of a
// path, and at its end if follow is set; the links that lead out of /proc
// (exe, cwd, root, fd/N) are returned as links at its end and redirect
// the lookup in its middle (procLinkOut). Each link followed counts, with
// those the lookup followed before a redirect here, against one bound of
// imagefs.MaxSymlinks (bufs, the calling thread's, keeps the count in
// procLinks for procLinkOut).
func procLookup(bufs *lookupBufs, rest string, follow bool) (procRef, int64) {
	cur := procRef{ent: peRoot}
	wantDir := false
	bufs.procLinks = bufs.links
	for len(rest) > 0 {
		for len(rest) > 0 && rest[0] == '/' {
			rest = rest[1:]
		}
		if rest == "" {
			wantDir = true
			break
		}
		j := 0
		for j < len(rest) && rest[j] != '/' {
			j++
		}
		comp := rest[:j]
		rest = rest[j:]
		last := onlySlashes(rest)
		if cur.typ() != tmpModeDir {
			return procRef{}, -ENOTDIR
		}
		if comp == ".." { // one the cleaning kept (procfs_dotdot.go)
			if cur.ent == peRoot {
				return procRef{}, procDotDotOut(bufs, rest)
			}
			cur = procParent(cur)
			continue
		}
		next := procChild(cur, comp)
		if next.ent == peNone {
			return procRef{}, -ENOENT
		}
		// The links inside /proc.
		if next.ent == peSelf && (!last || follow || rest != "") {
			if bufs.procLinks >= imagefs.MaxSymlinks {
				return procRef{}, -ELOOP
			}
			bufs.procLinks++
			next = procRef{ent: pePid}
		}
		if next.ent == peThreadSelf && (!last || follow || rest != "") {
			if bufs.procLinks >= imagefs.MaxSymlinks {
				return procRef{}, -ELOOP
			}
			bufs.procLinks++
			next = procRef{ent: peTask, arg: int(curThread().tid())}
		}
		if next.ent == peMounts && (!last || follow) {
			if bufs.procLinks+2 > imagefs.MaxSymlinks {
				return procRef{}, -ELOOP
			}
			bufs.procLinks += 2 // mounts -> self/mounts, and self
			next = procRef{ent: pePidMounts}
		}
		// A link out of /proc in the middle of the path, or at its end
		// with a trailing slash (which Linux follows, as for lstat of
		// "cwd/"), continues where it leads: cwd/NAME, fd/N/NAME, cwd/.
		if (!last || rest != "") && next.typ() == tmpModeLink {
			return procRef{}, procLinkOut(next, rest)
		}
		cur = next
	}
	if wantDir && cur.typ() != tmpModeDir {
		return procRef{}, -ENOTDIR
	}
	return cur, 0
}

// procFileOf is the common case of a path in /proc in a few blocks: rest,
// what follows /proc in an absolute path, is /NAME or /self/NAME with
// NAME a plain file of the table (/proc/self/cgroup, which the Go
// runtime opens at every start, maps, meminfo, ...). Such a path is
// clean (no name in the table is empty or has a dot or a slash), so
// neither cleaning nor procLookup's walk would change what it names. Any
// other form, or a name that is not such a file, gives peNone.
//
//go:nosplit
func procFileOf(rest string) procRef {
	const self = "/self/"
	d, name := peRoot, ""
	if len(rest) > len(self) && rest[:len(self)] == self {
		d, name = pePid, rest[len(self):]
	} else if len(rest) > 1 {
		name = rest[1:]
	}
	for e := peRoot + 1; e < numProcEnts; e++ {
		if procTable[e].parent == d && procTable[e].typ == tmpModeFile && procTable[e].name == name {
			return procRef{ent: e}
		}
	}
	return procRef{}
}

// procChild finds name in directory d.
//
//go:nosplit
func procChild(d procRef, name string) procRef {
	if d.ent == pePidFdDir {
		n, ok := parseFdName(name)
		if !ok {
			return procRef{}
		}
		if _, f := fdGet(uintptr(n)); f == nil {
			return procRef{}
		}
		return procRef{ent: pePidFd, arg: n}
	}
	if d.ent == pePidTaskDir {
		n, ok := parseFdName(name)
		if !ok || !procThreadLive(n) {
			return procRef{}
		}
		return procRef{ent: peTask, arg: n}
	}
	for e := peRoot + 1; e < numProcEnts; e++ {
		if procTable[e].parent == d.ent && procTable[e].name == name && !e.numbered() {
			return procRef{ent: e, arg: d.arg} // a task's files keep its id
		}
	}
	return procRef{}
}

// parseFdName reads a descriptor number written as Linux writes it.
func parseFdName(s string) (int, bool) {
	if s == "" || len(s) > 4 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, n < maxFDs
}

// procStat describes entry r.
func procStat(st *statBuf, r procRef) int64 {
	*st = statBuf{nlink: 1, blksize: 1024, dev: procDev, ino: uint64(r.node()) + 1}
	switch r.typ() {
	case tmpModeDir:
		st.mode, st.nlink = tmpModeDir|0o555, 2
		if r.ent == pePidFdDir {
			st.mode = tmpModeDir | 0o500
		}
	case tmpModeLink:
		// As Linux: self, exe, cwd and root have size 0, mounts its
		// target's length, fd/N 64 and the descriptor's access in its
		// mode (procFdLinkMode).
		st.mode = tmpModeLink | 0o777
		switch r.ent {
		case pePidFd:
			st.mode, st.size = tmpModeLink|procFdLinkMode(r.arg), 64
		case peMounts:
			st.size = int64(procLinkLen(r))
		}
	default:
		st.mode = tmpModeFile | 0o444
		if r.ent == pePidEnviron {
			st.mode = tmpModeFile | 0o400
		}
	}
	st.mtime = ktime.EpochNs() / 1e9
	st.atime, st.ctime = st.mtime, st.mtime
	return 0
}

// procFdLinkMode is the permissions of /proc/self/fd/N as Linux gives
// them: read and search for a descriptor open for reading, write and
// search for one open for writing.
func procFdLinkMode(fd int) uint32 {
	_, f := fdGet(uintptr(fd))
	if f == nil {
		return 0o700
	}
	switch f.flags & oAccMode {
	case oRdonly:
		return 0o500
	case oWronly:
		return 0o300
	}
	return 0o700
}

// procOpen opens entry r.
//
//go:nosplit
func procOpen(r procRef, flags uint32) int64 {
	switch r.typ() {
	case tmpModeLink:
		if flags&oPath == 0 {
			return -ELOOP // O_NOFOLLOW on a symlink
		}
	case tmpModeDir:
		if flags&oAccMode != oRdonly {
			return -EISDIR
		}
	default:
		if flags&oAccMode != oRdonly {
			return -EACCES
		}
		if flags&oDirectory != 0 {
			return -ENOTDIR
		}
	}
	kind := fkProcFile
	if r.typ() == tmpModeDir {
		kind = fkProcDir
	}
	fd, f := newFD(kind, flags)
	if f != nil {
		f.node = r.node()
	}
	return fd
}

// procFollow opens, stats or checks what link r points to: the file of
// descriptor N for fd/N, the working directory for cwd, the root for
// root. ok is false for exe, whose target is not a file of the guest.
func procFollowTarget(r procRef) (fd int, path string, ok bool) {
	switch r.ent {
	case pePidFd:
		return r.arg, "", true
	case pePidCwd:
		return -1, cwdString(), true
	case pePidRoot:
		return -1, "/", true
	}
	return -1, "", false
}

// procReadlink writes the target of link r into b.
func procReadlink(r procRef, b []byte) int64 {
	if r.typ() != tmpModeLink {
		return -EINVAL
	}
	w := procWriter{dst: b}
	procLinkTarget(&w, r)
	return int64(w.n)
}

// procLinkLen is the length of link r's target.
func procLinkLen(r procRef) int {
	w := procWriter{}
	procLinkTarget(&w, r)
	return int(w.total)
}

// procLinkTarget writes the target of link r.
func procLinkTarget(w *procWriter, r procRef) {
	switch r.ent {
	case peSelf:
		w.dec(procPid)
	case peThreadSelf:
		w.dec(procPid)
		w.str("/task/")
		w.dec(uint64(curThread().tid()))
	case peMounts:
		w.str("self/mounts")
	case pePidExe:
		procExePath(w)
	case pePidCwd:
		w.str(cwdString())
		if cwdDead() {
			w.str(" (deleted)")
		}
	case pePidRoot:
		w.str("/")
	case pePidFd:
		_, f := fdGet(uintptr(r.arg))
		if f != nil {
			fdDescribe(w, f)
		}
	}
}

// procFile is an open file of /proc: f.node is its procRef.
type procFile struct{ fileBase }

func (*procFile) flags() kindFlags                         { return kindSeekable }
func (*procFile) write(f *file, b []byte, off int64) int64 { return -EBADF }
func (*procFile) stat(f *file, st *statBuf) int64          { return procStat(st, procRefOf(f.node)) }
func (*procFile) statfs(f *file, st *statfsBuf) int64      { return statfsPseudo(st, procMagic) }
func (*procFile) readiness(f *file) uint32                 { return pollDefault }

// seek is Linux's: /proc's files are generated a record at a time and
// their lseek knows SEEK_SET and SEEK_CUR only (SEEK_END is EINVAL),
// except cmdline and environ, which answer SEEK_END from their size, 0.
func (*procFile) seek(f *file, off int64, whence int) int64 {
	if whence == seekEnd {
		if e := procRefOf(f.node).ent; e != pePidCmdline && e != pePidEnviron {
			return -EINVAL
		}
	}
	return seekIn(f, off, whence, 0)
}

// read copies from the file's text at the offset; a read at offset 0,
// or the first read, generates the text anew (procfs_snap.go).
//
//go:nosplit
func (*procFile) read(f *file, b []byte, off int64) int64 {
	pos := off
	if off < 0 {
		pos = f.off
	}
	i := procSnapIndex(f)
	s := &procSnaps[i]
	if pos == 0 || !s.made {
		if e := procSnapFill(i, procRefOf(f.node)); e != 0 {
			return e
		}
	}
	n := s.copyOut(b, pos)
	if off < 0 {
		f.off += int64(n)
	}
	return int64(n)
}

// release gives the text's pages back.
//
//go:nosplit
func (*procFile) release(f *file) { procSnapOf(f).free() }

// procDir is an open directory of /proc.
type procDir struct{ fileBase }

func (*procDir) flags() kindFlags                          { return kindSeekable | kindDir }
func (*procDir) read(f *file, b []byte, off int64) int64   { return -EISDIR }
func (*procDir) write(f *file, b []byte, off int64) int64  { return -EBADF }
func (*procDir) stat(f *file, st *statBuf) int64           { return procStat(st, procRefOf(f.node)) }
func (*procDir) statfs(f *file, st *statfsBuf) int64       { return statfsPseudo(st, procMagic) }
func (*procDir) seek(f *file, off int64, whence int) int64 { return seekIn(f, off, whence, 0) }

func (*procDir) dirPath(f *file, buf uintptr) string {
	b := unsafeSlice(buf, pathMax)
	w := procWriter{dst: b}
	procDirPath(&w, procRefOf(f.node))
	return unsafeString(b[:w.n])
}

func procDirPath(w *procWriter, r procRef) {
	if r.ent != peRoot {
		procDirPath(w, procRef{ent: procTable[r.ent].parent, arg: r.arg})
		w.str("/")
		if r.ent.numbered() {
			w.dec(uint64(r.arg))
		} else {
			w.str(procTable[r.ent].name)
		}
		return
	}
	w.str(procPrefix)
}

// getdents lists ".", "..", then the entries; the offset counts entries
// (fd/: descriptor numbers past the first two).
func (*procDir) getdents(f *file, b []byte) int64 {
	d := procRefOf(f.node)
	w := 0
	for {
		var name string
		var r procRef
		var nbuf [8]byte
		switch {
		case f.off == 0:
			name, r = ".", d
		case f.off == 1:
			name, r = "..", procRef{ent: procTable[d.ent].parent}
		case d.ent == pePidTaskDir:
			ti := int(f.off - 2) // thread index: tid - 1
			for ti < maxThreads && !procThreadLive(ti+1) {
				ti++
			}
			if ti == maxThreads {
				return int64(w)
			}
			f.off = int64(ti + 2)
			nw := procWriter{dst: nbuf[:]}
			nw.dec(uint64(ti + 1))
			name, r = unsafeString(nbuf[:nw.n]), procRef{ent: peTask, arg: ti + 1}
		case d.ent == pePidFdDir:
			fd := int(f.off - 2)
			for fd < maxFDs && fdtab[fd].file == 0 {
				fd++
			}
			if fd == maxFDs {
				return int64(w)
			}
			f.off = int64(fd + 2)
			nw := procWriter{dst: nbuf[:]}
			nw.dec(uint64(fd))
			name, r = unsafeString(nbuf[:nw.n]), procRef{ent: pePidFd, arg: fd}
		case f.off-2 >= int64(numProcEnts):
			return int64(w)
		default:
			e := procEnt(f.off - 2 + int64(peRoot) + 1)
			for e < numProcEnts && (procTable[e].parent != d.ent || e.numbered()) {
				e++
			}
			if e == numProcEnts {
				return int64(w)
			}
			f.off = int64(e) - int64(peRoot) - 1 + 2
			name, r = procTable[e].name, procRef{ent: e, arg: d.arg}
		}
		typ := byte(dtReg)
		switch r.typ() {
		case tmpModeDir:
			typ = dtDir
		case tmpModeLink:
			typ = dtLink
		}
		n := putDirent(b[w:], uint64(r.node())+1, f.off+1, typ, name)
		if n == 0 {
			if w == 0 {
				return -EINVAL
			}
			return int64(w)
		}
		w += n
		f.off++
	}
}

// procOpenAt opens r, following a last link that leads out of /proc
// unless the caller asked not to.
//
//go:nosplit
func procOpenAt(r procRef, flags uint32) int64 {
	if r.typ() != tmpModeLink || flags&oNofollow != 0 {
		return procOpen(r, flags)
	}
	switch r.ent {
	case pePidFd:
		_, f := fdGet(uintptr(r.arg))
		if f == nil {
			return -ENOENT
		}
		// A file opens anew (its own offset); other objects are shared.
		switch f.kind {
		case fkTmpFile, fkTmpDir:
			return tmpOpen(f.node, flags)
		case fkMemfd:
			return memfdOpen(f.node, flags)
		case fkFile, fkDir:
			return imageOpen(f.node, flags)
		}
		return fdDup(uintptr(r.arg), 0, false, flags&oCloexec != 0)
	case pePidCwd, pePidRoot:
		// The directory wherever it is: openat's dispatch opens its path
		// (-errRedirect).
		return procLinkOut(r, "")
	}
	return -ENOENT // exe: the image is not a file of the guest
}

// procStatAt stats r, following a last link that leads out of /proc if
// follow is set.
func procStatAt(r procRef, st *statBuf, follow bool) int64 {
	if r.typ() != tmpModeLink || !follow {
		return procStat(st, r)
	}
	switch r.ent {
	case pePidFd:
		_, f := fdGet(uintptr(r.arg))
		if f == nil {
			return -ENOENT
		}
		return f.ops().stat(f, st)
	case pePidCwd, pePidRoot:
		// The directory wherever it is (/tmp, the tree, /proc, a share):
		// the caller's dispatch looks its path up (-errRedirect).
		return procLinkOut(r, "")
	}
	return -ENOENT
}
