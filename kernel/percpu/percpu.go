// Package percpu holds the parts of the gotoro kernel's per-CPU block that
// depend on nothing else in the kernel: the stand-in for the runtime's g
// that describes a kernel stack (KernelG), and the aligned block that holds
// one thread's FPU and vector registers (FPUArea).
//
// What stays in package kernel: the cpu struct itself (kernel/percpu.go),
// which the trap assembly reads at fixed offsets and which embeds the
// scheduler's run queue, and the code that fills these blocks (the entry
// and trap assembly, the FPU save and restore in fpu_amd64.s).
// docs/next.md (issue 15, "Subsystem packages", 5) plans the rest.
//
// Like the other packages below kernel it has no package init, does not
// allocate and holds addresses as uintptr.
package percpu
