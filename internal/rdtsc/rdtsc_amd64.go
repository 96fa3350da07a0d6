package rdtsc

// Supported reports whether Read reads a real counter on this architecture.
const Supported = true

// Read returns the time-stamp counter. RDTSC is not serializing: it may
// be taken before earlier instructions finish.
func Read() uint64

// Invariant reports CPUID's invariant-TSC bit (leaf 0x80000007, EDX bit
// 8): the counter then ticks at a constant rate in every power state.
func Invariant() bool
