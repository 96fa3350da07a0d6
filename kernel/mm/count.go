package mm

// Present counts the pages mapped in [start, end) at 4 KiB, skipping
// absent tables; the shared zero page is not counted (it holds nothing
// of the range's own). A tmpfs file's pages held (its st_blocks) are
// those of its window. The entries are read without a lock: a count
// taken while another core maps or unmaps pages is one of the counts
// the range passed through. Before Init (the kernel's hosted tests)
// there are no tables and nothing is present.
func Present(start, end uintptr) int {
	if pml4 == 0 {
		return 0
	}
	return presentOn(pml4, 3, start, end)
}

func presentOn(table uintptr, level int, start, end uintptr) int {
	span := uintptr(1) << uint(PageShift+9*level)
	n := 0
	for va := start; va < end; {
		next := (va + span) &^ (span - 1)
		if next > end || next == 0 {
			next = end
		}
		e := *(*uint64)(ptr(table + index(va, level)*8))
		switch {
		case e&PTEPresent == 0 || e&pteHuge != 0:
		case level > 0:
			n += presentOn(uintptr(e&PTEAddr), level-1, va, next)
		case uintptr(e&PTEAddr) != zero || zero == 0:
			n++
		}
		va = next
	}
	return n
}
