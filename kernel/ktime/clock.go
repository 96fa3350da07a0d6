// Package ktime is the gotoro kernel's time: the clock source, the TSC
// rate, the wall clock at boot, and the vDSO through which the Go runtime
// reads the clock without a system call.
//
// Two clock sources: the TSC, whose frequency comes, in order of
// preference, from the host (tsc_hz= on the command line: under TCG the
// guest TSC runs at the host's rate), from KVM's pvclock, from CPUID leaf
// 0x15/0x40000010, or from calibration against the PIT; and, when KVM
// offers it, kvmclock (kvmclock.go), which then serves Now and the vDSO.
// The wall clock is the host's kvmclock wall clock when kvmclock is the
// source, else epoch_ns from the host, else the RTC.
//
// The package sits on kernel/arch and below the rest of the kernel. Like
// all of the kernel it allocates nothing, stores no Go pointers and has no
// package initialisation (kernel/layout_test.go checks it); Init runs
// once on the boot CPU before anything reads the clock, InitCPU on each
// application processor before it does.
package ktime

import (
	"math/bits"
	"sync/atomic"

	"github.com/gotoro/gotoro/kernel/arch"
)

// clock is read by the vDSO (vdso_amd64.s): the offsets of its first
// fields are fixed (checked by TestClockLayout).
var clock struct {
	tsc0    uint64 // 0: TSC at boot
	hz      uint64 // 8: TSC ticks per second
	mult    uint64 // 16: ns = (delta * mult) >> 32
	epochNs int64  // 24: wall clock at boot (ns since the Unix epoch)
	// kvm is the address of core 0's kvmclock time information (core i's
	// is pvclockSlot*i bytes further), 0 when the TSC is the clock.
	kvm uint64 // 32
	// kvm0 is kvmclock's reading at boot, which Now subtracts.
	kvm0 uint64 // 40
	// last is the latest kvmclock reading handed out while the host does
	// not promise consistent readings across cores (monotonic guard).
	last uint64 // 48
	// kvmStable is pvclockTSCStableBit if the host may promise consistent
	// readings (KVM_FEATURE_CLOCKSOURCE_STABLE_BIT), else 0.
	kvmStable uint64 // 56

	// hzFrom is where the TSC rate came from (hzFromNames). An index, not
	// the name: storing a string in a global tests for the write
	// barrier, a block under QEMU's TCG at boot.
	hzFrom uint8
}

// Where the TSC rate came from (HzFrom).
const (
	hzFromHost = iota
	hzFromKVMClock
	hzFromCPUID
	hzFromPIT
)

var hzFromNames = [...]string{hzFromHost: "host", hzFromKVMClock: "kvmclock", hzFromCPUID: "cpuid", hzFromPIT: "pit"}

func setTSCHz(hz uint64, from uint8) {
	clock.hz = hz
	clock.mult = (1_000_000_000 << 32) / hz
	clock.hzFrom = from
}

// Now returns nanoseconds since boot.
//
//go:nosplit
func Now() int64 {
	if clock.kvm != 0 {
		return int64(kvmclockNow(arch.CoreID()) - clock.kvm0)
	}
	d := arch.Rdtsc() - clock.tsc0
	hi, lo := bits.Mul64(d, clock.mult)
	return int64(hi<<32 | lo>>32)
}

// DeadlineTSC returns the TSC value at which Now reaches deadline.
func DeadlineTSC(deadline int64) uint64 {
	if clock.kvm == 0 {
		return clock.tsc0 + NsToTSC(deadline)
	}
	d := deadline - Now()
	if d < 0 {
		d = 0
	}
	return arch.Rdtsc() + NsToTSC(d)
}

// NsToTSC converts a duration in ns to TSC ticks.
func NsToTSC(ns int64) uint64 {
	hi, lo := bits.Mul64(uint64(ns), clock.hz)
	if hi >= 1_000_000_000 {
		return ^uint64(0)
	}
	q, _ := bits.Div64(hi, lo, 1_000_000_000)
	return q
}

// Hz returns the TSC's ticks per second.
func Hz() uint64 { return clock.hz }

// EpochNs returns the wall-clock time at boot, in ns since the Unix epoch.
func EpochNs() int64 { return clock.epochNs }

// Source names the clock source ("tsc" or "kvmclock") and, for
// kvmclock, whether the host marks its readings stable across cores, for
// -ktrace's boot line.
func Source() (name, note string) {
	if clock.kvm == 0 {
		return "tsc", ""
	}
	switch _, flags := pvclockRead(kvmclockSlot(0)); {
	case clock.kvmStable == 0:
		return "kvmclock", " (no stable bit)"
	case flags&pvclockTSCStableBit != 0:
		return "kvmclock", " (stable)"
	default:
		return "kvmclock", " (stable bit offered, not set)"
	}
}

// HzFrom says where the TSC rate came from: host, kvmclock, cpuid or pit.
func HzFrom() string { return hzFromNames[clock.hzFrom] }

// Init picks the clock source and the TSC frequency and sets the wall
// clock at boot. hostHz is 0 when the host did not pass one, useKVM is
// false with kvmclock=0, epochNs is the host's wall clock just before the
// launch (0 if it gave none).
//
//go:nosplit
func Init(hostHz uint64, useKVM bool, epochNs int64) {
	initSource(hostHz, useKVM)
	clock.epochNs = epochNs
	if clock.kvm != 0 {
		// The host's wall clock at kvmclock's zero is exact; epoch_ns was
		// taken before QEMU started.
		if w := kvmclockWallNs(); w != 0 {
			clock.epochNs = int64(w + clock.kvm0)
		}
	}
	if clock.epochNs == 0 {
		clock.epochNs = readRTC() * 1e9
	}
}

// initSource picks the clock source and the TSC frequency.
//
//go:nosplit
func initSource(hostHz uint64, useKVM bool) {
	clock.tsc0 = arch.Rdtsc()
	var pv *pvclockTimeInfo
	if useKVM && kvmclockOffered() {
		pv = kvmclockRegister(0)
	}
	switch {
	case hostHz >= 1_000_000:
		setTSCHz(hostHz, hzFromHost)
	case pv != nil && kvmclockHz(pv) != 0:
		setTSCHz(kvmclockHz(pv), hzFromKVMClock)
	case cpuidTSCHz() != 0:
		setTSCHz(cpuidTSCHz(), hzFromCPUID)
	default:
		setTSCHz(pitCalibrate(), hzFromPIT)
	}
	if pv == nil {
		return
	}
	if arch.KVMFeatures()&kvmFeatureStableBit != 0 {
		clock.kvmStable = pvclockTSCStableBit
	}
	clock.kvm0 = kvmclockNow(0)
	clock.kvm = uint64(kvmclockSlot(0))
}

// cpuidTSCHz reads the TSC frequency from CPUID leaf 0x15 (or the hypervisor
// leaf 0x40000010), if the CPU reports it.
func cpuidTSCHz() uint64 {
	max, _, _, _ := arch.CPUID(0, 0)
	if max >= 0x15 {
		den, num, hz, _ := arch.CPUID(0x15, 0)
		if den != 0 && num != 0 && hz != 0 {
			return uint64(hz) * uint64(num) / uint64(den)
		}
	}
	if hmax, _, _, _ := arch.CPUID(0x40000000, 0); hmax >= 0x40000010 {
		khz, _, _, _ := arch.CPUID(0x40000010, 0)
		return uint64(khz) * 1000
	}
	return 0
}

// pitCalibrate measures the TSC against PIT channel 2 over 10 ms.
func pitCalibrate() uint64 {
	const (
		pitHz = 1193182
		ticks = pitHz / 100 // 10 ms
	)
	// Gate channel 2 on, speaker off.
	arch.Outb(0x61, arch.Inb(0x61)&^0x02|0x01)
	arch.Outb(0x43, 0xB0) // channel 2, lobyte/hibyte, mode 0
	arch.Outb(0x42, ticks&0xff)
	arch.Outb(0x42, ticks>>8)
	start := arch.Rdtsc()
	for arch.Inb(0x61)&0x20 == 0 {
		arch.Pause()
	}
	d := arch.Rdtsc() - start
	return d * 100
}

// readRTC reads the CMOS real-time clock as seconds since the epoch, used
// for the wall clock when the host did not pass epoch_ns.
func readRTC() int64 {
	rd := func(r uint8) int64 {
		arch.Outb(0x70, r)
		v := int64(arch.Inb(0x71))
		return v&15 + v>>4*10 // BCD
	}
	for i := 0; i < 1000; i++ {
		arch.Outb(0x70, 0x0A)
		if arch.Inb(0x71)&0x80 == 0 {
			break
		}
	}
	sec, min, hour := rd(0), rd(2), rd(4)
	day, mon, year := rd(7), rd(8), rd(9)+2000
	// Days since the epoch from the civil date.
	y := year
	if mon <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	m := mon
	if m > 2 {
		m -= 3
	} else {
		m += 9
	}
	doy := (153*m+2)/5 + day - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	days := era*146097 + doe - 719468
	return days*86400 + hour*3600 + min*60 + sec
}

// SetWallClock makes the wall clock read wallNs (ns since the Unix epoch)
// now, by moving the boot's wall-clock time; monotonic time is unchanged.
// The kernel calls it when the host tells it the time after a restore
// from a snapshot (kernel/snapshot.go). One aligned store: the vDSO may
// read the value at any moment.
func SetWallClock(wallNs int64) {
	atomic.StoreInt64(&clock.epochNs, wallNs-Now())
}
