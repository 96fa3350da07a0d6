package kernel

import "github.com/gotoro/gotoro/kernel/mm"

// madvise(MADV_REMOVE), as Linux's madvise_remove: a hole punched in the
// file under a shared mapping that may be written (fallocate's
// PUNCH_HOLE|KEEP_SIZE at the mapping's offsets), so read and every
// other mapping of the file see zeros there and its pages are freed.
// Each VMA in the range answers for itself, in order, and the first
// refusal ends the call with the VMAs before it already done (Linux's
// madvise_walk_vmas): anonymous private memory is EINVAL; a private
// mapping of a file, or a shared one that can never be written (a
// read-only descriptor, or a memfd write-sealed when it was mapped:
// vmNoMayWrite) EACCES; the file's own answer after that (a memfd's
// write seals EPERM). Shared anonymous memory has no other user here:
// its pages are freed, as MADV_DONTNEED does. A part of the range that
// nothing maps is ENOMEM, after the rest was done (Linux's
// unmapped_error). The caller holds the big lock and checked the range.
func madviseRemove(start, end uintptr) int64 {
	gap := false
	at := start
	for j := vmaFirstFrom(start); j < vm.n && vm.v[j].start < end; j++ {
		v := &vm.v[j]
		f := vmaFile(v)
		switch {
		case f == nil && v.flags&vmShared == 0:
			return -EINVAL
		case f == nil:
		case v.flags&vmShared == 0 || f.flags&oAccMode != oRdwr || v.flags&vmNoMayWrite != 0:
			return -EACCES
		}
		s, e := max(v.start, start), min(v.end, end)
		if s > at {
			gap = true
		}
		at = e
		if f == nil {
			vmLock.lock(thisCPU())
			mm.WalkRange(s, e, mm.Unmap, 0)
			vmLock.unlock()
			continue
		}
		if r := f.ops().fallocate(f, fallocPunchHole|fallocKeepSize, vmaOffset(v, s), int64(e-s)); r != 0 {
			return r
		}
	}
	if gap || at < end {
		return -ENOMEM
	}
	return 0
}

// vmaFirstFrom returns the index of the first VMA that ends after va
// (vm.n if none).
func vmaFirstFrom(va uintptr) int {
	lo, hi := 0, vm.n
	for lo < hi {
		m := (lo + hi) / 2
		if vm.v[m].end <= va {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}
