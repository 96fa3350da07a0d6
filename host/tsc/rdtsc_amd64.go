package tsc

// haveTSC reports whether rdtsc reads a real counter on this architecture.
const haveTSC = true

// rdtsc returns the current value of the time-stamp counter (RDTSC). It is
// not serializing; the measurement brackets each clock reading between two
// counter reads and keeps the tightest bracket instead.
func rdtsc() uint64
