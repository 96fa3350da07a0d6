package kernel

// DMA to and from the Go program's memory. User pages are not physically
// contiguous: a buffer becomes one virtio segment per page (merged when
// neighbours happen to be contiguous), so a device reads or writes the
// caller's buffer directly, without a bounce copy.

// dmaSink keeps the compiler from dropping the reads that fault pages in.
var dmaSink byte

// physOf returns the physical address behind kernel or user address va,
// backing a not yet touched user page first. It returns 0 if va is not
// mapped.
func physOf(va uintptr) uintptr {
	if va < directTop {
		return va // the identity ("direct") map
	}
	e := pteFor(va, false)
	if e == nil || *e&pteP == 0 {
		dmaSink += *(*byte)(ptr(va)) // the page-fault handler backs it
		e = pteFor(va, false)
		if e == nil || *e&pteP == 0 {
			return 0
		}
	}
	return uintptr(*e&pteAddr) | va&(pageSize-1)
}

// dmaSegs appends the segments covering [va, va+n) to segs, whose length
// bounds their number, and returns how many it added, or -1 if the buffer
// needs more or is not mapped. The caller checks access with userRange.
func dmaSegs(segs []vseg, va, n uintptr, devWrites bool) int {
	k := 0
	for n > 0 {
		chunk := pageSize - va&(pageSize-1)
		if chunk > n {
			chunk = n
		}
		pa := physOf(va)
		if pa == 0 {
			return -1
		}
		if k > 0 && segs[k-1].addr+uintptr(segs[k-1].len) == pa {
			segs[k-1].len += uint32(chunk)
		} else {
			if k == len(segs) {
				return -1
			}
			segs[k] = vseg{addr: pa, len: uint32(chunk), devWrites: devWrites}
			k++
		}
		va += chunk
		n -= chunk
	}
	return k
}
