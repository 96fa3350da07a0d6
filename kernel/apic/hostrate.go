package apic

// The one-shot timer's expected rate. QEMU's own local APIC (TCG, or KVM
// without the in-kernel irqchip) and KVM's in-kernel one count at a fixed
// rate whatever the CPU: one tick per ns of the VMM's clock at
// divide-by-1 (QEMU's apic.c counts its virtual clock's ns shifted by the
// divide configuration; KVM's lapic.c has a 1 ns bus cycle unless the VMM
// sets another through KVM_CAP_X86_APIC_BUS_CYCLES_NS). Calibrating the
// timer costs a sample's code, about 30 translated blocks of a TCG boot,
// so the kernel expects that rate (VMMTimerHz, or apic_hz= on the command
// line) and checks it instead.
//
// The expected rate is not trusted blindly: another VMM, or a KVM whose
// bus cycle was changed, counts at another rate, and a timer programmed
// with a rate too high fires late. Init starts the count, and
// FinishCalibration reads it once against the TSC over the rest of the
// kernel's boot (a span of at least hostCheckUs): a rate within
// hostTolerance of the measured one is taken, else the timer is
// calibrated (calibrate.go). The check is one read of the count, not a
// calibration: a vCPU descheduled between the count's start and its TSC
// read makes the measured rate look higher, and a rate refused for that
// costs only the calibration that a boot without the check pays.

// VMMTimerHz is the one-shot timer's rate at divide-by-1 that QEMU's and
// KVM's local APICs count at: the rate the kernel expects by default.
const VMMTimerHz = 1_000_000_000

const (
	hostCheckUs = 100 // the shortest span the check trusts
	// hostTolerance is the largest relative difference, in 1/64ths,
	// between the expected rate and the checked one: 8/64 = 12.5 %.
	hostTolerance = 8
)

// rateAgrees returns the rate of a timer that counted ticks in dt TSC
// ticks of a TSC of tscHz, and whether hz is within hostTolerance of it
// over a span of at least hostCheckUs. A count that did not move, or ran
// out (ticks of the whole register over a longer span), measures a rate
// that hz does not match. It has no branch to spare on a boot's first
// translation: the divisor cannot be 0, and the products fit 64 bits for
// any TSC under 4 THz.
func rateAgrees(ticks, dt, hz, tscHz uint64) (measured uint64, ok bool) {
	measured = ticks * (tscHz >> 10) / (dt>>10 | 1)
	diff := max(measured, hz) - min(measured, hz)
	return measured, diff <= measured/64*hostTolerance && dt >= tscHz/(1_000_000/hostCheckUs)
}
