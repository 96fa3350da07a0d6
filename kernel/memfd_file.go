package kernel

// The memfd file kind (memfd.go): a /tmp file (tmpFile) whose writes,
// truncation and chmod answer to its seals first, as Linux's shmem does.

type memFile struct{ tmpFile }

func (*memFile) flags() kindFlags { return kindSeekable | kindRegular | kindMappable }

// sealedWrite returns how many of the n bytes of a write at off (< 0: at
// the file offset or, with O_APPEND, the end) the seals let through:
// none (EPERM) under F_SEAL_WRITE or F_SEAL_FUTURE_WRITE; under
// F_SEAL_GROW what lies before the page the end falls in, as Linux
// writes page by page and refuses the first page that would grow the
// file.
func sealedWrite(f *file, n int64, off int64) (int64, int64) {
	seals := memfdSeals[f.node]
	if seals&sealWrites != 0 {
		return 0, -EPERM
	}
	if seals&sealGrow == 0 || n == 0 {
		return n, 0
	}
	pos := tmpWritePos(f, off)
	size := tmp.nodes[f.node].size
	if pos+n <= size {
		return n, 0
	}
	ok := size&^(pageSize-1) - pos
	if ok <= 0 {
		return 0, -EPERM
	}
	return ok, 0
}

func (*memFile) write(f *file, b []byte, off int64) int64 {
	if f.flags&oAccMode == oRdonly {
		return -EBADF
	}
	n, e := sealedWrite(f, int64(len(b)), off)
	if e != 0 {
		return e
	}
	if n = memfdRoom(f.node, tmpWritePos(f, off), n); n == 0 && len(b) > 0 {
		return -ENOSPC
	}
	return tmpWriteLocked(f, tmpBufs{one: b[:n]}, off)
}

// writev goes buffer by buffer through write, so that each is held to
// the seals and the memory reserve (an O_APPEND writev is therefore not
// one write: another thread's write may land between its buffers).
func (m *memFile) writev(f *file, iov []byte, off int64) int64 {
	if memfdSeals[f.node]&sealWrites != 0 && f.flags&oAccMode != oRdonly {
		return -EPERM
	}
	return writeEach(f, iov, off)
}

func (m *memFile) truncate(f *file, size int64) int64 {
	if f.flags&oAccMode == oRdonly || size < 0 {
		return -EINVAL
	}
	cur := tmp.nodes[f.node].size
	seals := memfdSeals[f.node]
	if size < cur && seals&sealShrink != 0 || size > cur && seals&sealGrow != 0 {
		return -EPERM
	}
	return m.tmpFile.truncate(f, size)
}

// chmod may not change the execute bits under F_SEAL_EXEC.
func (m *memFile) chmod(f *file, mode uint32) int64 {
	if memfdSeals[f.node]&sealExec != 0 && (mode^tmp.nodes[f.node].mode)&0o111 != 0 {
		return -EPERM
	}
	return m.tmpFile.chmod(f, mode)
}
