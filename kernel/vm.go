package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/internal/bootabi"
	"github.com/gotoro/gotoro/kernel/arch"
	"github.com/gotoro/gotoro/kernel/mm"
)

// Virtual memory of the Go program: a sorted table of mapped ranges (VMAs)
// above 4 GiB, backed on demand by the page-fault handler.

// userMinAddr returns where the Go program's address space starts: above the direct
// map of physical memory.
func userMinAddr() uintptr { return mm.DirectTop() }

const (
	userMax  = 0x7FFF_FFFF_F000
	mmapBase = tmpfsBase // mappings go below /tmp's data windows (tmpfs.go)
	maxVMAs  = 1024
)

// Protection and mapping flags (Linux).
const (
	protRead  = 1
	protWrite = 2
	protExec  = 4

	mapShared         = 0x01
	mapPrivate        = 0x02
	mapFixed          = 0x10
	mapAnonymous      = 0x20
	mapPopulate       = 0x8000
	mapFixedNoReplace = 0x100000
)

type vma struct {
	start, end uintptr
	prot       uint32
	flags      uint32 // vmShared, vmFresh
	file       int32  // mapped description + 1, 0 for anonymous memory (vm_file.go)
	off        int64  // file offset of start
}

var vm struct {
	n int
	v [maxVMAs]vma
}

// vmLock guards the VMA table against the page faults that run without
// the big kernel lock (faultUnlocked): they hold it for reading; mmap,
// munmap, mprotect and madvise, which also hold the big lock, take it for
// writing around their changes to the table and to the page tables of
// anonymous memory. Code under the big lock reads the table without it
// (the writers hold the big lock too). Never held across a sleep.
var vmLock rwSpin

// The shared zero page (mm.ZeroPage, 0 until the first read fault): a
// read of anonymous memory never written maps it read-only, and the
// first write replaces it with a page of its own, as Linux does. A
// program that reads memory it has not written (the runtime copying a
// fresh, never-touched allocation) then backs only what it writes.

// vmaFind returns the index of the VMA containing va, or -1. It is not
// inlined: its loop in each of its callers would be translated again
// under TCG, a call only once.
//
//go:noinline
func vmaFind(va uintptr) int {
	lo, hi := 0, vm.n
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case va < vm.v[m].start:
			hi = m
		case va >= vm.v[m].end:
			lo = m + 1
		default:
			return m
		}
	}
	return -1
}

// vmaInsertAt opens slot i.
func vmaInsertAt(i int, v vma) bool {
	if vm.n == maxVMAs {
		return false
	}
	copy(vm.v[i+1:vm.n+1], vm.v[i:vm.n])
	vm.v[i] = v
	vm.n++
	return true
}

func vmaDelete(i int) {
	copy(vm.v[i:vm.n-1], vm.v[i+1:vm.n])
	vm.n--
}

// vmaRemove removes [start, end) from the table, splitting VMAs that
// straddle it, and frees the pages mapped there. The caller holds the big
// lock; vmaRemove takes vmLock after the file pages' preparation, which
// may sleep.
//
//go:nosplit
func vmaRemove(start, end uintptr) bool {
	if i := vmaFind(start); i >= 0 && vm.v[i].file == 0 && vm.v[i].end >= end {
		// Inside one anonymous VMA (the runtime's MAP_FIXED over its
		// reservations, most munmaps): no file pages to write back or
		// keep, and no other VMA to look at; in one no page was ever
		// mapped in (vmFresh, read under vmLock: faults clear it under
		// vmLock for reading), no page to unmap either.
		vmLock.lock(thisCPU())
		fresh := vm.v[i].flags&vmFresh != 0
		_, ok := vmaCut(i, start, end)
		if ok && !fresh {
			mm.WalkRange(start, end, mm.Unmap, 0)
		}
		vmLock.unlock()
		return ok
	}
	vmaPrepareRemove(start, end)
	vmLock.lock(thisCPU())
	ok := vmaRemoveKeepPages(start, end)
	if ok {
		mm.WalkRange(start, end, mm.Unmap, 0)
	}
	vmLock.unlock()
	return ok
}

// vmaAdd inserts anonymous memory [start, end) (which must be free) and
// merges it with anonymous neighbours of the same protection.
func vmaAdd(start, end uintptr, prot uint32) bool {
	return vmaAddMapping(vma{start: start, end: end, prot: prot})
}

// vmaAddMapping inserts v (its range must be free), merging anonymous
// memory with anonymous neighbours of the same protection. A file VMA
// keeps its own entry; it takes over the caller's reference to the file.
func vmaAddMapping(v vma) bool {
	start, end := v.start, v.end
	i := 0
	for i < vm.n && vm.v[i].start < start {
		i++
	}
	if v.file != 0 {
		return vmaInsertAt(i, v)
	}
	if i > 0 && vm.v[i-1].end == start && anonJoins(&vm.v[i-1], v) {
		vm.v[i-1].end = end
		vm.v[i-1].flags = vmaJoinFlags(vm.v[i-1].flags, v.flags)
		if i < vm.n && vm.v[i].start == end && anonJoins(&vm.v[i], v) {
			vm.v[i-1].end = vm.v[i].end
			vm.v[i-1].flags = vmaJoinFlags(vm.v[i-1].flags, vm.v[i].flags)
			vmaDelete(i)
		}
		return true
	}
	if i < vm.n && vm.v[i].start == end && anonJoins(&vm.v[i], v) {
		vm.v[i].start = start
		vm.v[i].flags = vmaJoinFlags(vm.v[i].flags, v.flags)
		return true
	}
	return vmaInsertAt(i, v)
}

// anonJoins reports whether anonymous memory v may merge with its
// neighbour a: the same protection, and both shared or both private
// (MAP_SHARED|MAP_ANONYMOUS memory keeps its own VMA: madvise's
// MADV_REMOVE and /proc/self/maps tell them apart).
// Protection and flag are compared in one word: a branch less on mmap's
// path, which every program's start takes (TestTranslationLog).
func anonJoins(a *vma, v vma) bool {
	return a.file == 0 && a.prot|(a.flags&vmShared)<<16 == v.prot|(v.flags&vmShared)<<16
}

// vmaJoinFlags returns the flags of the VMA a merge of a VMA with flags a
// and one with flags b leaves: a's, fresh only if both were (vmFresh).
func vmaJoinFlags(a, b uint32) uint32 {
	return a &^ (vmFresh &^ b)
}

// vmaTouch records that a page is about to be mapped in anonymous VMA i
// (its fault handler): the VMA is no longer fresh. Faults on several
// cores may clear it at once, under vmLock for reading.
//
//go:nosplit
func vmaTouch(i int) {
	if vm.v[i].flags&vmFresh != 0 {
		atomic.AndUint32(&vm.v[i].flags, ^uint32(vmFresh))
	}
}

// rangeFree reports whether no VMA overlaps [start, end).
func rangeFree(start, end uintptr) bool {
	for i := 0; i < vm.n; i++ {
		if vm.v[i].start < end && vm.v[i].end > start {
			return false
		}
	}
	return true
}

// findGap returns the highest free range of length n below mmapBase.
func findGap(n uintptr) uintptr {
	top := uintptr(mmapBase)
	for i := vm.n - 1; i >= -1; i-- {
		var bottom uintptr = userMinAddr()
		if i >= 0 {
			bottom = vm.v[i].end
			if bottom >= top {
				if vm.v[i].start < top {
					top = vm.v[i].start
				}
				continue
			}
		}
		if top-bottom >= n {
			return top - n
		}
		if i >= 0 {
			top = vm.v[i].start
		}
	}
	return 0
}

// userSpan reports whether [start, end) lies in the program's part of the
// address space: above the direct map, below userMax, and outside the
// kernel's /tmp data windows.
func userSpan(start, end uintptr) bool {
	return start >= userMinAddr() && end <= userMax && end > start &&
		(end <= tmpfsBase || start >= tmpfsEnd)
}

// ptePerm returns the page-table bits of a user page with protection
// prot: the user bit unless PROT_NONE, write, no-execute. The program runs
// in ring 0, where the user bit does not stop its own reads of a page
// already backed; it marks the page for system calls, which find a page
// without it absent (userPhys, userPages) and fail with EFAULT, as on
// Linux, instead of copying from memory the program may not read.
func ptePerm(prot uint32) uint64 {
	if prot&(protRead|protWrite|protExec) == 0 {
		return mm.PTENoExec // PROT_NONE: no user access at all
	}
	bits := uint64(mm.PTEUser)
	if prot&protWrite != 0 {
		bits |= mm.PTEWrite
	}
	if prot&protExec == 0 {
		bits |= mm.PTENoExec
	}
	return bits
}

//go:nosplit
func sysMmap(addr, length, prot, flags, fd, off uintptr) int64 {
	return mmap(addr, length, uint32(prot), uint32(flags), int32(fd), off)
}

//go:nosplit
func mmap(addr, length uintptr, prot, flags uint32, fd int32, off uintptr) int64 {
	if length == 0 || length > userMax-userMinAddr() {
		return -EINVAL
	}
	length = (length + pageSize - 1) &^ (pageSize - 1)
	if flags&(mapShared|mapPrivate) == 0 || addr&(pageSize-1) != 0 && flags&(mapFixed|mapFixedNoReplace) != 0 {
		return -EINVAL
	}
	mapping := vma{prot: prot & 7}
	if flags&mapShared != 0 {
		mapping.flags = vmShared
	}
	if flags&mapPopulate == 0 {
		mapping.flags |= vmFresh // dropped below for a file mapping
	}
	if flags&mapAnonymous == 0 {
		fi, f := fdGet(uintptr(fd))
		if f == nil {
			return -EBADF
		}
		if f.kind != fkZero { // /dev/zero maps as anonymous memory
			if off&(pageSize-1) != 0 || int64(off) < 0 {
				return -EINVAL
			}
			if e := fileMappable(f, prot, flags); e != 0 {
				return e
			}
			mapping.file, mapping.off = fi+1, int64(off)
			mapping.flags &^= vmFresh
			if flags&mapShared != 0 && sealedWrites(f) {
				mapping.flags |= vmNoMayWrite
			}
		}
	}
	fixed := flags&(mapFixed|mapFixedNoReplace) != 0
	addr &^= pageSize - 1
	inRange := userSpan(addr, addr+length)
	switch {
	case fixed && !inRange:
		return -ENOMEM
	case flags&mapFixedNoReplace != 0 && !rangeFree(addr, addr+length):
		return -EEXIST
	case flags&mapFixed != 0:
		ok := vmaRemove(addr, addr+length)
		vmaReleaseFiles()
		if !ok {
			return -ENOMEM
		}
	case addr == 0 || !inRange || !rangeFree(addr, addr+length):
		addr = findGap(length)
		if addr == 0 {
			return -ENOMEM
		}
	}
	mapping.start, mapping.end = addr, addr+length
	if mapping.file != 0 {
		fileHold(mapping.file - 1)
	}
	vmLock.lock(thisCPU())
	added := vmaAddMapping(mapping)
	vmLock.unlock()
	if !added {
		if mapping.file != 0 {
			fileRelease(mapping.file - 1)
		}
		return -ENOMEM
	}
	// Populating needs no vmLock: faults racing it back the same pages
	// by compare-and-swap, and munmap waits for the big lock.
	if flags&mapPopulate != 0 && prot&(protRead|protWrite) != 0 && mapping.file == 0 {
		for p := addr; p < addr+length; p += pageSize {
			if !mapPage(p, prot) {
				return -ENOMEM
			}
		}
	}
	return int64(addr)
}

func sysMunmap(addr, length, _, _, _, _ uintptr) int64 {
	if addr&(pageSize-1) != 0 || length == 0 {
		return -EINVAL
	}
	end := addr + (length+pageSize-1)&^(pageSize-1)
	if !userSpan(addr, end) {
		return -EINVAL
	}
	ok := vmaRemove(addr, end)
	vmaReleaseFiles()
	if !ok {
		return -ENOMEM
	}
	return 0
}

func sysMprotect(addr, length, prot, _, _, _ uintptr) int64 {
	return mprotect(addr, length, uint32(prot))
}

func mprotect(addr, length uintptr, prot uint32) int64 {
	if addr&(pageSize-1) != 0 {
		return -EINVAL
	}
	if length == 0 {
		return 0
	}
	end := addr + (length+pageSize-1)&^(pageSize-1)
	if !userSpan(addr, end) {
		return -ENOMEM
	}
	// Every page must be mapped, and a shared file mapping may become
	// writable only if its file is open for writing and it was not made
	// while a memfd was sealed against writes (vmNoMayWrite: a mapping
	// made before F_SEAL_FUTURE_WRITE still may, as on Linux).
	for p := addr; p < end; {
		i := vmaFind(p)
		if i < 0 {
			return -ENOMEM
		}
		if f := vmaFile(&vm.v[i]); f != nil && prot&protWrite != 0 && vm.v[i].flags&vmShared != 0 &&
			(f.flags&oAccMode != oRdwr || vm.v[i].flags&vmNoMayWrite != 0) {
			return -EACCES
		}
		p = vm.v[i].end
	}
	vmLock.lock(thisCPU())
	defer vmLock.unlock()
	if !vmaSplitAt(addr) || !vmaSplitAt(end) {
		return -ENOMEM
	}
	for i := 0; i < vm.n; i++ {
		if vm.v[i].start >= addr && vm.v[i].end <= end {
			vm.v[i].prot = prot & 7
		}
	}
	vmaMergeAnon()
	mm.WalkRange(addr, end, mm.Protect, ptePerm(prot))
	return 0
}

// vmaSplitAt makes va a VMA boundary (if a VMA straddles it).
func vmaSplitAt(va uintptr) bool {
	i := vmaFind(va)
	if i < 0 || vm.v[i].start == va {
		return true
	}
	tail := vm.v[i]
	tail.start = va
	if tail.file != 0 {
		tail.off += int64(va - vm.v[i].start)
		fileHold(tail.file - 1)
	}
	if !vmaInsertAt(i+1, tail) {
		if tail.file != 0 {
			atomic.AddInt32(&files[tail.file-1].refs, -1)
		}
		return false
	}
	vm.v[i].end = va
	return true
}

// vmaMergeAnon joins adjacent anonymous VMAs of the same protection.
func vmaMergeAnon() {
	for i := 0; i+1 < vm.n; {
		a, b := &vm.v[i], &vm.v[i+1]
		if a.end == b.start && a.prot == b.prot && a.file == 0 && b.file == 0 && (a.flags^b.flags)&^vmFresh == 0 {
			a.end = b.end
			a.flags = vmaJoinFlags(a.flags, b.flags)
			vmaDelete(i + 1)
			continue
		}
		i++
	}
}

// vmaRemoveKeepPages drops the VMAs over [start, end), splitting those that
// straddle it, but keeps the pages mapped (vmaRemove frees them). It is
// splittable: sysMmap → mmap → vmaRemove → it → vmaCut → fileHold and
// a bounds panic is 8 bytes over the linker's nosplit budget in an
// unoptimized build (TestUnoptimizedImage, TestNosplitGuard), and the
// common removal inside one anonymous VMA does not come here.
func vmaRemoveKeepPages(start, end uintptr) bool {
	for i := 0; i < vm.n; {
		v := &vm.v[i]
		if v.end <= start {
			i++
			continue
		}
		if v.start >= end {
			break
		}
		next, ok := vmaCut(i, start, end)
		if !ok {
			return false
		}
		i = next
	}
	return true
}

// vmaCut takes [start, end) out of VMA i, which overlaps it: it splits
// the VMA in two around the range, trims it or drops it. It returns the
// index of the first VMA after the cut, and false, with the table
// unchanged, when a split finds the table full.
//
//go:nosplit
func vmaCut(i int, start, end uintptr) (int, bool) {
	v := vm.v[i]
	switch {
	case v.start < start && v.end > end:
		tail := v
		tail.start = end
		if tail.file != 0 {
			tail.off += int64(end - v.start)
			fileHold(tail.file - 1)
		}
		if !vmaInsertAt(i+1, tail) {
			if tail.file != 0 {
				atomic.AddInt32(&files[tail.file-1].refs, -1)
			}
			return i, false
		}
		vm.v[i].end = start
		return i + 2, true
	case v.start < start:
		vm.v[i].end = start
	case v.end > end:
		if v.file != 0 {
			vm.v[i].off += int64(end - v.start)
		}
		vm.v[i].start = end
	default:
		vmaDropFile(&vm.v[i])
		vmaDelete(i)
		return i, true
	}
	return i + 1, true
}

const (
	madvNormal   = 0
	madvDontneed = 4
	madvFree     = 8
	madvRemove   = 9
	madvHugepage = 14
	madvNoHuge   = 15
	madvCollapse = 25
)

//go:nosplit
func sysMadvise(addr, length, advice, _, _, _ uintptr) int64 {
	return madvise(addr, length, int32(advice))
}

//go:nosplit
func madvise(addr, length uintptr, advice int32) int64 {
	if addr&(pageSize-1) != 0 {
		return -EINVAL
	}
	if length == 0 {
		return 0
	}
	end := addr + (length+pageSize-1)&^(pageSize-1)
	switch advice {
	case madvDontneed, madvFree, madvRemove:
		if !userSpan(addr, end) {
			return -EINVAL
		}
		if advice == madvRemove {
			return madviseRemove(addr, end) // madvise_remove.go
		}
		// Shared file pages go back to the file (written back first if
		// the file is on virtio-fs); the rest are freed.
		vmaPrepareRemove(addr, end)
		vmLock.lock(thisCPU())
		mm.WalkRange(addr, end, mm.Unmap, 0)
		vmLock.unlock()
		return 0
	case madvCollapse:
		return -EINVAL
	}
	return 0
}

// mapPage backs user page va with a fresh zeroed page, or gives it a page
// of its own if it maps the zero page. Cores may race to back one page
// (faults run without the big lock): the entry is set by compare-and-swap
// and the loser frees its page.
func mapPage(va uintptr, prot uint32) bool {
	e := mm.PTE(va, true)
	if e == nil {
		return false
	}
	for {
		old := atomic.LoadUint64(e)
		if old&mm.PTEPresent != 0 {
			if z := mm.ZeroPage(); z != 0 && uintptr(old&mm.PTEAddr) == z {
				return unshareZero(va, prot, vmaFind(va))
			}
			return true
		}
		p := mm.Alloc()
		if p == 0 {
			return false
		}
		if mm.SetLeaf(e, old, uint64(p)|mm.PTEPresent|ptePerm(prot)) {
			return true
		}
		mm.Free(p) // another core backed it first: look again
	}
}

// demandFault resolves a page fault at va with error code err. It reports
// whether the access is now allowed; outOfMemory is set if it would have
// been but no page was left.
func demandFault(va uintptr, err uint64) (ok, outOfMemory bool) {
	ok, outOfMemory, _ = demandFaultBus(va, err)
	return ok, outOfMemory
}

// demandFaultBus is demandFault that also reports a touch of a file
// mapping past the end of its file (bus).
//
//go:nosplit
func demandFaultBus(va uintptr, err uint64) (ok, outOfMemory, bus bool) {
	i := vmaFind(va)
	if i < 0 {
		return false, false, false
	}
	if !faultAllowed(vm.v[i].prot, err) {
		return false, false, false
	}
	if vm.v[i].file == 0 {
		ok, outOfMemory = anonFault(i, va, err)
		return ok, outOfMemory, false
	}
	if err&1 != 0 {
		// Present: a stale TLB entry after mprotect; the walk has fixed it.
		arch.Invlpg(va)
		return true, false, false
	}
	switch fileFault(i, va) {
	case faultBus:
		return false, false, true
	case faultOOM:
		return false, true, false
	}
	return true, false, false
}

// faultAllowed reports whether a VMA with protection prot allows the
// access of a fault with error code err.
func faultAllowed(prot uint32, err uint64) bool {
	write, exec := err&2 != 0, err&16 != 0
	return prot != 0 && !(write && prot&protWrite == 0) && !(exec && prot&protExec == 0)
}

// anonFault resolves an allowed fault at va in anonymous VMA i: a read of
// a page never written maps the zero page, a write backs the page (or
// gives it a page of its own in place of the zero page). The caller holds
// the big lock or vmLock for reading; faults on other cores may back the
// same pages at once (the entries change by compare-and-swap). It reports
// whether the access may go ahead; outOfMemory is set if no page was left.
//
//go:nosplit
func anonFault(i int, va uintptr, err uint64) (ok, outOfMemory bool) {
	vmaTouch(i)
	prot := vm.v[i].prot
	page := va &^ (pageSize - 1)
	write := err&2 != 0
	if err&1 != 0 {
		if write && isZeroPage(page) {
			if !unshareZero(page, prot, i) {
				return false, true
			}
			return true, false
		}
		// Present: a stale TLB entry after mprotect (the walk has fixed
		// it), or another core gave the page its own meanwhile. That
		// core may not have finished its shootdown: until it has, a
		// third core could read the zero page there after this write.
		// A shootdown of this core's own waits for every core's flush.
		if write {
			mm.Shootdown()
		}
		arch.Invlpg(va)
		return true, false
	}
	if !write && mapZeroPage(page, prot) {
		return true, false
	}
	if !mapPage(page, prot) {
		return false, true
	}
	return true, false
}

// faultUnlocked resolves a page fault of Go code at addr in anonymous
// memory without the big kernel lock, under vmLock for reading, so that
// faults on several cores (the runtime growing its heap) run in parallel.
// It reports false when the fault needs the big-lock path
// (userPageFault): no VMA or an access it does not allow (a signal), a
// file mapping (vm_file.go: /tmp and virtio-fs pages stay under the big
// lock), no memory left (the report), or biglock=all.
//
//go:nosplit
func faultUnlocked(addr uintptr, err uint64) bool {
	if bigLockOnly {
		return false
	}
	vmLock.rlock(thisCPU())
	ok := false
	if i := vmaFind(addr); i >= 0 && vm.v[i].file == 0 && faultAllowed(vm.v[i].prot, err) {
		ok, _ = anonFault(i, addr, err)
	}
	vmLock.runlock()
	return ok
}

// mapZeroPage maps the shared zero page read-only at the absent user page
// va; false if there is no zero page and no memory to make one.
//
//go:nosplit
func mapZeroPage(va uintptr, prot uint32) bool {
	zero := mm.MakeZeroPage()
	if zero == 0 {
		return false
	}
	e := mm.PTE(va, true)
	if e == nil {
		return false
	}
	// If another core's fault mapped the page first, its entry stands.
	mm.SetLeaf(e, 0, uint64(zero)|mm.PTEPresent|ptePerm(prot)&^mm.PTEWrite)
	return true
}

// isZeroPage reports whether user page va maps the shared zero page.
//
//go:nosplit
func isZeroPage(va uintptr) bool {
	zero := mm.ZeroPage()
	if zero == 0 {
		return false
	}
	e := mm.PTE(va, false)
	if e == nil {
		return false
	}
	v := atomic.LoadUint64(e)
	return v&mm.PTEPresent != 0 && uintptr(v&mm.PTEAddr) == zero
}

// unshareZero gives user page va, which maps the zero page, a zeroed page
// of its own with prot, and drops every core's translation of the zero
// page there before the write that faulted goes ahead. The other pages of
// its span in the same VMA that map the zero page (zerospan.go: the
// aligned 64 KiB block, or more for a program writing in order) are given
// theirs too, under the same shootdown: a program that read a region and
// now writes it pays one round of IPIs per span, not per page. The
// caller holds the big lock or vmLock for reading; another core's fault
// may unshare the same pages at once: each entry changes by
// compare-and-swap from the zero page, and a core that loses frees its
// page. i is va's VMA (the caller found it: a lookup here would put
// vmaFind's frame on the fault's nosplit chain), -1 if none.
//
//go:nosplit
func unshareZero(va uintptr, prot uint32, i int) bool {
	va &^= pageSize - 1
	if !unshareZeroPage(va, prot) {
		return false
	}
	if i >= 0 && vm.v[i].file == 0 {
		// One core needs no shootdown: the 64 KiB block will do.
		behind := uintptr(0)
		if ncpu > 1 {
			behind = zeroBehind(va, vm.v[i].start)
		}
		lo, hi := zeroSpan(va, vm.v[i].start, vm.v[i].end, behind)
		for q := lo; q < hi; q += pageSize {
			if q != va && isZeroPage(q) && !unshareZeroPage(q, vm.v[i].prot) {
				break // the page that faulted has its own; the rest can wait
			}
		}
	}
	mm.Shootdown()
	if ncpu > 1 {
		thisCPU().sched().tlb.zero++
	}
	return true
}

// unshareZeroPage gives page va a zeroed page of its own with prot if it
// maps the zero page; false if no page was left.
//
//go:nosplit
func unshareZeroPage(va uintptr, prot uint32) bool {
	e := mm.PTE(va, false)
	if e == nil {
		return true
	}
	old := atomic.LoadUint64(e)
	if old&mm.PTEPresent == 0 || uintptr(old&mm.PTEAddr) != mm.ZeroPage() {
		return true // another core's fault gave it its page
	}
	p := mm.Alloc()
	if p == 0 {
		return false
	}
	if !mm.SetLeaf(e, old, uint64(p)|mm.PTEPresent|ptePerm(prot)) {
		mm.Free(p)
	}
	arch.Invlpg(va)
	return true
}

// userPageFault handles a page fault in Go code.
func userPageFault(f *trapFrame, addr uintptr) {
	ok, oom, bus := demandFaultBus(addr, f.err)
	if ok {
		return
	}
	if oom {
		outOfMemory(addr)
	}
	if bus {
		sendFault(f, sigBUS, busAdrErr, addr)
		return
	}
	if readOnlyFault(addr, f.err) {
		// As on Linux: SEGV_ACCERR, the runtime's "unexpected fault
		// address" panic; the line says what the write hit.
		kprint("\ngotoro: ")
		readOnlyWrite("the program", addr, uintptr(f.rip))
		sendFault(f, sigSEGV, segvAccErr, addr)
		return
	}
	code := int32(segvMapErr)
	if vmaFind(addr) >= 0 {
		code = segvAccErr
	}
	sendFault(f, sigSEGV, code, addr)
}

// kernelPageFault handles a page fault taken by kernel code touching user
// memory (a system call's buffer that was not yet backed).
//
//go:nosplit
func kernelPageFault(addr uintptr, err uint64) bool {
	ok, oom := demandFault(addr, err)
	if oom {
		outOfMemory(addr)
	}
	return ok
}

// outOfMemory stops the guest when no page is left for a fault at addr,
// saying which flag gives it more: the host sees exit status 137, as for a
// Linux process killed by the OOM killer.
func outOfMemory(addr uintptr) {
	mib := mm.TotalPages() * pageSize >> 20
	suggest := uint64(256)
	for suggest < 2*mib {
		suggest *= 2
	}
	kprint("\ngotoro: out of memory: the program has used all ")
	kprintDec(mib)
	kprint(" MiB of guest RAM (fault at ")
	kprintHex(uint64(addr))
	kprint("); run it again with a larger -mem, e.g. -mem ")
	if suggest >= 1024 {
		kprintDec(suggest >> 10)
		kprint("G\n")
	} else {
		kprintDec(suggest)
		kprint("M\n")
	}
	physReport()
	exitVM(137)
}

// userRange checks that [addr, addr+n) lies in mapped user memory with the
// needed access, so that the kernel can copy to or from it; missing pages are
// then backed by kernelPageFault.
func userRange(addr, n uintptr, write bool) bool {
	if n == 0 {
		return true
	}
	end := addr + n
	if end < addr {
		return false
	}
	if addr < userMinAddr() {
		// The image (Go globals, the vDSO) is in the identity map and the
		// runtime passes addresses in it; nothing else below 4 GiB is the
		// program's. Its text and read-only data are not writable, and
		// the guard pages under the kernel stacks in its BSS not even
		// readable (imagero.go, kstack.go).
		if addr < bootabi.ImageBase || end > imageEnd {
			return false
		}
		for p := addr &^ (pageSize - 1); p < end; p += pageSize {
			if !mm.DirectAccess(p, write) {
				return false
			}
		}
		return true
	}
	for p := addr; p < end; {
		i := vmaFind(p)
		if i < 0 {
			return false
		}
		prot := vm.v[i].prot
		if prot&protRead == 0 || write && prot&protWrite == 0 {
			return false
		}
		p = vm.v[i].end
	}
	return true
}

// userBytes returns the user buffer [addr, addr+n) or false.
//
//go:nosplit
func userBytes(addr, n uintptr, write bool) ([]byte, bool) {
	if !userRange(addr, n, write) {
		return nil, false
	}
	return unsafeSlice(addr, n), true
}
