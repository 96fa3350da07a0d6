// Package tsc measures the host's time-stamp counter frequency.
//
// Under QEMU TCG the guest's RDTSC reads the host's counter (plus an
// offset), so the host's rate is also the guest's. The gotoro CLI passes it
// to the guest kernel on the command line (tsc_hz), which spares the guest
// an unreliable calibration against emulated timers.
package tsc
