package kernel

import "github.com/gotoro/gotoro/kernel/apic"

// The kernel's side of package apic (the local and I/O APICs): the
// vectors it programs, the stop when the timer cannot be calibrated, and
// the ktrace report of what the calibration measured.

// apicInit sets up the boot CPU's local APIC and its timer (apic.Init);
// x2apic and tscDeadline say whether the command line allows those modes.
// A one-shot timer's calibration runs on while the kernel boots, until
// apicTimerReady.
func apicInit(x2apic, tscDeadline bool) {
	apic.Init(x2apic, tscDeadline, vecTimer, vecSpurious)
}

// apicTimerReady ends the timer's calibration (apic.FinishCalibration);
// the kernel calls it before the first thread, the first that can arm a
// timer.
func apicTimerReady() {
	if !apic.FinishCalibration() {
		kpanic("the local APIC timer does not count")
	}
}

// reportLAPICTimer prints, for ktrace, the timer mode and, in one-shot
// mode, the calibrated rate and how uncertain it was.
func reportLAPICTimer() {
	if apic.TSCDeadline() {
		kprint("ktrace: local APIC timer: TSC deadline\n")
		return
	}
	hz, widthNs := apic.Calibration()
	kprint("ktrace: local APIC timer: one-shot, ")
	kprintDec(hz)
	kprint(" Hz (calibration brackets ")
	kprintDec(widthNs)
	kprint(" ns)\n")
}
