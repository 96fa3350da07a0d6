package kernel

import (
	"github.com/gotoro/gotoro/kernel/arch"
	"github.com/gotoro/gotoro/kernel/mm"
)

// The pages of shared mappings of virtio-fs files. Every shared mapping of
// one file page uses one physical page, found here by (share, node, file
// offset) and counted by the page table entries that map it; the last
// unmapping frees it (after writing it back if dirty).

const fusePagesMax = 1 << 15 // 128 MiB of mapped share data

type fusePage struct {
	used   bool
	m      int32
	nodeid uint64
	off    int64
	phys   uintptr
	refs   int32
}

var fusePages struct {
	n int
	p [fusePagesMax]fusePage
}

func fusePageHash(m int32, nodeid uint64, off int64) int {
	h := uint64(m)*0x9E3779B97F4A7C15 ^ nodeid*0xC2B2AE3D27D4EB4F ^ uint64(off>>pageShift)*0x165667B19E3779F9
	return int(h>>17) & (fusePagesMax - 1)
}

// fusePageFind returns the cache slot of the page, or -1.
func fusePageFind(m int32, nodeid uint64, off int64) int {
	for i, k := fusePageHash(m, nodeid, off), 0; k < fusePagesMax; i, k = (i+1)&(fusePagesMax-1), k+1 {
		p := &fusePages.p[i]
		if !p.used && p.phys == 0 {
			return -1 // never used: the probe sequence ends here
		}
		if p.used && p.m == m && p.nodeid == nodeid && p.off == off {
			return i
		}
	}
	return -1
}

// fusePageInsert adds a page with one reference; false if the table is
// full.
func fusePageInsert(m int32, nodeid uint64, off int64, phys uintptr) bool {
	if fusePages.n >= fusePagesMax*3/4 {
		return false
	}
	for i, k := fusePageHash(m, nodeid, off), 0; k < fusePagesMax; i, k = (i+1)&(fusePagesMax-1), k+1 {
		p := &fusePages.p[i]
		if !p.used {
			*p = fusePage{used: true, m: m, nodeid: nodeid, off: off, phys: phys, refs: 1}
			fusePages.n++
			return true
		}
	}
	return false
}

// fusePageUnref drops a mapping's reference to slot i, freeing the page
// with the last one. A freed slot keeps phys set as a tombstone, so that
// probes for other pages continue past it.
func fusePageUnref(i int) {
	p := &fusePages.p[i]
	p.refs--
	if p.refs > 0 {
		return
	}
	mm.Changed(p.phys) // freed after the TLB shootdown
	p.used = false
	p.phys = 1
	fusePages.n--
}

// fuseUnmapShared takes the pages of shared virtio-fs VMA v in [s, e) out
// of its page table entries (written back beforehand by the caller),
// dropping their references.
func fuseUnmapShared(v *vma, s, e uintptr) {
	ff := &fuseFiles[vmaFile(v).node]
	for p := s; p < e; p += pageSize {
		pte := mm.PTE(p, false)
		if pte == nil || *pte&mm.PTEPresent == 0 {
			continue
		}
		*pte = 0
		arch.Invlpg(p)
		mm.Changed(0)
		if i := fusePageFind(ff.m, ff.nodeid, vmaOffset(v, p)); i >= 0 {
			fusePageUnref(i)
		}
	}
}

// fuseFileTruncated drops what shared mappings of f's file hold past its
// new size: pages wholly past it are unmapped (a touch then raises
// SIGBUS) and the tail of the last page is zeroed.
func fuseFileTruncated(f *file, size int64) {
	ff := &fuseFiles[f.node]
	from := (size + pageSize - 1) &^ (pageSize - 1)
	for j := 0; j < vm.n; j++ {
		v := &vm.v[j]
		if !fuseShared(v) || !sameFuseNode(vmaFile(v), f) {
			continue
		}
		end := v.off + int64(v.end-v.start)
		if end <= from {
			continue
		}
		s := v.start
		if from > v.off {
			s += uintptr(from - v.off)
		}
		fuseUnmapShared(v, s, v.end)
	}
	mm.Flush()
	if size&(pageSize-1) != 0 {
		if i := fusePageFind(ff.m, ff.nodeid, size&^(pageSize-1)); i >= 0 {
			clear(unsafeSlice(fusePages.p[i].phys+uintptr(size&(pageSize-1)), uintptr(from-size)))
		}
	}
}
