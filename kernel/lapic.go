package kernel

import (
	"github.com/gotoro/gotoro/kernel/arch"
	"github.com/gotoro/gotoro/kernel/ktime"
)

// The local APIC: the one-shot timer that wakes the idle core and ends time
// slices, end-of-interrupt, and inter-processor interrupts (ipi.go).
//
// Access: x2APIC mode (registers as MSRs 0x800 + offset/16) when the CPU
// offers it, else xAPIC mode (MMIO at 0xFEE00000, identity-mapped);
// x2apic=0 on the kernel command line keeps xAPIC. Timer: TSC-deadline
// mode when the CPU offers it (the deadline is a TSC value written to an
// MSR), else one-shot mode calibrated against the TSC at boot;
// tscdeadline=0 keeps one-shot mode.

const (
	lapicBase     = 0xFEE00000
	lapicID       = 0x20
	lapicEOIReg   = 0x0B0
	lapicSVR      = 0x0F0
	lapicLVTTimer = 0x320
	lapicInitCnt  = 0x380
	lapicCurCnt   = 0x390
	lapicDivide   = 0x3E0

	msrAPICBase  = 0x1B
	apicBaseEN   = 1 << 11
	apicBaseEXTD = 1 << 10 // x2APIC mode
	msrX2APIC    = 0x800   // first x2APIC register MSR
	msrX2APICICR = 0x830

	cpuidX2APIC      = 1 << 21 // CPUID.1:ECX
	cpuidTSCDeadline = 1 << 24 // CPUID.1:ECX
)

var lapic struct {
	x2apic      bool
	tscDeadline bool
	hz          uint64 // timer ticks per second (one-shot mode)
	calWidthNs  uint64 // the calibration's uncertainty: its TSC brackets, ns
}

// reportLAPICTimer prints, for ktrace, the timer mode and, in one-shot
// mode, the calibrated rate and how uncertain it was.
func reportLAPICTimer() {
	if lapic.tscDeadline {
		kprint("ktrace: local APIC timer: TSC deadline\n")
		return
	}
	kprint("ktrace: local APIC timer: one-shot, ")
	kprintDec(lapic.hz)
	kprint(" Hz (calibration brackets ")
	kprintDec(lapic.calWidthNs)
	kprint(" ns)\n")
}

func lapicRead(reg uintptr) uint32 {
	if lapic.x2apic {
		return uint32(arch.Rdmsr(msrX2APIC + uint32(reg>>4)))
	}
	return *(*uint32)(ptr(lapicBase + reg))
}

func lapicWrite(reg uintptr, v uint32) {
	if lapic.x2apic {
		arch.Wrmsr(msrX2APIC+uint32(reg>>4), uint64(v))
		return
	}
	*(*uint32)(ptr(lapicBase + reg)) = v
}

func lapicEOI() { lapicWrite(lapicEOIReg, 0) }

// lapicSelfID returns this core's APIC ID (32 bits in x2APIC mode, 8 in
// xAPIC mode).
func lapicSelfID() uint32 {
	if lapic.x2apic {
		return lapicRead(lapicID)
	}
	return lapicRead(lapicID) >> 24
}

// lapicEnable turns the local APIC on, in x2APIC mode if chosen, with the
// spurious vector set.
func lapicEnable() {
	base := arch.Rdmsr(msrAPICBase)
	switch x2 := base&apicBaseEXTD != 0; {
	case lapic.x2apic && !x2:
		// The legal way in: enable (xAPIC), then extend.
		arch.Wrmsr(msrAPICBase, base|apicBaseEN)
		arch.Wrmsr(msrAPICBase, base|apicBaseEN|apicBaseEXTD)
	case !lapic.x2apic && x2:
		// A VMM started the core in x2APIC mode and x2apic=0 asks for
		// xAPIC: the only way back is through disabled.
		arch.Wrmsr(msrAPICBase, base&^(apicBaseEN|apicBaseEXTD))
		arch.Wrmsr(msrAPICBase, base&^apicBaseEXTD|apicBaseEN)
	default:
		arch.Wrmsr(msrAPICBase, base|apicBaseEN)
	}
	lapicWrite(lapicSVR, 0x100|vecSpurious)
}

// lapicInitAP sets up an AP's timer the way lapicInit chose for the boot
// CPU, reusing its calibration.
func lapicInitAP() {
	lapicEnable()
	if lapic.tscDeadline {
		lapicWrite(lapicLVTTimer, 2<<17|vecTimer)
		arch.Mfence() // the mode switch before any deadline write (SDM 10.5.4.1)
		return
	}
	lapicWrite(lapicDivide, 0xB)
	lapicWrite(lapicLVTTimer, vecTimer)
}

// lapicInit chooses the APIC mode and the timer mode on the boot CPU.
// x2apic and tscDeadline say whether the command line allows them.
func lapicInit(x2apic, tscDeadline bool) {
	c := arch.Features1()
	lapic.x2apic = x2apic && c&cpuidX2APIC != 0
	lapicEnable()
	if tscDeadline && c&cpuidTSCDeadline != 0 {
		lapic.tscDeadline = true
		lapicWrite(lapicLVTTimer, 2<<17|vecTimer)
		arch.Mfence()
		return
	}
	lapicWrite(lapicDivide, 0xB)              // divide by 1
	lapicWrite(lapicLVTTimer, 1<<16|vecTimer) // masked while calibrating
	lapic.hz = lapicCalibrate()
	lapicWrite(lapicLVTTimer, vecTimer) // one-shot
}

// Calibration of the one-shot timer against the TSC.
const (
	calSamples  = 8
	calWindowUs = 250 // each sample's length
	calTightNs  = 20_000
)

// lapicCalibrate returns the timer's rate in ticks per second. A sample
// reads the count at the start and end of a 250 µs window, each read
// bracketed by two TSC reads. A vCPU that is descheduled inside a bracket
// (a host busy with other guests: each read of the count is a VM exit)
// makes that bracket wide, and the rate from such a sample is wrong in
// proportion: a count read after a long pause makes the rate too high,
// and every timer then fires that many times too late. One such boot
// under TCG on a loaded host armed 1 ms timers that fired after hundreds
// of milliseconds. So it takes up to calSamples samples and keeps the one
// whose brackets are narrowest, stopping early at one whose brackets
// total under calTightNs.
func lapicCalibrate() uint64 {
	window := ktime.Hz() * calWindowUs / 1_000_000
	tight := ktime.Hz() * calTightNs / 1_000_000_000
	best, bestWidth := uint64(0), ^uint64(0)
	for i := 0; i < calSamples; i++ {
		lapicWrite(lapicInitCnt, 0xFFFFFFFF)
		a0 := arch.Rdtsc()
		c0 := lapicRead(lapicCurCnt)
		b0 := arch.Rdtsc()
		for arch.Rdtsc()-b0 < window {
			arch.Pause()
		}
		a1 := arch.Rdtsc()
		c1 := lapicRead(lapicCurCnt)
		b1 := arch.Rdtsc()
		width := b0 - a0 + b1 - a1
		// The reads happened somewhere inside their brackets: measure
		// between the brackets' midpoints.
		dt := (a1 + (b1-a1)/2) - (a0 + (b0-a0)/2)
		if c0 <= c1 || dt == 0 || width >= bestWidth {
			continue
		}
		best, bestWidth = uint64(c0-c1)*ktime.Hz()/dt, width
		lapic.calWidthNs = width * 1_000_000_000 / ktime.Hz()
		if width < tight {
			break
		}
	}
	lapicWrite(lapicInitCnt, 0)
	if best == 0 {
		kpanic("the local APIC timer does not count")
	}
	return best
}

// lapicArm programs the timer to fire at deadline (ns since boot); 0
// disarms it.
func lapicArm(deadline int64) {
	if lapic.tscDeadline {
		if deadline == 0 {
			arch.Wrmsr(msrTSCDeadline, 0)
			return
		}
		// WRMSR to the deadline is not serializing: order the stores
		// before it (the timer may fire at once).
		arch.Mfence()
		arch.Wrmsr(msrTSCDeadline, ktime.DeadlineTSC(deadline))
		return
	}
	if deadline == 0 {
		lapicWrite(lapicInitCnt, 0)
		return
	}
	d := deadline - ktime.Now()
	if d < 1000 {
		d = 1000
	}
	cnt := uint64(d) * lapic.hz / 1_000_000_000
	if cnt > 0xFFFFFFFF {
		cnt = 0xFFFFFFFF
	}
	if cnt == 0 {
		cnt = 1
	}
	lapicWrite(lapicInitCnt, uint32(cnt))
}
