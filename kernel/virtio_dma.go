package kernel

import (
	"github.com/gotoro/gotoro/kernel/mm"
	"github.com/gotoro/gotoro/kernel/vio"
)

// DMA to and from the Go program's memory. User pages are not physically
// contiguous: a buffer becomes one virtio segment per page (merged when
// neighbours happen to be contiguous), so a device reads or writes the
// caller's buffer directly, without a bounce copy.
//
// A request sleeps while the device works, and the big kernel lock is
// dropped meanwhile: another thread may munmap the buffer. So dmaSegs
// pins every user page it hands out (mm.Pin: a count per page frame) and
// dmaUnpin releases them when the request is done; a pinned page that
// munmap frees stays out of the pools until its last pin goes (the device
// may still write it), then it is freed (mm's pin map). All of it runs
// under the big kernel lock.

// dmaUnpin releases the pins dmaSegs took for segs.
func dmaUnpin(segs []vio.Seg) {
	for _, s := range segs {
		if !s.Pinned {
			continue
		}
		for pa := s.Addr &^ (pageSize - 1); pa < s.Addr+uintptr(s.Len); pa += pageSize {
			mm.Unpin(pa)
		}
	}
}

// physOf returns the physical address behind kernel or user address va,
// backing a not yet touched user page first (for writing if write). It
// returns 0 if va is not mapped, or not with the access asked for: the
// buffer may have been unmapped by another thread since the system call
// checked it, and touching it would fault in the kernel.
func physOf(va uintptr, write bool) uintptr {
	if va < mm.DirectTop() {
		// The identity ("direct") map; a device writes past the page
		// tables, so the image's read-only memory is refused here.
		if write && !mm.DirectAccess(va, true) {
			return 0
		}
		return va
	}
	e := mm.PTE(va, false)
	// A device that writes needs the page writable: not absent, and not
	// the shared zero page (vm.go), which a write fault replaces.
	if e == nil || *e&mm.PTEPresent == 0 || write && *e&mm.PTEWrite == 0 {
		err := uint64(0)
		if write {
			err |= 2
		}
		if e != nil && *e&mm.PTEPresent != 0 {
			err |= 1
		}
		ok, oom := demandFault(va, err)
		if oom {
			outOfMemory(va)
		}
		if !ok {
			return 0
		}
		e = mm.PTE(va, false)
		if e == nil || *e&mm.PTEPresent == 0 || write && *e&mm.PTEWrite == 0 {
			return 0
		}
	}
	return uintptr(*e&mm.PTEAddr) | va&(pageSize-1)
}

// dmaSegs appends the segments covering [va, va+n) to segs, whose length
// bounds their number, and returns how many it added, or -1 if the buffer
// needs more or is not mapped. User pages are pinned: the caller releases
// them with dmaUnpin(segs[:k]) once the device is done (on -1 nothing
// stays pinned). The caller checks access with userRange.
func dmaSegs(segs []vio.Seg, va, n uintptr, devWrites bool) int {
	k := 0
	for n > 0 {
		chunk := pageSize - va&(pageSize-1)
		if chunk > n {
			chunk = n
		}
		pa := physOf(va, devWrites)
		user := va >= mm.DirectTop()
		if pa == 0 || user && !mm.Pin(pa) {
			dmaUnpin(segs[:k])
			return -1
		}
		if k > 0 && segs[k-1].Pinned == user && segs[k-1].Addr+uintptr(segs[k-1].Len) == pa {
			segs[k-1].Len += uint32(chunk)
		} else {
			if k == len(segs) {
				if user {
					mm.Unpin(pa)
				}
				dmaUnpin(segs[:k])
				return -1
			}
			segs[k] = vio.Seg{Addr: pa, Len: uint32(chunk), DevWrites: devWrites, Pinned: user}
			k++
		}
		va += chunk
		n -= chunk
	}
	return k
}
