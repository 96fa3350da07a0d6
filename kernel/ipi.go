package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/kernel/arch"
)

// Inter-processor interrupts: waking a halted core (vecWake) and TLB
// shootdowns (vecTLB).

const (
	lapicICRLow  = 0x300
	lapicICRHigh = 0x310

	icrFixed      = 0 << 8
	icrInit       = 5 << 8
	icrStartup    = 6 << 8
	icrPending    = 1 << 12
	icrAssert     = 1 << 14
	icrLevel      = 1 << 15
	icrAllButSelf = 3 << 18
)

// lapicSendIPI sends the interrupt command low to the local APIC with ID
// dest. Interrupts are off in kernel code, so the two xAPIC ICR writes are
// not interleaved with another send on this core.
func lapicSendIPI(dest uint32, low uint32) {
	if lapic.x2apic {
		// One MSR write, no delivery status to wait for. WRMSR to the
		// ICR is not serializing: order the stores the interrupt
		// announces (an inbox push, a shootdown generation) before it.
		arch.Mfence()
		arch.Wrmsr(msrX2APICICR, uint64(dest)<<32|uint64(low))
		return
	}
	for lapicRead(lapicICRLow)&icrPending != 0 {
		arch.Pause()
	}
	lapicWrite(lapicICRHigh, dest<<24)
	lapicWrite(lapicICRLow, low)
}

// lapicBroadcastIPI sends vector to every core but this one.
func lapicBroadcastIPI(vector uint32) {
	if lapic.x2apic {
		arch.Mfence()
		arch.Wrmsr(msrX2APICICR, uint64(icrAllButSelf|icrFixed|vector))
		return
	}
	for lapicRead(lapicICRLow)&icrPending != 0 {
		arch.Pause()
	}
	lapicWrite(lapicICRHigh, 0)
	lapicWrite(lapicICRLow, icrAllButSelf|icrFixed|vector)
}

// tlbGen counts TLB shootdowns; a core has flushed for every generation up
// to its tlbAck.
var tlbGen uint64

// tlbShootdown makes every other core drop the user mappings it may have
// cached, and returns once all have. The caller changed page tables under
// the big kernel lock and frees the old pages only afterwards.
func tlbShootdown() {
	if ncpu == 1 {
		return
	}
	me := thisCPU()
	gen := atomic.AddUint64(&tlbGen, 1)
	atomic.StoreUint64(&me.tlbAck, gen)
	lapicBroadcastIPI(vecTLB)
	for i := 0; i < ncpu; i++ {
		c := &cpus[i]
		for c != me && atomic.LoadUint64(&c.tlbAck) < gen {
			arch.Pause()
		}
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
