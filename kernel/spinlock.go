package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/kernel/arch"
)

// spinLock is a lock for short critical sections of kernel code, which
// runs with interrupts off: a holder is never preempted, never blocks and
// takes no interrupt, so a waiter only spins. Like every spin loop in the
// kernel, the wait answers TLB shootdowns itself (the core cannot take the
// IPI). Which lock protects what, and in which order they are taken, is in
// docs/kernel.md ("Locks").
type spinLock struct {
	v uint32
}

//go:nosplit
func (l *spinLock) lock() {
	if atomic.CompareAndSwapUint32(&l.v, 0, 1) {
		return
	}
	c := thisCPU()
	for {
		for atomic.LoadUint32(&l.v) != 0 {
			arch.Pause()
			tlbService(c)
		}
		if atomic.CompareAndSwapUint32(&l.v, 0, 1) {
			return
		}
	}
}

func (l *spinLock) unlock() { atomic.StoreUint32(&l.v, 0) }
