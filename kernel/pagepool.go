package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/kernel/arch"
)

// Per-core page pools. Each core allocates from and frees to its own list
// without a lock or an atomic instruction. A page belongs to the core that
// first took it from the global pool (phys.owner); a core that frees a page
// it does not own pushes it on the owner's remote list, a lock-free inbox
// the owner drains when its own list runs dry. A core's list is capped, and
// what exceeds the cap, or what no core has, goes through the global pool
// under physLock.

const (
	poolRefill = 32   // pages moved from the global pool at a time
	poolMax    = 1024 // pages a core keeps before returning to the global pool
)

type pagePool struct {
	free   uintptr // local free list, linked through each page's first word
	n      int
	remote uintptr // pages freed by other cores (atomic list head)
}

// physLock guards the global pool.
var physLock struct {
	held uint32
	_    [60]byte
}

func physLockAcquire(c *cpu) {
	for !atomic.CompareAndSwapUint32(&physLock.held, 0, 1) {
		for atomic.LoadUint32(&physLock.held) != 0 {
			arch.Pause()
			tlbService(c)
		}
	}
}

func physLockRelease() { atomic.StoreUint32(&physLock.held, 0) }

// pageOwner returns the core that owns page p.
func pageOwner(p uintptr) int {
	i := p >> pageShift
	if i >= phys.ownerLen {
		return 0
	}
	return int(*(*uint8)(ptr(phys.ownerBase + i)))
}

// physAlloc returns a zeroed page, or 0 when memory is exhausted.
func physAlloc() uintptr {
	c := thisCPU()
	pp := &c.pool
	if pp.free == 0 {
		pp.drainRemote()
	}
	if pp.free == 0 {
		pp.refill(c)
	}
	if pp.free == 0 {
		pp.steal(c)
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

// physFree returns page p to its owner's pool.
func physFree(p uintptr) {
	atomic.AddUint64(&phys.nfree, 1)
	c := thisCPU()
	o := pageOwner(p)
	if int64(o) != c.id {
		cpus[o].pool.pushRemote(p)
		return
	}
	pp := &c.pool
	if pp.n >= poolMax {
		physLockAcquire(c)
		globalFree(p)
		physLockRelease()
		return
	}
	*(*uintptr)(ptr(p)) = pp.free
	pp.free = p
	pp.n++
}

// pushRemote hands page p to the pool's core from another core.
func (pp *pagePool) pushRemote(p uintptr) {
	for {
		old := atomic.LoadUintptr(&pp.remote)
		*(*uintptr)(ptr(p)) = old
		if atomic.CompareAndSwapUintptr(&pp.remote, old, p) {
			return
		}
	}
}

// drainRemote moves the pages other cores returned onto the local list.
func (pp *pagePool) drainRemote() {
	if atomic.LoadUintptr(&pp.remote) == 0 {
		return
	}
	p := atomic.SwapUintptr(&pp.remote, 0)
	for p != 0 {
		next := *(*uintptr)(ptr(p))
		*(*uintptr)(ptr(p)) = pp.free
		pp.free = p
		pp.n++
		p = next
	}
}

// steal takes, when the global pool is empty, the pages other cores freed
// for their owners and have not collected yet: an owner that stopped
// allocating would otherwise keep them. Taking a whole remote list with
// one swap is safe from any core; c becomes the pages' owner.
func (pp *pagePool) steal(c *cpu) {
	for i := 0; i < ncpu; i++ {
		o := &cpus[i]
		if o == c || atomic.LoadUintptr(&o.pool.remote) == 0 {
			continue
		}
		p := atomic.SwapUintptr(&o.pool.remote, 0)
		for p != 0 {
			next := *(*uintptr)(ptr(p))
			if idx := p >> pageShift; idx < phys.ownerLen {
				*(*uint8)(ptr(phys.ownerBase + idx)) = uint8(c.id)
			}
			*(*uintptr)(ptr(p)) = pp.free
			pp.free = p
			pp.n++
			p = next
		}
	}
}

// refill moves up to poolRefill pages from the global pool to c's list and
// makes c their owner.
func (pp *pagePool) refill(c *cpu) {
	physLockAcquire(c)
	for i := 0; i < poolRefill; i++ {
		p := globalAlloc()
		if p == 0 {
			break
		}
		if idx := p >> pageShift; idx < phys.ownerLen {
			*(*uint8)(ptr(phys.ownerBase + idx)) = uint8(c.id)
		}
		*(*uintptr)(ptr(p)) = pp.free
		pp.free = p
		pp.n++
	}
	physLockRelease()
}

// physReport prints where the free pages are, for an out-of-memory report:
// a large count in a core's pool or remote list points at stranded pages.
func physReport() {
	kprint("gotoro: free pages ")
	kprintDec(atomic.LoadUint64(&phys.nfree))
	kprint(" of ")
	kprintDec(phys.total)
	for i := 0; i < ncpu; i++ {
		pp := &cpus[i].pool
		r := 0
		for p := atomic.LoadUintptr(&pp.remote); p != 0 && r < 1<<20; p = *(*uintptr)(ptr(p)) {
			r++
		}
		kprint("; core ")
		kprintDec(uint64(i))
		kprint(" pool ")
		kprintDec(uint64(pp.n))
		kprint(" remote ")
		kprintDec(uint64(r))
	}
	kprint("\n")
}
