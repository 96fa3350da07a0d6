package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/internal/bootabi"
)

// User memory without the big kernel lock. System calls that run without
// it (futex, reads and writes of files with their own locks) cannot take a
// page fault: resolving one needs the VMA table, which the big lock
// guards. They reach user memory through the page tables instead: a page
// that is present is used through the direct map of physical memory; if
// one is not, the call gives up before it has changed anything and runs
// again under the big lock (the "slow path"), where touching the page
// faults it in as for any system call.
//
// Why the frame stays valid: munmap, madvise and truncation clear entries,
// shoot down every core's TLB and free the frames only when every core has
// acknowledged. A core acknowledges in its interrupt handler (not taken in
// kernel code) or while it spins for a lock. So a translation is good
// until the translating core next spins: translate after taking the locks
// a call needs, not before.

// userPhys returns the kernel address of user address va, or 0 if va is
// not program memory or its page is not present (or, for write, not
// writable).
func userPhys(va uintptr, write bool) uintptr {
	if va < userMinAddr() {
		// Go globals in the image, identity-mapped.
		if va >= bootabi.ImageBase && va < imageEnd {
			return va
		}
		return 0
	}
	page := va &^ (pageSize - 1)
	if !userSpan(page, page+pageSize) {
		return 0
	}
	e := pteFor(va, false)
	if e == nil {
		return 0
	}
	v := atomic.LoadUint64(e)
	if v&pteP == 0 || write && v&pteW == 0 {
		return 0
	}
	return uintptr(v&pteAddr) | va&(pageSize-1)
}

// userPresent reports whether every page of [addr, addr+n) is present
// (and writable, for write).
func userPresent(addr, n uintptr, write bool) bool {
	if addr+n < addr {
		return false
	}
	for p := addr &^ (pageSize - 1); p < addr+n; p += pageSize {
		if userPhys(p, write) == 0 {
			return false
		}
	}
	return true
}

// userChunk returns the part of [addr, addr+n) that lies in addr's page
// as kernel memory, or nil if the page is not present.
func userChunk(addr, n uintptr, write bool) []byte {
	p := userPhys(addr, write)
	if p == 0 {
		return nil
	}
	return unsafeSlice(p, min(n, pageSize-addr&(pageSize-1)))
}
