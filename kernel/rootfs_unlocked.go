package kernel

import "unsafe"

// Reads of the packed tree's files without the big kernel lock. The tree
// is part of the image and never changes, so a pread needs no lock at
// all; a read needs one only for the file offset it moves, which other
// unlocked reads of the same description share (fileOffLock).

// readUnlocked copies from the file's data straight into the user buffer
// (readOut). A descriptor opened with O_PATH goes to the locked path.
func (*imageFile) readUnlocked(f *file, buf, n uintptr, off int64) (int64, bool) {
	if f.flags&oPath != 0 {
		return 0, false
	}
	src := readSrc{node: -1, data: rootFS.Data(f.node)}
	if off >= 0 {
		return readOut(buf, n, &src, off)
	}
	l := fileOffLock(f)
	l.lock()
	r, ok := readOut(buf, n, &src, f.off)
	if ok && r > 0 {
		f.off += r
	}
	l.unlock()
	return r, ok
}

// fileOffLocks order the file offset among unlocked reads of a
// description whose object needs no lock of its own (the packed tree):
// a description's lock is the one its index hashes to. Taken before
// vmLock (an unlocked read backing its buffer), like a /tmp node lock.
var fileOffLocks [64]spinLock

// fileOffLock returns the offset lock of description f.
func fileOffLock(f *file) *spinLock {
	fi := (uintptr(ptrTo(f)) - uintptr(ptrTo(&files[0]))) / unsafe.Sizeof(files[0])
	return &fileOffLocks[fi%uintptr(len(fileOffLocks))]
}
