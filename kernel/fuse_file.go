package kernel

// Open files and directories on a shared directory (virtio-fs, fuse_sys.go):
// f.node indexes fuseFiles, which holds the share, the node and the
// server's file handle.

type shareFile struct{ fileBase }

func (*shareFile) flags() kindFlags                    { return kindSeekable | kindMappable }
func (*shareFile) size(f *file) int64                  { return fuseSize(f) }
func (*shareFile) statfs(f *file, st *statfsBuf) int64 { return shareStatfs(f, st) }
func (*shareFile) lockKey(f *file, fi int32) uint64    { return shareLockKey(f) }

func (*shareFile) pageIn(f *file, p uintptr, off int64, n int) int64 {
	return fusePageIO(f, p, off, n, false)
}

func (*shareFile) read(f *file, b []byte, off int64) int64   { return fuseIO(f, b, off, false) }
func (*shareFile) write(f *file, b []byte, off int64) int64  { return fuseIO(f, b, off, true) }
func (*shareFile) seek(f *file, off int64, whence int) int64 { return fuseSeek(f, off, whence) }
func (*shareFile) stat(f *file, st *statBuf) int64           { return fuseFstat(f, st) }
func (*shareFile) fsync(f *file) int64                       { return fuseFsync(f) }
func (*shareFile) truncate(f *file, size int64) int64        { return fuseFtruncate(f, size) }
func (*shareFile) release(f *file)                           { fuseClose(f) }

type shareDir struct{ fileBase }

func (*shareDir) flags() kindFlags                          { return kindSeekable | kindDir }
func (*shareDir) size(f *file) int64                        { return fuseSize(f) }
func (*shareDir) statfs(f *file, st *statfsBuf) int64       { return shareStatfs(f, st) }
func (*shareDir) lockKey(f *file, fi int32) uint64          { return shareLockKey(f) }
func (*shareDir) read(f *file, b []byte, off int64) int64   { return fuseIO(f, b, off, false) }
func (*shareDir) write(f *file, b []byte, off int64) int64  { return fuseIO(f, b, off, true) }
func (*shareDir) seek(f *file, off int64, whence int) int64 { return fuseSeek(f, off, whence) }
func (*shareDir) stat(f *file, st *statBuf) int64           { return fuseFstat(f, st) }
func (*shareDir) fsync(f *file) int64                       { return fuseFsync(f) }
func (*shareDir) getdents(f *file, b []byte) int64          { return fuseGetdents(f, b) }
func (*shareDir) dirPath(f *file, buf uintptr) string       { return fuseDirPath(f) }
func (*shareDir) release(f *file)                           { fuseClose(f) }

// fuseSeek is lseek on a share file; only SEEK_END asks the server (for
// the size).
func fuseSeek(f *file, off int64, whence int) int64 {
	size := int64(0)
	if whence == seekEnd {
		size = fuseSize(f)
	}
	return seekIn(f, off, whence, size)
}

// shareStatfs asks the host for the numbers of the share's file system.
func shareStatfs(f *file, st *statfsBuf) int64 {
	ff := &fuseFiles[f.node]
	return statfsFuse(st, int(ff.m), ff.nodeid)
}

// shareLockKey names a share's file for locks: its share and node.
func shareLockKey(f *file) uint64 {
	ff := &fuseFiles[f.node]
	return lockKeyShare | uint64(ff.m)<<48 | ff.nodeid&(1<<48-1)
}
