//go:build !amd64

package rdtsc

// Supported reports whether Read reads a real counter on this architecture.
const Supported = false

// Read returns 0: there is no time-stamp counter.
func Read() uint64 { return 0 }

// Invariant returns false: there is no time-stamp counter.
func Invariant() bool { return false }
