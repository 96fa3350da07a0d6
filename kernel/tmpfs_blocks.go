package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/kernel/mm"
)

// st_blocks of a /tmp file or memfd: the pages it holds, as tmpfs counts
// them (a sparse file or a punched hole holds none; pages allocated past
// the end with FALLOC_FL_KEEP_SIZE count until a truncation frees them).
// The node counts the pages of its window as they are backed
// (tmpMapPage: a write, fallocate, a shared mapping's fault) and freed
// (tmpUnmapRange: truncation, a punched hole), so stat reads a number:
// counting by walking the window's page tables at each stat made fstat
// of a 1 MiB file 11-17 times as slow as of a directory under TCG
// (examples/syscallbench; docs/kernel.md). Backers race only for a page no
// one has backed yet and the compare-and-swap's winner counts it;
// freeing holds the big lock and the node lock, which keep every backer
// out of the range.

// tmpBlocks is st_blocks of tmpfs node i, in 512-byte units. Nodes other
// than files keep their size's count.
func tmpBlocks(i int) int64 {
	n := &tmp.nodes[i]
	if n.mode&tmpModeMask != tmpModeFile {
		return (n.size + 511) / 512
	}
	return atomic.LoadInt64(&n.pages) * (pageSize / 512)
}

// tmpMapPage backs page va of node i's window with a zeroed page unless
// one is there, and counts the page if this call backed it. It reports
// false when memory ran out.
func tmpMapPage(i int, va uintptr) bool {
	e := mm.PTE(va, true)
	if e == nil {
		return false
	}
	for {
		old := atomic.LoadUint64(e)
		if old&mm.PTEPresent != 0 {
			if z := mm.ZeroPage(); z == 0 || uintptr(old&mm.PTEAddr) != z {
				return true
			}
			// Never the case for a window today; the shared zero page
			// is not the file's own, so its replacement counts.
			if !unshareZero(va, protRead|protWrite, vmaFind(va)) {
				return false
			}
			atomic.AddInt64(&tmp.nodes[i].pages, 1)
			return true
		}
		p := mm.Alloc()
		if p == 0 {
			return false
		}
		if mm.SetLeaf(e, old, uint64(p)|mm.PTEPresent|ptePerm(protRead|protWrite)) {
			atomic.AddInt64(&tmp.nodes[i].pages, 1)
			return true
		}
		mm.Free(p) // another core backed it first: look again
	}
}

// tmpUnmapRange frees the pages of node i's window in [from, to) (file
// offsets), taking them off its count first. The caller holds the big
// lock and the node lock.
func tmpUnmapRange(i int, from, to uintptr) {
	start, end := tmpData(i)+from, tmpData(i)+to
	atomic.AddInt64(&tmp.nodes[i].pages, -int64(mm.Present(start, end)))
	mm.WalkRange(start, end, mm.Unmap, 0)
}
