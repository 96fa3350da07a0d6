//go:build !gotoro

package gotoro

// hasRDTSCP reports whether RDTSCP exists; Linux keeps the CPU number in
// its TSC_AUX register, which makes it the cheapest way to ask.
var hasRDTSCP = cpuidRDTSCP()

// osCPU returns the OS CPU number the thread runs on.
func osCPU() int {
	if hasRDTSCP {
		return int(rdtscpAux() & 0xfff)
	}
	return getcpu()
}

func cpuidRDTSCP() bool
func rdtscpAux() uint32

// sysGetcpu is getcpu's system call number on linux/amd64.
const sysGetcpu = 309
