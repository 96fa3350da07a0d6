package kernel

import (
	"math/bits"
)

// Time. The clocksource is the TSC; its frequency comes, in order of
// preference, from the host (tsc_hz= on the command line: under TCG the
// guest TSC runs at the host's rate), from KVM's pvclock, from CPUID leaf
// 0x15/0x16, or from calibration against the PIT.

var clock struct {
	tsc0    uint64 // TSC at boot
	hz      uint64
	mult    uint64 // ns = (delta * mult) >> 32
	epochNs int64  // wall clock at boot (ns since the Unix epoch)
	source  string
}

func setTSCHz(hz uint64, source string) {
	clock.hz = hz
	clock.mult = (1_000_000_000 << 32) / hz
	clock.source = source
}

// nanotime returns nanoseconds since boot.
func nanotime() int64 {
	d := rdtsc() - clock.tsc0
	hi, lo := bits.Mul64(d, clock.mult)
	return int64(hi<<32 | lo>>32)
}

// tscInit picks the TSC frequency; hostHz is 0 when the host did not pass one.
func tscInit(hostHz uint64) {
	switch {
	case hostHz >= 1_000_000:
		setTSCHz(hostHz, "host")
	case kvmclockHz() != 0:
		setTSCHz(kvmclockHz(), "kvmclock")
	case cpuidTSCHz() != 0:
		setTSCHz(cpuidTSCHz(), "cpuid")
	default:
		setTSCHz(pitCalibrate(), "pit")
	}
}

// cpuidTSCHz reads the TSC frequency from CPUID leaf 0x15 (or the hypervisor
// leaf 0x40000010), if the CPU reports it.
func cpuidTSCHz() uint64 {
	max, _, _, _ := cpuid(0, 0)
	if max >= 0x15 {
		den, num, hz, _ := cpuid(0x15, 0)
		if den != 0 && num != 0 && hz != 0 {
			return uint64(hz) * uint64(num) / uint64(den)
		}
	}
	if hmax, _, _, _ := cpuid(0x40000000, 0); hmax >= 0x40000010 {
		khz, _, _, _ := cpuid(0x40000010, 0)
		return uint64(khz) * 1000
	}
	return 0
}

// kvmclockHz derives the TSC frequency from KVM's pvclock parameters when
// running on KVM with the kvmclock feature.
func kvmclockHz() uint64 {
	_, b, c, d := cpuid(0x40000000, 0)
	if b != 0x4b4d564b || c != 0x564b4d56 || d != 0x4d {
		return 0 // not "KVMKVMKVM"
	}
	feat, _, _, _ := cpuid(0x40000001, 0)
	if feat&(1<<3) == 0 { // KVM_FEATURE_CLOCKSOURCE2
		return 0
	}
	const msrSystemTimeNew = 0x4b564d01
	pv := &pvclockPage
	wrmsr(msrSystemTimeNew, uint64(uintptr(ptrTo(pv)))|1)
	for pv.version&1 != 0 || pv.version == 0 {
		pause()
	}
	mul, shift := uint64(pv.tscToSystemMul), int(pv.tscShift)
	wrmsr(msrSystemTimeNew, 0)
	if mul == 0 {
		return 0
	}
	hz := (uint64(1_000_000_000) << 32) / mul
	if shift < 0 {
		hz <<= uint(-shift)
	} else {
		hz >>= uint(shift)
	}
	return hz
}

// pvclockTimeInfo is struct pvclock_vcpu_time_info.
type pvclockTimeInfo struct {
	version        uint32
	_              uint32
	tscTimestamp   uint64
	systemTime     uint64
	tscToSystemMul uint32
	tscShift       int8
	flags          uint8
	_              [2]uint8
}

var pvclockPage struct {
	pvclockTimeInfo
	_ [64 - 32]byte
}

// pitCalibrate measures the TSC against PIT channel 2 over 10 ms.
func pitCalibrate() uint64 {
	const (
		pitHz = 1193182
		ticks = pitHz / 100 // 10 ms
	)
	// Gate channel 2 on, speaker off.
	outb(0x61, inb(0x61)&^0x02|0x01)
	outb(0x43, 0xB0) // channel 2, lobyte/hibyte, mode 0
	outb(0x42, ticks&0xff)
	outb(0x42, ticks>>8)
	start := rdtsc()
	for inb(0x61)&0x20 == 0 {
		pause()
	}
	d := rdtsc() - start
	return d * 100
}

// readRTC reads the CMOS real-time clock as seconds since the epoch, used
// for the wall clock when the host did not pass epoch_ns.
func readRTC() int64 {
	rd := func(r uint8) int64 {
		outb(0x70, r)
		v := int64(inb(0x71))
		return v&15 + v>>4*10 // BCD
	}
	for i := 0; i < 1000; i++ {
		outb(0x70, 0x0A)
		if inb(0x71)&0x80 == 0 {
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

func bitsMul(a, b uint64) (hi, lo uint64) { return bits.Mul64(a, b) }

func bitsDiv(hi, lo, d uint64) (q, r uint64) {
	if hi >= d {
		return ^uint64(0), 0
	}
	return bits.Div64(hi, lo, d)
}
