package kernel

import "github.com/gotoro/gotoro/kernel/vio"

// DMA to and from the Go program's memory. User pages are not physically
// contiguous: a buffer becomes one virtio segment per page (merged when
// neighbours happen to be contiguous), so a device reads or writes the
// caller's buffer directly, without a bounce copy.
//
// A request sleeps while the device works, and the big kernel lock is
// dropped meanwhile: another thread may munmap the buffer. So dmaSegs
// pins every user page it hands out (a count per page frame, phys.pinBase)
// and dmaUnpin releases them when the request is done; a pinned page that
// munmap frees stays out of the pools until its last pin goes (the device
// may still write it), then it is freed. All of it runs under the big
// kernel lock.

// pinDeferred marks a pinned page that was freed meanwhile; the low bits
// count the pins.
const (
	pinDeferred = 0x80
	pinMax      = 0x7f
)

func pinByte(pa uintptr) *uint8 {
	i := pa >> pageShift
	if phys.pinBase == 0 || i >= phys.ownerLen {
		return nil
	}
	return (*uint8)(ptr(phys.pinBase + i))
}

// dmaPin takes one pin on the page frame holding pa. It fails only when
// the page has pinMax pins already.
func dmaPin(pa uintptr) bool {
	b := pinByte(pa)
	if b == nil {
		return true // not RAM the pools manage
	}
	if *b&pinMax == pinMax {
		return false
	}
	*b++
	return true
}

// dmaUnpinPage drops one pin of the page frame holding pa, freeing the
// page if munmap freed it meanwhile and this was the last pin.
func dmaUnpinPage(pa uintptr) {
	b := pinByte(pa)
	if b == nil || *b&pinMax == 0 {
		return
	}
	*b--
	if *b == pinDeferred {
		*b = 0
		physFree(pa &^ (pageSize - 1))
	}
}

// dmaDeferFree is asked by the page tables before freeing user page p:
// if a device request still uses it, it is marked to be freed by the
// last dmaUnpin and true is returned.
func dmaDeferFree(p uintptr) bool {
	b := pinByte(p)
	if b == nil || *b&pinMax == 0 {
		return false
	}
	*b |= pinDeferred
	return true
}

// dmaUnpin releases the pins dmaSegs took for segs.
func dmaUnpin(segs []vio.Seg) {
	for _, s := range segs {
		if !s.Pinned {
			continue
		}
		for pa := s.Addr &^ (pageSize - 1); pa < s.Addr+uintptr(s.Len); pa += pageSize {
			dmaUnpinPage(pa)
		}
	}
}

// physOf returns the physical address behind kernel or user address va,
// backing a not yet touched user page first (for writing if write). It
// returns 0 if va is not mapped, or not with the access asked for: the
// buffer may have been unmapped by another thread since the system call
// checked it, and touching it would fault in the kernel.
func physOf(va uintptr, write bool) uintptr {
	if va < directTop {
		return va // the identity ("direct") map
	}
	e := pteFor(va, false)
	// A device that writes needs the page writable: not absent, and not
	// the shared zero page (vm.go), which a write fault replaces.
	if e == nil || *e&pteP == 0 || write && *e&pteW == 0 {
		err := uint64(0)
		if write {
			err |= 2
		}
		if e != nil && *e&pteP != 0 {
			err |= 1
		}
		ok, oom := demandFault(va, err)
		if oom {
			outOfMemory(va)
		}
		if !ok {
			return 0
		}
		e = pteFor(va, false)
		if e == nil || *e&pteP == 0 || write && *e&pteW == 0 {
			return 0
		}
	}
	return uintptr(*e&pteAddr) | va&(pageSize-1)
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
		user := va >= directTop
		if pa == 0 || user && !dmaPin(pa) {
			dmaUnpin(segs[:k])
			return -1
		}
		if k > 0 && segs[k-1].Pinned == user && segs[k-1].Addr+uintptr(segs[k-1].Len) == pa {
			segs[k-1].Len += uint32(chunk)
		} else {
			if k == len(segs) {
				if user {
					dmaUnpinPage(pa)
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
