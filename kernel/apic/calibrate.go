package apic

import (
	"github.com/gotoro/gotoro/kernel/arch"
	"github.com/gotoro/gotoro/kernel/ktime"
)

// Calibration of the one-shot timer against the TSC.
const (
	calSamples  = 8
	calWindowUs = 250 // each sample's length
	calTightNs  = 20_000
)

// calibrate returns the timer's rate in ticks per second and the width of
// the chosen sample's TSC brackets in ns, or 0, 0 if the timer does not
// count. A sample reads the count at the start and end of a 250 µs
// window, each read bracketed by two TSC reads. A vCPU that is
// descheduled inside a bracket (a host busy with other guests: each read
// of the count is a VM exit) makes that bracket wide, and the rate from
// such a sample is wrong in proportion: a count read after a long pause
// makes the rate too high, and every timer then fires that many times too
// late. One such boot under TCG on a loaded host armed 1 ms timers that
// fired after hundreds of milliseconds. So it takes up to calSamples
// samples and keeps the one whose brackets are narrowest, stopping early
// at one whose brackets total under calTightNs.
func calibrate() (hz, widthNs uint64) {
	tscHz := ktime.Hz()
	window := tscHz * calWindowUs / 1_000_000
	tight := tscHz * calTightNs / 1_000_000_000
	best, bestWidth := uint64(0), ^uint64(0)
	for i := 0; i < calSamples; i++ {
		var s calSample
		lapicWrite(lapicInitCnt, 0xFFFFFFFF)
		s.a0 = arch.Rdtsc()
		s.c0 = lapicRead(lapicCurCnt)
		s.b0 = arch.Rdtsc()
		for arch.Rdtsc()-s.b0 < window {
			arch.Pause()
		}
		s.a1 = arch.Rdtsc()
		s.c1 = lapicRead(lapicCurCnt)
		s.b1 = arch.Rdtsc()
		rate, width, ok := s.rate(tscHz)
		if !ok || width >= bestWidth {
			continue
		}
		best, bestWidth = rate, width
		widthNs = width * 1_000_000_000 / tscHz
		if width < tight {
			break
		}
	}
	lapicWrite(lapicInitCnt, 0)
	if best == 0 {
		return 0, 0
	}
	return best, widthNs
}

// A calSample is one calibration window: the timer's count c0 read
// between the TSC values a0 and b0, then c1 between a1 and b1.
type calSample struct {
	a0, b0, a1, b1 uint64
	c0, c1         uint32
}

// rate returns the timer's rate in ticks per second that s gives on a TSC
// of tscHz, and the total width of its brackets in TSC ticks; ok is false
// if the sample says nothing (the count did not go down, or no time
// passed). The reads happened somewhere inside their brackets: the time
// is measured between the brackets' midpoints.
func (s calSample) rate(tscHz uint64) (hz, width uint64, ok bool) {
	dt := (s.a1 + (s.b1-s.a1)/2) - (s.a0 + (s.b0-s.a0)/2)
	if s.c0 <= s.c1 || dt == 0 {
		return 0, 0, false
	}
	return uint64(s.c0-s.c1) * tscHz / dt, s.b0 - s.a0 + s.b1 - s.a1, true
}
