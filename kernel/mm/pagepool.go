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

const (
	poolRefill = 32   // pages moved from the global pool at a time
	poolMax    = 1024 // pages a core keeps before returning to the global pool
)

// pool is one core's page pool. Other cores write its remote list, so
// each pool takes 128 bytes: its fields (the first 24) then share no
// 64-byte cache line with another core's, wherever the array starts.
type pool struct {
	free   uintptr // local free list, linked through each page's first word
	n      int
	remote uintptr // pages freed by other cores (atomic list head)
	_      [104]byte
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
	if pp.free == 0 {
		pp.refill(core)
	}
	if pp.free == 0 {
		pp.steal(core)
	}
	p := pp.free
	if p == 0 {
		return 0
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
}

// refill moves up to poolRefill pages from the global pool to the list of
// core and makes core their owner.
func (pp *pool) refill(core int) {
	physLockAcquire()
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
	return pp.n, remote
}
