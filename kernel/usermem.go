package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/internal/bootabi"
	"github.com/gotoro/gotoro/kernel/mm"
)

// User memory without the big kernel lock. System calls that run without
// it (futex, reads and writes of files with their own locks) cannot take a
// page fault: resolving one needs the VMA table, which the big lock
// guards. They reach user memory through the page tables instead: a page
// that is present is used through the direct map of physical memory; a
// page of anonymous memory not yet backed is backed as a fault would,
// under the VMA lock for reading (userFaultIn); if some page is still not
// present (a file mapping, unmapped memory), the call gives up before it
// has changed anything and runs again under the big lock (the "slow
// path"), where touching the page faults it in as for any system call.
//
// Why the frame stays valid: munmap, madvise and truncation clear entries,
// shoot down every core's TLB and free the frames only when every core has
// acknowledged. A core acknowledges in its interrupt handler (not taken in
// kernel code) or while it spins for a lock. So a translation is good
// until the translating core next spins: translate after taking the locks
// a call needs, not before.

// userPhys returns the kernel address of user address va, or 0 if va is
// not program memory or its page is not present (or, for write, not
// writable: the image's text and read-only data are not).
//
//go:nosplit
func userPhys(va uintptr, write bool) uintptr {
	if va < userMinAddr() {
		// Go globals in the image, identity-mapped; its text and
		// read-only data are not writable (imagero.go).
		if va >= bootabi.ImageBase && va < imageEnd && mm.DirectAccess(va, write) {
			return va
		}
		return 0
	}
	page := va &^ (pageSize - 1)
	if !userSpan(page, page+pageSize) {
		return 0
	}
	e := mm.PTE(va, false)
	if e == nil {
		return 0
	}
	v := atomic.LoadUint64(e)
	if v&(mm.PTEPresent|mm.PTEUser) != mm.PTEPresent|mm.PTEUser || write && v&mm.PTEWrite == 0 {
		return 0 // absent, PROT_NONE, or read-only for a write
	}
	return uintptr(v&mm.PTEAddr) | va&(pageSize-1)
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

// userPagesMax bounds the pages a userPages holds: a 64 KiB buffer, or
// a little less when it does not start on a page boundary.
const userPagesMax = 16

// userPages is a translated user buffer: the kernel address of each of
// its pages, found with one page-table walk per page table (the entries
// of consecutive pages in one table are read one after the other). A
// call translates once, under the locks it needs, and copies through
// chunk; the translation is good until the core next spins (above).
type userPages struct {
	base, n uintptr
	pa      [userPagesMax]uintptr // kernel address of each page's first byte
}

// userPagesFit reports whether [addr, addr+n) lies in at most
// userPagesMax pages.
func userPagesFit(addr, n uintptr) bool {
	return n <= userPagesMax*pageSize && addr&(pageSize-1)+n <= userPagesMax*pageSize
}

// translate fills u for [addr, addr+n), which must fit (userPagesFit).
// It reports false if some page is not program memory or not present
// (or, for write, not writable).
func (u *userPages) translate(addr, n uintptr, write bool) bool {
	u.base, u.n = addr, n
	end := addr + n
	if n == 0 {
		return true
	}
	if end < addr || !userPagesFit(addr, n) {
		return false
	}
	first := addr &^ (pageSize - 1)
	last := (end - 1) &^ (pageSize - 1)
	if addr < userMinAddr() {
		// Go globals in the image, identity-mapped; its text and
		// read-only data are not writable (imagero.go).
		if addr < bootabi.ImageBase || end > imageEnd {
			return false
		}
		for i, p := 0, first; p <= last; i, p = i+1, p+pageSize {
			if !mm.DirectAccess(p, write) {
				return false
			}
			u.pa[i] = p
		}
		return true
	}
	if !userSpan(first, last+pageSize) {
		return false
	}
	var e *uint64
	for i, p := 0, first; p <= last; i, p = i+1, p+pageSize {
		if e == nil || p&(1<<21-1) == 0 {
			// The first page, or the first of another page table.
			if e = mm.PTE(p, false); e == nil {
				return false
			}
		} else {
			e = (*uint64)(ptr(uintptr(ptrTo(e)) + 8))
		}
		v := atomic.LoadUint64(e)
		if v&(mm.PTEPresent|mm.PTEUser) != mm.PTEPresent|mm.PTEUser || write && v&mm.PTEWrite == 0 {
			return false // absent, PROT_NONE, or read-only for a write
		}
		u.pa[i] = uintptr(v & mm.PTEAddr)
	}
	return true
}

// chunk returns, as kernel memory, the translated buffer from offset
// done to the end of done's page (or of the buffer).
func (u *userPages) chunk(done uintptr) []byte {
	va := u.base + done
	i := va/pageSize - u.base/pageSize
	in := va & (pageSize - 1)
	return unsafeSlice(u.pa[i]+in, min(u.n-done, pageSize-in))
}

// userFaultIn backs the pages of [addr, addr+n) that are not present (or,
// for write, not writable) as page faults would, without the big lock:
// anonymous memory only, one page at a time under vmLock for reading
// (vm.go), so that a read into a buffer the program has not touched yet
// stays off the big lock. It reports false if some page is not in an
// anonymous VMA that allows the access (unmapped memory, a file mapping:
// the locked path decides, EFAULT or the file's fault) or no page was
// left. It may spin, answering shootdowns: translate after it, never
// before. The caller may hold a /tmp node lock or a pipe lock (lock order:
// those, then vmLock).
func userFaultIn(addr, n uintptr, write bool) bool {
	end := addr + n
	if n == 0 || end < addr || addr < userMinAddr() {
		return false // nothing to back; the image's memory is always present
	}
	err := uint64(0)
	if write {
		err = 2
	}
	c := thisCPU()
	for p := addr &^ (pageSize - 1); p < end; p += pageSize {
		if userPhys(p, write) != 0 {
			continue
		}
		vmLock.rlock(c)
		ok := false
		if i := vmaFind(p); i >= 0 && vm.v[i].file == 0 && vm.v[i].prot&protRead != 0 && faultAllowed(vm.v[i].prot, err) {
			perr := err
			if e := mm.PTE(p, false); e != nil && atomic.LoadUint64(e)&mm.PTEPresent != 0 {
				perr |= 1
			}
			ok, _ = anonFault(i, p, perr)
		}
		vmLock.runlock()
		if !ok {
			return false
		}
	}
	return true
}

// translateFault is translate that first backs the buffer's missing
// pages of anonymous memory (userFaultIn) if some are not present.
func (u *userPages) translateFault(addr, n uintptr, write bool) bool {
	return u.translate(addr, n, write) || userFaultIn(addr, n, write) && u.translate(addr, n, write)
}

// userPresentFault is userPresent that first backs missing pages of
// anonymous memory (userFaultIn).
func userPresentFault(addr, n uintptr, write bool) bool {
	return userPresent(addr, n, write) || userFaultIn(addr, n, write) && userPresent(addr, n, write)
}

// userBackLocked backs every page of the user memory [addr, addr+n) that
// is not present, as the faults of touching it would: for code under the
// big lock that is about to hold a spin lock while it reads the buffer
// (tmpFile.write), where a fault must not happen (it may sleep, for a
// virtio-fs page). It reports false if some page cannot be read (EFAULT).
// A fault that sleeps lets another core unmap a page backed before it:
// check the buffer again (userPresent) once the spin lock is taken.
func userBackLocked(addr, n uintptr) bool {
	if addr+n < addr {
		return false
	}
	for p := addr &^ (pageSize - 1); p < addr+n; p += pageSize {
		if userPhys(p, false) == 0 && !kernelPageFault(p, 0) {
			return false
		}
	}
	return true
}
