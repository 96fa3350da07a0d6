package kernel

// truncate(2) by a /proc/self/fd/N name: Linux follows the link to the
// open file whatever it is, so a memfd or an unlinked /tmp file, which
// no path in a directory names, is truncated too; a memfd's seals
// answer (EPERM) as for ftruncate. The access mode of the descriptor
// does not matter (truncate asks the file's permission bits, not the
// descriptor's), so a memfd open read-only is truncated as well.

// truncateByFD is truncate of the file behind descriptor fd; done is
// false for kinds whose /proc link the path lookup serves (the image
// tree, virtio-fs: truncatePath goes on with the path).
func truncateByFD(fd uintptr, size int64) (r int64, done bool) {
	_, f := fdGet(fd)
	if f == nil {
		return -ENOENT, true // closed since the lookup
	}
	switch f.kind {
	case fkMemfd:
		return truncateNode(f.node, size, memfdSeals[f.node]), true
	case fkTmpFile:
		return truncateNode(f.node, size, 0), true
	case fkTmpDir, fkDir:
		return -EISDIR, true
	case fkFile, fkFuseFile:
		return 0, false
	}
	return -EINVAL, true // no regular file: a pipe, socket, device, ...
}

// truncateNode sets the size of tmpfs file i (a /tmp file or a memfd),
// answering to seals (a memfd's) first.
func truncateNode(i int, size int64, seals uint8) int64 {
	if size < 0 {
		return -EINVAL
	}
	cur := tmp.nodes[i].size
	if size < cur && seals&sealShrink != 0 || size > cur && seals&sealGrow != 0 {
		return -EPERM
	}
	if size > tmpFileSpan {
		return -EFBIG
	}
	tmpTruncate(i, size)
	inotifyNotify(i, inModify)
	return 0
}
