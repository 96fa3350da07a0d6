package kernel

// Block device files: /dev/vda, /dev/vdb… for the virtio-blk devices in the
// order the VMM lists them. They behave like Linux block devices opened
// without O_DIRECT: any offset and length, lseek(SEEK_END) gives the size,
// fsync flushes the device cache, fstat reports S_IFBLK with size 0, and
// ioctl BLKGETSIZE64 returns the size in bytes.

const (
	blkGetSize64 = 0x80081272 // BLKGETSIZE64
	blkMajor     = 254        // virtblk's major on Linux
)

// blkByPath returns the unit named by path (/dev/vda is 0), or -1.
func blkByPath(path string) int {
	const prefix = "/dev/vd"
	if len(path) != len(prefix)+1 || path[:len(prefix)] != prefix {
		return -1
	}
	u := int(path[len(prefix)] - 'a')
	if u < 0 || u >= nblks {
		return -1
	}
	return u
}

// blkOpen opens unit u with flags.
func blkOpen(u int, flags uint32) int64 {
	if flags&oAccMode != oRdonly && blks[u].readOnly {
		return -EROFS
	}
	if flags&oDirectory != 0 {
		return -ENOTDIR
	}
	fd, f := newFD(fkBlock, flags)
	if f != nil {
		f.node = u
	}
	return fd
}

// blockFile is an open block device: f.node is the unit.
type blockFile struct{ fileBase }

func (*blockFile) flags() kindFlags { return kindSeekable }

func (*blockFile) read(f *file, b []byte, off int64) int64  { return blkReadWrite(f, b, off, false) }
func (*blockFile) write(f *file, b []byte, off int64) int64 { return blkReadWrite(f, b, off, true) }
func (*blockFile) stat(f *file, st *statBuf) int64          { return fillBlkStat(st, f.node) }
func (*blockFile) lockKey(f *file, fi int32) uint64         { return lockKeyBlock | uint64(f.node) }
func (*blockFile) fsync(f *file) int64                      { return blkFlush(&blks[f.node]) }

func (*blockFile) seek(f *file, off int64, whence int) int64 {
	return seekIn(f, off, whence, blks[f.node].size())
}

// blkReadWrite is read/pread (write false) and write/pwrite on a block
// device file: at off, or at the file offset if off is negative.
func blkReadWrite(f *file, p []byte, off int64, write bool) int64 {
	acc := f.flags & oAccMode
	if write && acc == oRdonly || !write && acc == oWronly {
		return -EBADF
	}
	pos := off
	if off < 0 {
		pos = f.off
	}
	n := blkIO(&blks[f.node], p, pos, write)
	if off < 0 && n > 0 {
		f.off += n
	}
	return n
}

// ioctl implements the block-device ioctls Go programs use.
func (*blockFile) ioctl(f *file, req, arg uintptr) int64 {
	if req != blkGetSize64 {
		return -ENOTTY
	}
	b, ok := userBytes(arg, 8, true)
	if !ok {
		return -EFAULT
	}
	*(*int64)(ptrTo(&b[0])) = blks[f.node].size()
	return 0
}

// fillBlkStat describes unit u.
func fillBlkStat(st *statBuf, u int) int64 {
	*st = statBuf{nlink: 1, blksize: 4096, dev: 5, ino: 0x1000 + uint64(u),
		mode: 0o060660, rdev: blkMajor<<8 | uint64(u)<<4}
	return 0
}
