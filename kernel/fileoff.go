package kernel

// The file offset of a description whose reads or writes run without the
// big kernel lock moves under a lock of its kind (offLock): a /tmp file's
// node lock, the packed tree's fileOffLocks. Whatever moves it under the
// big lock — lseek, a read on the locked path, splice giving back bytes
// it could not write — takes that lock too: the big lock alone does not
// order it against an unlocked call on another core, and the two changes
// would overwrite each other (on Linux read, write and lseek each move a
// shared offset atomically).

// offLock returns the lock that orders description f's file offset, or
// nil when only calls under the big lock move it.
func offLock(f *file) *spinLock {
	switch f.kind {
	case fkTmpFile, fkMemfd:
		return &tmpNodeLocks[f.node]
	case fkFile:
		return fileOffLock(f)
	}
	return nil
}

// seekLocked is lseek (seekIn) on a file of size bytes whose offset lock
// is l.
func seekLocked(l *spinLock, f *file, off int64, whence int, size int64) int64 {
	l.lock()
	r := seekIn(f, off, whence, size)
	l.unlock()
	return r
}

// offTake moves f's offset, under its offset lock l, past the bytes a read
// of up to n bytes at it takes from a file of size bytes, and returns the
// position the read starts at and how many bytes it takes. A read that
// then copies fewer gives the rest back (offGiveBack).
func offTake(l *spinLock, f *file, n int, size int64) (int64, int) {
	l.lock()
	pos := f.off
	m := int(max(min(int64(n), size-pos), 0))
	f.off = pos + int64(m)
	l.unlock()
	return pos, m
}

// offGiveBack moves f's offset back k bytes that a read took but did not
// use, under f's offset lock if it has one.
func offGiveBack(f *file, k int64) {
	l := offLock(f)
	if l == nil {
		f.off -= k
		return
	}
	l.lock()
	f.off -= k
	l.unlock()
}
