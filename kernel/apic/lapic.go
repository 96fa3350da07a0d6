// Package apic drives the interrupt controllers of the gotoro kernel's
// machine: each core's local APIC (its one-shot or TSC-deadline timer,
// end of interrupt, inter-processor interrupts) and the I/O APICs that
// route device interrupt lines to vectors.
//
// Local APIC access: x2APIC mode (registers as MSRs 0x800 + offset/16)
// when the CPU offers it, else xAPIC mode (MMIO at 0xFEE00000,
// identity-mapped); x2apic=0 on the kernel command line keeps xAPIC.
// Timer: TSC-deadline mode when the CPU offers it (the deadline is a TSC
// value written to an MSR), else one-shot mode calibrated against the TSC
// at boot; tscdeadline=0 keeps one-shot mode.
//
// The package sits on kernel/arch and kernel/ktime (deadlines are ns on
// ktime's clock); the vectors it programs are the caller's. Like all of
// the kernel it allocates nothing, stores no Go pointers and has no
// package initialisation. Kernel code runs with interrupts off, so the
// two register writes of an xAPIC IPI are never interleaved with another
// send on the same core.
package apic

import (
	"unsafe"

	"github.com/gotoro/gotoro/kernel/arch"
	"github.com/gotoro/gotoro/kernel/ktime"
)

const (
	lapicBase     = 0xFEE00000
	lapicID       = 0x20
	lapicEOIReg   = 0x0B0
	lapicSVR      = 0x0F0
	lapicICRLow   = 0x300
	lapicICRHigh  = 0x310
	lapicLVTTimer = 0x320
	lapicInitCnt  = 0x380
	lapicCurCnt   = 0x390
	lapicDivide   = 0x3E0

	msrAPICBase    = 0x1B
	apicBaseEN     = 1 << 11
	apicBaseEXTD   = 1 << 10 // x2APIC mode
	msrX2APIC      = 0x800   // first x2APIC register MSR
	msrX2APICICR   = 0x830
	msrTSCDeadline = 0x6E0

	cpuidX2APIC      = 1 << 21 // CPUID.1:ECX
	cpuidTSCDeadline = 1 << 24 // CPUID.1:ECX

	icrFixed      = 0 << 8
	icrPending    = 1 << 12
	icrAllButSelf = 3 << 18
)

// Interrupt command bits for SendIPI beside a vector: the INIT and
// STARTUP messages that start an application processor.
const (
	ICRInit    = 5 << 8
	ICRStartup = 6 << 8
	ICRAssert  = 1 << 14
	ICRLevel   = 1 << 15
)

var lapic struct {
	x2apic      bool
	tscDeadline bool
	hz          uint64    // timer ticks per second (one-shot mode)
	calWidthNs  uint64    // the calibration's uncertainty: its TSC brackets, ns
	cal         calSample // the sample Init began (one-shot mode)
	calPending  bool      // cal awaits FinishCalibration
	hostHz      uint64    // the expected rate (apic_hz=), 0: calibrate
	hostStart   uint64    // the TSC when the expected rate's check began
	hostUsed    bool      // hz is hostHz, checked
	hostChecked uint64    // the rate the check measured (hostrate.go)
	timerVec    uint32
	spuriousVec uint32
}

// X2APIC reports whether the local APICs run in x2APIC mode.
func X2APIC() bool { return lapic.x2apic }

// TSCDeadline reports whether the timer runs in TSC-deadline mode.
func TSCDeadline() bool { return lapic.tscDeadline }

// Calibration returns what Init measured of the one-shot timer: its rate
// in ticks per second and the calibration's uncertainty (the width of
// the TSC brackets around its reads of the count) in ns. Both are 0 in
// TSC-deadline mode, and widthNs is 0 when the rate is the expected one.
func Calibration() (hz, widthNs uint64) { return lapic.hz, lapic.calWidthNs }

// HostRate returns the one-shot timer's expected rate (0 if none), the
// rate the kernel's check of it measured and whether the timer runs at
// the expected rate (hostrate.go).
func HostRate() (hostHz, measured uint64, used bool) {
	return lapic.hostHz, lapic.hostChecked, lapic.hostUsed
}

// ptr converts an address held as uintptr (identity-mapped MMIO, never
// the Go heap) into a pointer.
func ptr(p uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&p))
}

//go:nosplit
func lapicRead(reg uintptr) uint32 {
	if lapic.x2apic {
		return uint32(arch.Rdmsr(msrX2APIC + uint32(reg>>4)))
	}
	return *(*uint32)(ptr(lapicBase + reg))
}

//go:nosplit
func lapicWrite(reg uintptr, v uint32) {
	if lapic.x2apic {
		arch.Wrmsr(msrX2APIC+uint32(reg>>4), uint64(v))
		return
	}
	*(*uint32)(ptr(lapicBase + reg)) = v
}

// EOI signals the end of the interrupt being handled.
func EOI() { lapicWrite(lapicEOIReg, 0) }

// SelfID returns this core's APIC ID (32 bits in x2APIC mode, 8 in xAPIC
// mode).
//
//go:nosplit
func SelfID() uint32 {
	if lapic.x2apic {
		return lapicRead(lapicID)
	}
	return lapicRead(lapicID) >> 24
}

// enable turns the local APIC on, in x2APIC mode if chosen, with the
// spurious vector set.
//
//go:nosplit
func enable() {
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
	lapicWrite(lapicSVR, 0x100|lapic.spuriousVec)
}

// InitAP sets up an application processor's local APIC and timer the way
// Init chose for the boot CPU, reusing its calibration.
func InitAP() {
	enable()
	if lapic.tscDeadline {
		lapicWrite(lapicLVTTimer, 2<<17|lapic.timerVec)
		arch.Mfence() // the mode switch before any deadline write (SDM 10.5.4.1)
		return
	}
	lapicWrite(lapicDivide, 0xB)
	lapicWrite(lapicLVTTimer, lapic.timerVec)
}

// Init chooses the APIC mode and the timer mode on the boot CPU and
// enables its local APIC; x2apic and tscDeadline say whether the command
// line allows them, hostHz is the one-shot timer's expected rate (0:
// calibrate it). The timer interrupts with timerVec, spurious interrupts arrive
// as spuriousVec. The clock (ktime.Init) must be set. In one-shot mode
// Init starts the timer's calibration against the TSC, or the check of
// the expected rate, which FinishCalibration ends: the boot goes on in
// between.
//
//go:nosplit
func Init(x2apic, tscDeadline bool, hostHz uint64, timerVec, spuriousVec uint8) {
	lapic.timerVec, lapic.spuriousVec = uint32(timerVec), uint32(spuriousVec)
	c := arch.Features1()
	// What the command line allows and the CPU offers, each one test
	// (under TCG a branch, as && makes, ends a translated block).
	lapic.x2apic = b2u(x2apic)&c&cpuidX2APIC != 0
	enable()
	if b2u(tscDeadline)&c&cpuidTSCDeadline != 0 {
		lapic.tscDeadline = true
		lapicWrite(lapicLVTTimer, 2<<17|lapic.timerVec)
		arch.Mfence()
		return
	}
	lapicWrite(lapicDivide, 0xB)                    // divide by 1
	lapicWrite(lapicLVTTimer, 1<<16|lapic.timerVec) // masked while calibrating
	lapic.calPending = true
	if lapic.hostHz = hostHz; hostHz != 0 {
		lapicWrite(lapicInitCnt, 0xFFFFFFFF) // checkHostRate's count
		lapic.hostStart = arch.Rdtsc()
		return
	}
	lapic.cal = beginSample()
}

// FinishCalibration ends the one-shot timer's calibration that Init began
// and unmasks the boot CPU's timer; nothing may arm a timer before it. It
// reports false if the timer does not count: the kernel cannot run then.
// In TSC-deadline mode, or called again, it does nothing.
//
//go:nosplit
func FinishCalibration() bool {
	if !lapic.calPending {
		return true
	}
	lapic.calPending = false
	if lapic.hostHz != 0 {
		// The count Init started, against the TSC (hostrate.go).
		ticks := uint64(^lapicRead(lapicCurCnt))
		dt := arch.Rdtsc() - lapic.hostStart
		lapicWrite(lapicInitCnt, 0)
		lapic.hostChecked, lapic.hostUsed = rateAgrees(ticks, dt, lapic.hostHz, ktime.Hz())
		lapic.hz = lapic.hostHz
		if !lapic.hostUsed {
			lapic.hz, lapic.calWidthNs = calibrate()
		}
	} else {
		lapic.hz, lapic.calWidthNs = finishSample(lapic.cal)
	}
	if lapic.hz == 0 {
		return false
	}
	lapicWrite(lapicLVTTimer, lapic.timerVec) // one-shot
	return true
}

// Arm programs this core's timer to fire at deadline (ns on ktime's
// clock); 0 disarms it.
//
//go:nosplit
func Arm(deadline int64) {
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
	lapicWrite(lapicInitCnt, oneShotCount(deadline-ktime.Now(), lapic.hz))
}

// oneShotCount converts d, the ns until a deadline, into the initial
// count of a timer counting hz ticks per second: at least 1 µs (a
// deadline already past fires at once), at least one tick, at most the
// 32-bit register's maximum (a later deadline fires early and is
// re-armed: every deadline is checked against the clock).
func oneShotCount(d int64, hz uint64) uint32 {
	if d < 1000 {
		d = 1000
	}
	cnt := uint64(d) * hz / 1_000_000_000
	if cnt > 0xFFFFFFFF {
		cnt = 0xFFFFFFFF
	}
	if cnt == 0 {
		cnt = 1
	}
	return uint32(cnt)
}

// b2u returns all ones for true, 0 for false, without a branch: a mask
// for a feature bit.
func b2u(b bool) uint32 {
	var v uint32
	if b {
		v = ^uint32(0)
	}
	return v
}
