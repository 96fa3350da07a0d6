package kernel

import "github.com/gotoro/gotoro/kernel/apic"

// The kernel's side of package apic (the local and I/O APICs): the
// vectors it programs, the stop when the timer cannot be calibrated, and
// the ktrace report of what the calibration measured.

// apicInit sets up the boot CPU's local APIC and its timer (apic.Init);
// x2apic and tscDeadline say whether the command line allows those modes,
// hostHz is the one-shot timer's expected rate (0: calibrate it). A
// one-shot timer's calibration, or the check of the expected rate, runs on while the
// kernel boots, until apicTimerReady.
func apicInit(x2apic, tscDeadline bool, hostHz uint64) {
	apic.Init(x2apic, tscDeadline, hostHz, vecTimer, vecSpurious)
}

// apicTimerReady ends the timer's calibration (apic.FinishCalibration);
// the kernel calls it before the first thread, the first that can arm a
// timer.
//
//go:nosplit
func apicTimerReady() {
	if !apic.FinishCalibration() {
		kpanic("the local APIC timer does not count")
	}
}

// reportLAPICTimer prints, for ktrace, the timer mode and, in one-shot
// mode, the rate: the expected one and what its check measured, or the
// calibrated one and how uncertain it was (and the expected rate the
// check refused).
func reportLAPICTimer() {
	if apic.TSCDeadline() {
		kprint("ktrace: local APIC timer: TSC deadline\n")
		return
	}
	hz, widthNs := apic.Calibration()
	hostHz, measured, used := apic.HostRate()
	kprint("ktrace: local APIC timer: one-shot, ")
	kprintDec(hz)
	if used {
		kprint(" Hz (expected; checked: ")
		kprintDec(measured)
		kprint(" Hz)\n")
		return
	}
	kprint(" Hz (calibration brackets ")
	kprintDec(widthNs)
	kprint(" ns)\n")
	if hostHz != 0 {
		kprint("ktrace: local APIC timer: the expected rate ")
		kprintDec(hostHz)
		kprint(" Hz refused: its check measured ")
		kprintDec(measured)
		kprint(" Hz\n")
	}
}
