package kernel

import "sync/atomic"

// Inode numbers of pipes and sockets: st_ino, and the N of "pipe:[N]"
// and "socket:[N]" in /proc/self/fd. Linux's pipefs and sockfs give each
// pipe and socket its own inode, numbered by get_next_ino, which counts
// up and does not hand a number out again: a new pipe or socket never
// takes the number of one closed before, even in a reused table slot, so
// (st_dev, st_ino) kept from a closed one does not name a new one. A
// pipe's two ends share the pipe's.

// devPipe is the st_dev of pipes (Linux's pipefs: a device of its own).
const devPipe = 6

// anonInoLast is the last inode number given to a pipe or socket.
var anonInoLast uint64

// newAnonIno is the next inode number for a new pipe or socket.
func newAnonIno() uint64 { return atomic.AddUint64(&anonInoLast, 1) }

// pipeIno is pipe idx's inode number.
func pipeIno(idx int) uint64 { return pipes[idx].ino }

// sockIno is the inode number of the socket of kind k (fkUnix, fkSocket,
// fkVsock) at index node of its table.
func sockIno(k fileKind, node int) uint64 {
	switch k {
	case fkSocket:
		return sockets[node].ino
	case fkVsock:
		return vsocks[node].ino
	}
	return unixSocks[node].ino
}

// pipeStat describes pipe idx (either end) as Linux does: a FIFO of
// mode 0600 on pipefs.
func pipeStat(st *statBuf, idx int) int64 {
	*st = statBuf{nlink: 1, blksize: 4096, dev: devPipe, ino: pipeIno(idx), mode: 0o010600}
	return 0
}
