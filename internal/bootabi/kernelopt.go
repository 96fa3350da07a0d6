package bootabi

import (
	"fmt"
	"sort"
	"strings"
)

// KernelOptions are the kernel's tuning options a user may set (gotoro run
// -kernel-opt KEY=VALUE), each with its accepted values. They turn off a
// CPU or hypervisor feature the kernel would otherwise use, for working
// around a host that gets it wrong or for measuring what it brings.
var KernelOptions = map[string][]string{
	KeyXsave:       {"off", "avx"}, // FXSAVE only (no AVX); no AVX-512
	KeyKvmclock:    {"0"},          // the TSC as the clock even where kvmclock is offered
	KeyX2apic:      {"0"},          // xAPIC mode even where x2APIC is offered
	KeyTSCDeadline: {"0"},          // the one-shot timer even where TSC-deadline is offered
	KeyVDSO:        {"0"},          // no vDSO: every clock read is a system call
}

// KeyVDSO turns the vDSO off (vdso=0).
const KeyVDSO = "vdso"

// ParseKernelOption checks one KEY=VALUE kernel option against
// KernelOptions.
func ParseKernelOption(s string) (Param, error) {
	k, v, ok := strings.Cut(s, "=")
	vals, known := KernelOptions[k]
	if !ok || !known {
		keys := make([]string, 0, len(KernelOptions))
		for k := range KernelOptions {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return Param{}, fmt.Errorf("kernel option %q: want KEY=VALUE with KEY one of %s", s, strings.Join(keys, ", "))
	}
	for _, a := range vals {
		if v == a {
			return Param{Key: k, Value: v}, nil
		}
	}
	return Param{}, fmt.Errorf("kernel option %s: value %q not accepted (want %s)", k, v, strings.Join(vals, " or "))
}
