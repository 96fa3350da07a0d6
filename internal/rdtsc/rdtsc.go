// Package rdtsc reads the x86 time-stamp counter. It is the one RDTSC of
// the repository for Go code: the guest kernel's clock, the host's
// measurement of the TSC rate (host/tsc) and MPI's timer (mpi) use it. The
// kernel's vDSO has its own, because it runs as the C library's
// clock_gettime and calls no Go code.
//
// It allocates nothing and has no package initialisation, so the kernel
// can use it.
package rdtsc
