//go:build !gotoro && arm64

package gotoro

// osCPU returns the OS CPU number the thread runs on.
func osCPU() int { return getcpu() }

// sysGetcpu is getcpu's system call number on linux/arm64.
const sysGetcpu = 168
