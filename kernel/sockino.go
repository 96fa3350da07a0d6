package kernel

// Inode numbers of pipes and sockets: st_ino, and the N of "pipe:[N]"
// and "socket:[N]" in /proc/self/fd (Linux's pipefs and sockfs give
// each pipe and socket its own inode, and name it by that number). A
// pipe's two ends share the pipe's.

// devPipe is the st_dev of pipes (Linux's pipefs: a device of its own).
const devPipe = 6

// pipeIno is pipe idx's inode number.
func pipeIno(idx int) uint64 { return uint64(idx) + 1 }

// Sockets' inode numbers: AF_UNIX, AF_INET(6) and AF_VSOCK sockets index
// tables of their own, so each kind has a range.
const (
	sockInoInet  = 1 << 20
	sockInoVsock = 2 << 20
)

// sockIno is the inode number of the socket of kind k (fkUnix, fkSocket,
// fkVsock) at index node of its table.
func sockIno(k fileKind, node int) uint64 {
	switch k {
	case fkSocket:
		return sockInoInet + uint64(node) + 1
	case fkVsock:
		return sockInoVsock + uint64(node) + 1
	}
	return uint64(node) + 1
}

// pipeStat describes pipe idx (either end) as Linux does: a FIFO of
// mode 0600 on pipefs.
func pipeStat(st *statBuf, idx int) int64 {
	*st = statBuf{nlink: 1, blksize: 4096, dev: devPipe, ino: pipeIno(idx), mode: 0o010600}
	return 0
}
