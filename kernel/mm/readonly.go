package mm

// Read-only memory in the direct map. The image's text and read-only data
// (the ELF segments without PF_W) are mapped read-only, and CR0.WP (set
// by both trampolines) makes that bind ring 0 too, where the kernel and
// the Go program run: a stray store into code or rodata faults at its
// culprit instead of corrupting the program. The kernel asks DirectAccess
// before a system call writes into memory below DirectTop, so that such a
// buffer is EFAULT, not a kernel fault.

// hugeSize is the size of a page of the direct map's page directories.
const hugeSize = 1 << 21

// ReadOnly clears the write bit of the direct map's 4 KiB pages in
// [start, end) (page-aligned, below DirectTop). A 2 MiB page wholly
// inside the range is made read-only as a whole; one the range covers in
// part is split first (a page table from core's pool that is never
// freed). It returns how many pages it left writable for want of a page
// for a table (0: all done). The caller flushes the TLB (arch.WriteCR3 of
// PML4); cores started later load the tables as they are. Boot code; it
// shares its loop with Guard (clearPages).
//
//go:nosplit
func ReadOnly(start, end uintptr, core int) int {
	return clearPages(start, PageSize, int((end-start)/PageSize), core, PTEWrite)
}

// DirectAccess reports whether va, below DirectTop, can be read (for
// write, written) without a fault: not a guard page or the unmapped first
// MiB, and for write not read-only (ReadOnly).
//
//go:nosplit
func DirectAccess(va uintptr, write bool) bool {
	e := pdEntry(va)
	v := *e
	if v&PTEPresent == 0 {
		return false
	}
	if v&pteHuge == 0 {
		v = *(*uint64)(ptr(uintptr(v&PTEAddr) + index(va, 0)*8)) & (*e | ^uint64(PTEWrite))
	}
	need := uint64(PTEPresent)
	if write {
		need |= PTEWrite
	}
	return v&need == need
}
