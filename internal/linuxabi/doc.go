// Package linuxabi is the Linux x86-64 system-call interface as gotoro's
// kernel serves it and its host tools name it: system-call numbers and
// names, errno values and names.
//
// It is the one definition of these numbers in the repository: the kernel
// dispatches through a table indexed by them (kernel/systab.go), -ktrace
// and the profiler (host/prof) print their names. The lists are generated
// from golang.org/x/sys/unix (gen.go) and checked against the standard
// library's syscall package by the tests.
//
// Everything here is constants, static tables and functions that allocate
// nothing, so the guest kernel can use it.
package linuxabi

//go:generate go run gen.go
