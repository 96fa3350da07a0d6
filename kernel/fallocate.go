package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/kernel/mm"
)

// fallocate: the generic checks of Linux's vfs_fallocate (the range, the
// mode bits, a writable description), then the kind's answer
// (fileOps.fallocate): /tmp files and memfds allocate and punch holes as
// tmpfs does; pipes say ESPIPE, other kinds ENODEV (fileBase).

// The FALLOC_FL_* mode bits.
const (
	fallocKeepSize    = 0x01
	fallocPunchHole   = 0x02
	fallocCollapse    = 0x08
	fallocZeroRange   = 0x10
	fallocInsertRange = 0x20
	fallocUnshare     = 0x40
	fallocWriteZeroes = 0x80
	fallocSupported   = fallocKeepSize | fallocPunchHole | fallocCollapse | fallocZeroRange | fallocInsertRange | fallocUnshare | fallocWriteZeroes
)

func sysFallocate(fd, mode, off, n, _, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	o, l, m := int64(off), int64(n), uint32(mode)
	if o < 0 || l <= 0 {
		return -EINVAL
	}
	if uintptr(m) != mode || m&^fallocSupported != 0 {
		return -EOPNOTSUPP
	}
	switch m &^ fallocKeepSize {
	case 0, fallocUnshare, fallocZeroRange:
	case fallocPunchHole:
		if m&fallocKeepSize == 0 {
			return -EOPNOTSUPP
		}
	case fallocCollapse, fallocInsertRange, fallocWriteZeroes:
	default:
		return -EOPNOTSUPP // two modes at once
	}
	if f.flags&oAccMode == oRdonly {
		return -EBADF
	}
	if o+l < 0 {
		return -EFBIG
	}
	return f.ops().fallocate(f, m, o, l)
}

// fallocate on a /tmp file: mode 0 backs the range with zeroed pages and
// grows the size to its end, FALLOC_FL_KEEP_SIZE backs it without
// growing, FALLOC_FL_PUNCH_HOLE|KEEP_SIZE zeroes it and frees its whole
// pages (shared mappings of them fault them in again, zero); the other
// modes are EOPNOTSUPP, as on tmpfs. A range past the file's span, or
// more pages than leave the memfd reserve free, is ENOSPC.
func (*tmpFile) fallocate(f *file, mode uint32, off, n int64) int64 {
	if mode&^(fallocKeepSize|fallocPunchHole) != 0 {
		return -EOPNOTSUPP
	}
	if mode&fallocPunchHole != 0 {
		tmpPunch(f.node, off, off+n)
		inotifyNotify(f.node, inModify)
		return 0
	}
	// A file's span is its storage: past it there is no space. The pages
	// missing must leave the memfd reserve free (memfdRoom), so that a
	// failed allocation takes no memory.
	if off > tmpFileSpan || n > tmpFileSpan-off || memfdRoom(f.node, off, n) < n {
		return -ENOSPC
	}
	l := &tmpNodeLocks[f.node]
	l.lock()
	if tmpBack(f.node, off, uintptr(n)) < uintptr(n) {
		l.unlock()
		return -ENOSPC
	}
	if mode&fallocKeepSize == 0 {
		tmpGrow(f.node, off+n)
	}
	l.unlock()
	return 0
}

// tmpPunch zeroes node i's bytes in [from, to) and frees the pages wholly
// inside it.
func tmpPunch(i int, from, to int64) {
	n := &tmp.nodes[i]
	l := &tmpNodeLocks[i]
	l.lock()
	to = min(to, atomic.LoadInt64(&n.size))
	if from < to {
		first := (uintptr(from) + pageSize - 1) &^ (pageSize - 1)
		last := uintptr(to) &^ (pageSize - 1)
		tmpZero(i, uintptr(from), min(first, uintptr(to)))
		if first < last {
			tmpForgetShared(i, int64(first), int64(last))
			tmpUnmapRange(i, first, last)
		}
		tmpZero(i, max(last, first), uintptr(to))
		tmpTouch(n)
	}
	l.unlock()
}

// tmpZero zeroes node i's bytes in [from, to), which lie in one page, if
// that page is backed.
func tmpZero(i int, from, to uintptr) {
	if from >= to {
		return
	}
	p := tmpData(i) + from
	if e := mm.PTE(p, false); e != nil && *e&mm.PTEPresent != 0 {
		clear(unsafeSlice(p, to-from))
	}
}

// tmpForgetShared drops the entries of shared mappings of node i for the
// file's pages in [from, to) (tmpTruncated's loop, bounded).
func tmpForgetShared(node int, from, to int64) {
	for j := 0; j < vm.n; j++ {
		v := &vm.v[j]
		if !tmpShared(v) || vmaFile(v).node != node {
			continue
		}
		s := max(from, v.off)
		e := min(to, v.off+int64(v.end-v.start))
		if s < e {
			mm.WalkRange(v.start+uintptr(s-v.off), v.start+uintptr(e-v.off), mm.Forget, 0)
		}
	}
}

// fallocate on a memfd answers to the seals first: F_SEAL_WRITE (and
// FUTURE_WRITE) refuse a hole, F_SEAL_GROW an allocation past the end
// (EPERM).
func (m *memFile) fallocate(f *file, mode uint32, off, n int64) int64 {
	seals := memfdSeals[f.node]
	if mode&fallocPunchHole != 0 && seals&sealWrites != 0 {
		return -EPERM
	}
	if mode&fallocPunchHole == 0 && mode&^fallocKeepSize == 0 {
		if seals&sealGrow != 0 && off+n > tmp.nodes[f.node].size {
			return -EPERM
		}
	}
	return m.tmpFile.fallocate(f, mode, off, n)
}
