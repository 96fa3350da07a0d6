package mm

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/internal/bootabi"
	"github.com/gotoro/gotoro/kernel/arch"
)

// Per-core page pools. Each core allocates from and frees to its own list
// without a lock or an atomic instruction. A page belongs to the core that
// first took it from the global pool (the owner map); a core that frees a
// page it does not own pushes it on the owner's remote list, a lock-free
// inbox the owner drains when its own list runs dry. A core's list is
// capped, and what exceeds the cap, or what no core has, goes through the
// global pool under physLock.
//
// Pages no one has used since boot are handed out without being written:
// a core takes them from the global pool as a range (fresh, freshEnd), not
// as a list threaded through the pages, and Alloc does not clear them,
// because a fresh guest's RAM is zero (the image's zero-initialized data
// relies on the same: host/image/pvh.go). So a run touches only the pages
// it uses, and each touch of fresh host memory costs the host (a page
// fault, and on a host that is itself a virtual machine often more:
// docs/boot.md, "After a pause"). Pages freed and used again are cleared.

const (
	poolRefill = 32   // pages moved from the global pool at a time
	poolMax    = 1024 // pages a core keeps before returning to the global pool
)

// pool is one core's page pool. Other cores write its remote list, so
// each pool takes 128 bytes: its fields (the first 40) then share no
// 64-byte cache line with another core's, wherever the array starts.
type pool struct {
	free   uintptr // local free list, linked through each page's first word
	n      int
	remote uintptr // pages freed by other cores (atomic list head)
	// [fresh, freshEnd): pages untouched since boot, zero, handed out
	// after the local list's.
	fresh, freshEnd uintptr
	_               [88]byte
}

var pools [bootabi.MaxCPUs]pool

// physLock guards the global pool.
var physLock struct {
	held uint32
	_    [60]byte
}

func physLockAcquire() {
	for !atomic.CompareAndSwapUint32(&physLock.held, 0, 1) {
		for atomic.LoadUint32(&physLock.held) != 0 {
			arch.Pause()
			host.TLBService()
		}
	}
}

func physLockRelease() { atomic.StoreUint32(&physLock.held, 0) }

// owner returns the core that owns page p.
func owner(p uintptr) int {
	i := p >> PageShift
	if i >= phys.ownerLen {
		return 0
	}
	return int(*(*uint8)(ptr(phys.ownerBase + i)))
}

// setOwner makes core the owner of page p.
func setOwner(p uintptr, core int) {
	if i := p >> PageShift; i < phys.ownerLen {
		*(*uint8)(ptr(phys.ownerBase + i)) = uint8(core)
	}
}

// Alloc returns a zeroed page, or 0 when memory is exhausted.
func Alloc() uintptr { return allocOn(int(arch.CoreID())) }

// Free returns page p to its owner's pool.
func Free(p uintptr) { freeOn(p, int(arch.CoreID())) }

// allocOn is Alloc on core.
func allocOn(core int) uintptr {
	pp := &pools[core]
	if pp.free == 0 {
		pp.drainRemote()
	}
	if pp.free == 0 && pp.fresh == pp.freshEnd {
		pp.refill(core)
	}
	if pp.free == 0 && pp.fresh == pp.freshEnd {
		pp.steal(core)
	}
	p := pp.free
	if p == 0 {
		if p = pp.fresh; p == pp.freshEnd {
			return 0
		}
		pp.fresh += PageSize
		atomic.AddUint64(&phys.nfree, ^uint64(0))
		return p // untouched since boot: zero already
	}
	pp.free = *(*uintptr)(ptr(p))
	pp.n--
	atomic.AddUint64(&phys.nfree, ^uint64(0))
	memclrPage(p)
	return p
}

// freeOn is Free on core.
func freeOn(p uintptr, core int) {
	atomic.AddUint64(&phys.nfree, 1)
	if o := owner(p); o != core {
		pools[o].pushRemote(p)
		return
	}
	pp := &pools[core]
	if pp.n >= poolMax {
		physLockAcquire()
		globalFree(p)
		physLockRelease()
		return
	}
	pp.push(p)
}

// push puts page p on the local list.
func (pp *pool) push(p uintptr) {
	*(*uintptr)(ptr(p)) = pp.free
	pp.free = p
	pp.n++
}

// pushRemote hands page p to the pool's core from another core.
func (pp *pool) pushRemote(p uintptr) {
	for {
		old := atomic.LoadUintptr(&pp.remote)
		*(*uintptr)(ptr(p)) = old
		if atomic.CompareAndSwapUintptr(&pp.remote, old, p) {
			return
		}
	}
}

// drainRemote moves the pages other cores returned onto the local list.
func (pp *pool) drainRemote() {
	if atomic.LoadUintptr(&pp.remote) == 0 {
		return
	}
	p := atomic.SwapUintptr(&pp.remote, 0)
	for p != 0 {
		next := *(*uintptr)(ptr(p))
		pp.push(p)
		p = next
	}
	pp.trim()
}

// trim returns what the local list holds beyond poolMax to the global
// pool. An inbox drained or a remote list stolen can be far longer than
// the cap (a core that unmaps what both cores touched hands half of it to
// the other's inbox), and pages kept in one core's list are out of every
// other core's reach: without the trim a core ran out of memory while
// another's list held a fifth of the guest's RAM.
func (pp *pool) trim() {
	if pp.n <= poolMax {
		return
	}
	physLockAcquire()
	for pp.n > poolMax {
		p := pp.free
		pp.free = *(*uintptr)(ptr(p))
		pp.n--
		globalFree(p)
	}
	physLockRelease()
}

// steal takes, when the global pool is empty, the pages other cores freed
// for their owners and have not collected yet: an owner that stopped
// allocating would otherwise keep them. Taking a whole remote list with
// one swap is safe from any core; core becomes the pages' owner.
func (pp *pool) steal(core int) {
	for i := range pools {
		o := &pools[i]
		if i == core || atomic.LoadUintptr(&o.remote) == 0 {
			continue
		}
		p := atomic.SwapUintptr(&o.remote, 0)
		for p != 0 {
			next := *(*uintptr)(ptr(p))
			setOwner(p, core)
			pp.push(p)
			p = next
		}
	}
	pp.trim()
}

// refill moves up to poolRefill pages from the global pool to core and
// makes core their owner: returned pages to its list, or, when the global
// pool has none, a run of fresh pages to its fresh range, untouched.
func (pp *pool) refill(core int) {
	physLockAcquire()
	if phys.free == 0 {
		if start, end := globalTakeFresh(poolRefill); start != end {
			for p := start; p < end; p += PageSize {
				setOwner(p, core)
			}
			pp.fresh, pp.freshEnd = start, end
			physLockRelease()
			return
		}
	}
	for i := 0; i < poolRefill; i++ {
		p := globalAlloc()
		if p == 0 {
			break
		}
		setOwner(p, core)
		pp.push(p)
	}
	physLockRelease()
}

// PoolStats returns how many free pages core's pool holds and how many
// other cores returned to it that it has not collected, for an
// out-of-memory report: a large count points at stranded pages.
func PoolStats(core int) (n, remote int) {
	pp := &pools[core]
	for p := atomic.LoadUintptr(&pp.remote); p != 0 && remote < 1<<20; p = *(*uintptr)(ptr(p)) {
		remote++
	}
	return pp.n + int((pp.freshEnd-pp.fresh)/PageSize), remote
}
