package kernel

// The local APIC in xAPIC mode (MMIO at 0xFEE00000, identity-mapped): the
// one-shot timer that wakes the idle core and ends time slices. TSC-deadline
// mode is used when the CPU offers it; otherwise the timer is calibrated
// against the TSC at boot.

const (
	lapicBase     = 0xFEE00000
	lapicID       = 0x20
	lapicEOIReg   = 0x0B0
	lapicSVR      = 0x0F0
	lapicLVTTimer = 0x320
	lapicInitCnt  = 0x380
	lapicCurCnt   = 0x390
	lapicDivide   = 0x3E0
)

var lapic struct {
	tscDeadline bool
	hz          uint64 // timer ticks per second (one-shot mode)
}

func lapicRead(reg uintptr) uint32     { return *(*uint32)(ptr(lapicBase + reg)) }
func lapicWrite(reg uintptr, v uint32) { *(*uint32)(ptr(lapicBase + reg)) = v }

func lapicEOI() { lapicWrite(lapicEOIReg, 0) }

// lapicEnable turns the local APIC on (IA32_APIC_BASE bit 11) with the
// spurious vector set.
func lapicEnable() {
	wrmsr(0x1B, rdmsr(0x1B)|1<<11)
	lapicWrite(lapicSVR, 0x100|vecSpurious)
}

// lapicInitAP sets up an AP's timer the way lapicInit chose for the boot
// CPU, reusing its calibration.
func lapicInitAP() {
	lapicEnable()
	if lapic.tscDeadline {
		lapicWrite(lapicLVTTimer, 2<<17|vecTimer)
		return
	}
	lapicWrite(lapicDivide, 0xB)
	lapicWrite(lapicLVTTimer, vecTimer)
}

func lapicInit() {
	lapicEnable()
	_, _, c, _ := cpuid(1, 0)
	if c&(1<<24) != 0 {
		lapic.tscDeadline = true
		lapicWrite(lapicLVTTimer, 2<<17|vecTimer)
		return
	}
	lapicWrite(lapicDivide, 0xB)              // divide by 1
	lapicWrite(lapicLVTTimer, 1<<16|vecTimer) // masked while calibrating
	lapicWrite(lapicInitCnt, 0xFFFFFFFF)
	// 250 µs is enough: a timer that fires early is re-armed, since every
	// deadline is checked against the TSC.
	t0 := rdtsc()
	wait := clock.hz / 4000
	for rdtsc()-t0 < wait {
		pause()
	}
	n := 0xFFFFFFFF - lapicRead(lapicCurCnt)
	lapicWrite(lapicInitCnt, 0)
	lapic.hz = uint64(n) * clock.hz / (rdtsc() - t0)
	lapicWrite(lapicLVTTimer, vecTimer) // one-shot
}

// lapicArm programs the timer to fire at deadline (ns since boot); 0
// disarms it.
func lapicArm(deadline int64) {
	if lapic.tscDeadline {
		if deadline == 0 {
			wrmsr(msrTSCDeadline, 0)
			return
		}
		wrmsr(msrTSCDeadline, clock.tsc0+nsToTSC(deadline))
		return
	}
	if deadline == 0 {
		lapicWrite(lapicInitCnt, 0)
		return
	}
	d := deadline - nanotime()
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

// nsToTSC converts a duration in ns to TSC ticks.
func nsToTSC(ns int64) uint64 {
	hi, lo := bitsMul(uint64(ns), clock.hz)
	q, _ := bitsDiv(hi, lo, 1_000_000_000)
	return q
}
