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
// A core halted in the idle loop (its idle flag set) is neither sent the
// IPI nor waited for: it flushes when it leaves the idle loop, before it
// runs a thread (leaveIdle), and the idle loop and the interrupts it
// takes touch no user memory through the TLB. The flag and the
// generation are read the other way round on the two sides, each after a
// full fence (the generation's increment is a locked add, the flag's
// clearing an exchange): if this core sees the flag set after its
// increment, the other core's clearing comes after that increment, so
// its tlbService reads the new generation and flushes. A core that sets
// its flag after this core looked is sent the IPI and waited for only
// while the flag stays clear: once set, the same argument holds.
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
	// The cores to interrupt: not this one, not those that have
	// flushed already (answering another core's shootdown), not idle
	// ones. One broadcast when that is every other core.
	var want uint64
	n := 0
	for i := 0; i < ncpu; i++ {
		c := &cpus[i]
		if c == me || atomic.LoadUint64(&c.tlbAck) >= gen {
			continue
		}
		if atomic.LoadUint32(&c.idle) != 0 {
			st.idle++
			continue
		}
		want |= 1 << uint(i)
		n++
	}
	st.waited += uint64(n)
	if n == ncpu-1 {
		apic.BroadcastIPI(vecTLB)
	} else {
		for i := 0; i < ncpu; i++ {
			if want&(1<<uint(i)) != 0 {
				apic.SendIPI(cpus[i].apicID, vecTLB)
			}
		}
	}
	for i := 0; i < ncpu; i++ {
		if want&(1<<uint(i)) == 0 {
			continue
		}
		c := &cpus[i]
		for atomic.LoadUint64(&c.tlbAck) < gen && atomic.LoadUint32(&c.idle) == 0 {
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

// leaveIdle clears c's idle flag and then makes up for the shootdowns
// that did not wait for c while it was set (tlbShootdown).
func leaveIdle(c *cpu) {
	atomic.StoreUint32(&c.idle, 0) // an exchange: a full fence
	tlbService(c)
}

// onlineMask returns the affinity mask of all running cores.
func onlineMask() uint64 {
	if ncpu >= 64 {
		return ^uint64(0)
	}
	return 1<<uint(ncpu) - 1
}
