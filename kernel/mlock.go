package kernel

import "github.com/gotoro/gotoro/kernel/mm"

// mlock and friends. Guest memory is never swapped out, so locking only
// checks the range and, as Linux does, backs its pages now; a page of a
// file mapping past the end of the file cannot be backed, and Linux then
// fails with ENOMEM.

const (
	mclCurrent = 1
	mclFuture  = 2
	mclOnfault = 4

	mlockOnfault = 1
)

func sysMlock(addr, length, _, _, _, _ uintptr) int64 { return mlock(addr, length, 0, false) }

func sysMlock2(addr, length, flags, _, _, _ uintptr) int64 {
	return mlock(addr, length, uint32(flags), false)
}

func sysMunlock(addr, length, _, _, _, _ uintptr) int64 { return mlock(addr, length, 0, true) }

// sysMunlockall has nothing to undo: memory is never swapped.
func sysMunlockall(_, _, _, _, _, _ uintptr) int64 { return 0 }

// mlock is mlock(2) and, with flags, mlock2(2); unlock is munlock(2).
func mlock(addr, length uintptr, flags uint32, unlock bool) int64 {
	if flags&^mlockOnfault != 0 {
		return -EINVAL
	}
	start := addr &^ (pageSize - 1)
	end := (addr + length + pageSize - 1) &^ (pageSize - 1)
	if end < start {
		return -EINVAL
	}
	for p := start; p < end; {
		i := vmaFind(p)
		if i < 0 {
			return -ENOMEM
		}
		p = vm.v[i].end
	}
	if unlock || flags&mlockOnfault != 0 {
		return 0
	}
	for p := start; p < end; p += pageSize {
		i := vmaFind(p)
		if i < 0 {
			return -ENOMEM // unmapped meanwhile (a file read blocked)
		}
		if vm.v[i].prot&(protRead|protWrite) == 0 {
			continue
		}
		// A writable page is faulted in for writing, as Linux's populate
		// does: it gets a page of its own, not the shared zero page.
		ferr := uint64(0)
		if vm.v[i].prot&protWrite != 0 {
			ferr = 2
		}
		if e := mm.PTE(p, false); e != nil && *e&mm.PTEPresent != 0 && (ferr == 0 || !isZeroPage(p)) {
			continue
		}
		if isZeroPage(p) {
			ferr |= 1
		}
		_, oom, bus := demandFaultBus(p, ferr)
		switch {
		case oom:
			return -EAGAIN
		case bus:
			return -ENOMEM
		}
	}
	return 0
}

// sysMlockall is mlockall(2): every current mapping is already backed on
// touch and never swapped, so there is nothing to do but check flags.
func sysMlockall(flags, _, _, _, _, _ uintptr) int64 {
	if flags == 0 || flags&^(mclCurrent|mclFuture|mclOnfault) != 0 || flags == mclOnfault {
		return -EINVAL
	}
	return 0
}
