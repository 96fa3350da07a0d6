package mm

import "github.com/gotoro/gotoro/kernel/arch"

// The pin map: a device request sleeps while the device works, and the big
// kernel lock is dropped meanwhile, so another thread may munmap its
// buffer. The kernel's DMA code pins every user page it hands to a device
// (Pin: a count per page frame) and unpins them when the request is done;
// a pinned page that WalkRange unmaps stays out of the pools until its
// last pin goes (the device may still write it), then it is freed. All of
// it runs under the big kernel lock.

// pinDeferred marks a pinned page that was freed meanwhile; the low bits
// count the pins.
const (
	pinDeferred = 0x80
	pinMax      = 0x7f
)

func pinByte(pa uintptr) *uint8 {
	i := pa >> PageShift
	if phys.pinBase == 0 || i >= phys.ownerLen {
		return nil
	}
	return (*uint8)(ptr(phys.pinBase + i))
}

// Pin takes one pin on the page frame holding pa. It fails only when the
// page has the most pins a page can have already.
func Pin(pa uintptr) bool {
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

// Unpin drops one pin of the page frame holding pa, freeing the page if
// it was unmapped meanwhile and this was the last pin.
func Unpin(pa uintptr) { unpinOn(pa, -1) }

// unpinOn is Unpin; a page it frees goes to core's pool (-1: the running
// core's).
func unpinOn(pa uintptr, core int) {
	b := pinByte(pa)
	if b == nil || *b&pinMax == 0 {
		return
	}
	*b--
	if *b == pinDeferred {
		*b = 0
		if core < 0 {
			core = int(arch.CoreID())
		}
		freeOn(pa&^(PageSize-1), core)
	}
}

// deferFree is asked before an unmapped page p is freed: if a device
// request still uses it, it is marked to be freed by the last Unpin and
// true is returned.
func deferFree(p uintptr) bool {
	b := pinByte(p)
	if b == nil || *b&pinMax == 0 {
		return false
	}
	*b |= pinDeferred
	return true
}
