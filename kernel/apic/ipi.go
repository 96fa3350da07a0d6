package apic

import "github.com/gotoro/gotoro/kernel/arch"

// SendIPI sends the interrupt command low (a vector, or ICRInit… bits)
// to the local APIC with ID dest.
func SendIPI(dest uint32, low uint32) {
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

// BroadcastIPI sends vector to every core but this one.
func BroadcastIPI(vector uint32) {
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
