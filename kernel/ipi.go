package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/kernel/apic"
	"github.com/gotoro/gotoro/kernel/arch"
	"github.com/gotoro/gotoro/kernel/ktime"
)

// Inter-processor interrupts: waking a halted core (vecWake) and TLB
// shootdowns (vecTLB), sent through package apic.

// tlbGen counts TLB shootdowns; a core has flushed for every generation up
// to its tlbAck.
var tlbGen uint64

// tlbShootdown makes every other core drop the user mappings it may have
// cached, and returns once all have. The caller changed page tables (under
// the big kernel lock, or in a page fault under vmLock) and frees the old
// pages only afterwards. Two cores may shoot down at once: each answers
// the other's request while it waits.
//
//go:nosplit
func tlbShootdown() {
	if ncpu == 1 {
		return
	}
	me := thisCPU()
	st := &me.sched().tlb
	st.n++
	var t0 int64
	if ktrace {
		t0 = ktime.Now()
	}
	gen := atomic.AddUint64(&tlbGen, 1)
	atomic.StoreUint64(&me.tlbAck, gen)
	apic.BroadcastIPI(vecTLB)
	for i := 0; i < ncpu; i++ {
		c := &cpus[i]
		if c != me {
			st.waited++
		}
		for c != me && atomic.LoadUint64(&c.tlbAck) < gen {
			arch.Pause()
			// Another core may be shooting down at the same time (a
			// page fault giving a page of its own without the big
			// lock) and waiting for this core's acknowledgement.
			tlbService(me)
		}
	}
	if ktrace {
		st.waitNs += ktime.Now() - t0
	}
}

// tlbService flushes c's TLB if a shootdown asked for it.
func tlbService(c *cpu) {
	g := atomic.LoadUint64(&tlbGen)
	if atomic.LoadUint64(&c.tlbAck) < g {
		arch.WriteCR3(arch.ReadCR3())
		atomic.StoreUint64(&c.tlbAck, g)
	}
}

// onlineMask returns the affinity mask of all running cores.
func onlineMask() uint64 {
	if ncpu >= 64 {
		return ^uint64(0)
	}
	return 1<<uint(ncpu) - 1
}
