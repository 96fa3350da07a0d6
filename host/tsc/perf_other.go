//go:build !(linux && amd64)

package tsc

// kernelHz is not available: the rate is measured.
func kernelHz() (uint64, bool) { return 0, false }
