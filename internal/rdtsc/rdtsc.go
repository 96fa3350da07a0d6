// Package rdtsc reads the x86 time-stamp counter. It is the one RDTSC of
// the repository for Go code: the guest kernel's clock, the host's
// measurement of the TSC rate (host/tsc) and MPI's timer (mpi) use it.
// Two pieces of kernel assembly read the counter themselves, inside a
// sequence no call may interrupt: the vDSO (it runs as the C library's
// clock_gettime and calls no Go code) and the kvmclock reader (the TSC
// read must fall between two reads of the pvclock version).
//
// It allocates nothing and has no package initialisation, so the kernel
// can use it.
package rdtsc
