// Package prof is gotoro's sampling profiler for guests: it stops the
// guest's vCPUs through QEMU's monitor (package host/qmp) at a fixed rate,
// reads every vCPU's RIP, RSP and RBP, walks the frame-pointer chain through
// guest memory (crossing from the kernel's entry frames back into the Go
// code that entered the kernel), symbolizes the stacks with the image's own
// pcln table, and writes a flat per-vCPU report and a pprof profile.
//
// Kernel time is named as such: a sample taken in the kernel carries a
// pseudo-frame for how the kernel was entered (system call and its number,
// interrupt or exception vector), and a halted vCPU is "idle (hlt)".
package prof
