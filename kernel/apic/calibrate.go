package apic

import (
	"github.com/gotoro/gotoro/kernel/arch"
	"github.com/gotoro/gotoro/kernel/ktime"
)

// Calibration of the one-shot timer against the TSC.
//
// A sample writes the largest initial count, reads the count at the start
// and end of a window, each read bracketed by two TSC reads, and takes the
// rate between the brackets' midpoints. A vCPU that is descheduled inside
// a bracket (a host busy with other guests: each read of the count is a
// VM exit) makes that bracket wide, and the rate from such a sample is
// wrong in proportion: a count read after a long pause makes the rate too
// high, and every timer then fires that many times too late. One such
// boot under TCG on a loaded host armed 1 ms timers that fired after
// hundreds of milliseconds. So a sample counts only when its brackets are
// narrow against its window (tight).
//
// Init begins one sample and the kernel goes on booting while the timer
// counts; FinishCalibration, before the first thread can arm a timer,
// ends it. The window is then the rest of the kernel's boot (milliseconds
// under TCG), which makes the sample more precise and costs no wait. Only
// if it is shorter than calWindowUs, or not tight, does the kernel wait:
// for the rest of the window, or for fresh samples of calWindowUs each
// (calibrate).
const (
	calSamples  = 8
	calWindowUs = 250 // the shortest window
	// calTightNs over calWindowUs is the largest relative width of the
	// brackets a sample may have to be taken without looking further: 8 %.
	calTightNs = 20_000
)

// beginSample starts the count and reads its start.
func beginSample() (s calSample) {
	lapicWrite(lapicInitCnt, 0xFFFFFFFF)
	s.a0 = arch.Rdtsc()
	s.c0 = lapicRead(lapicCurCnt)
	s.b0 = arch.Rdtsc()
	return s
}

// end waits until at least window TSC ticks have passed since the
// sample's start, then reads its end.
func (s *calSample) end(window uint64) {
	for arch.Rdtsc()-s.b0 < window {
		arch.Pause()
	}
	s.a1 = arch.Rdtsc()
	s.c1 = lapicRead(lapicCurCnt)
	s.b1 = arch.Rdtsc()
}

// calibrate returns the timer's rate in ticks per second and the width of
// the chosen sample's TSC brackets in ns, or 0, 0 if the timer does not
// count. It takes up to calSamples samples of calWindowUs and keeps the
// one whose brackets are narrowest, stopping early at a tight one.
func calibrate() (hz, widthNs uint64) {
	tscHz := ktime.Hz()
	window := tscHz * calWindowUs / 1_000_000
	best, bestWidth := uint64(0), ^uint64(0)
	for i := 0; i < calSamples; i++ {
		s := beginSample()
		s.end(window)
		rate, width, ok := s.rate(tscHz)
		if !ok || width >= bestWidth {
			continue
		}
		best, bestWidth = rate, width
		widthNs = width * 1_000_000_000 / tscHz
		if s.tight() {
			break
		}
	}
	lapicWrite(lapicInitCnt, 0)
	if best == 0 {
		return 0, 0
	}
	return best, widthNs
}

// finishSample ends the sample Init began and returns its rate and the
// width of its brackets in ns if it is tight; otherwise (or if the timer
// did not count) it calibrates afresh.
func finishSample(s calSample) (hz, widthNs uint64) {
	tscHz := ktime.Hz()
	s.end(tscHz * calWindowUs / 1_000_000)
	lapicWrite(lapicInitCnt, 0)
	if rate, width, ok := s.rate(tscHz); ok && s.tight() {
		return rate, width * 1_000_000_000 / tscHz
	}
	return calibrate()
}

// A calSample is one calibration window: the timer's count c0 read
// between the TSC values a0 and b0, then c1 between a1 and b1.
type calSample struct {
	a0, b0, a1, b1 uint64
	c0, c1         uint32
}

// rate returns the timer's rate in ticks per second that s gives on a TSC
// of tscHz, and the total width of its brackets in TSC ticks; ok is false
// if the sample says nothing (the count did not go down, ran out to 0, or
// no time passed). The reads happened somewhere inside their brackets:
// the time is measured between the brackets' midpoints.
func (s calSample) rate(tscHz uint64) (hz, width uint64, ok bool) {
	dt := s.span()
	if s.c0 <= s.c1 || s.c1 == 0 || dt == 0 {
		return 0, 0, false
	}
	return uint64(s.c0-s.c1) * tscHz / dt, s.b0 - s.a0 + s.b1 - s.a1, true
}

// span is the time between the brackets' midpoints, in TSC ticks.
func (s calSample) span() uint64 {
	return (s.a1 + (s.b1-s.a1)/2) - (s.a0 + (s.b0-s.a0)/2)
}

// tight reports whether the brackets' total width is under calTightNs per
// calWindowUs of the span (8 %): the rate's error is at most half that.
func (s calSample) tight() bool {
	return (s.b0-s.a0+s.b1-s.a1)*calWindowUs*1000 < s.span()*calTightNs
}
