//go:build !gotoro

// The option parser is host code (gotoro run's -kernel-opt): a guest
// never links it, so the kernel, which imports this package, does not
// pull fmt into every program (fmt brings os, reflect and their package
// initializations, ~600 translated blocks at start-up: docs/boot.md).

package bootabi

import (
	"fmt"
	"strings"
)

// KernelOptions are the kernel's tuning options a user may set (gotoro run
// -kernel-opt KEY=VALUE), each with its accepted values, sorted by key.
// They turn off a CPU or hypervisor feature the kernel would otherwise use,
// for working around a host that gets it wrong or for measuring what it
// brings. It is an array, not a map, so the package (which the kernel
// imports) needs no initialisation code.
var KernelOptions = [...]KernelOption{
	{KeyAPICHz, []string{"0"}},                                   // calibrate the one-shot timer instead of checking the expected rate
	{KeyIdlePoll, []string{"0", "10", "20", "50", "100", "200"}}, // µs an idle core watches for work before it halts (0: none)
	{KeyKvmclock, []string{"0"}},                                 // the TSC as the clock even where kvmclock is offered
	{KeyTSCDeadline, []string{"0"}},                              // the one-shot timer even where TSC-deadline is offered
	{KeyVDSO, []string{"0"}},                                     // no vDSO: every clock read is a system call
	{KeyX2apic, []string{"0"}},                                   // xAPIC mode even where x2APIC is offered
	{KeyXsave, []string{"off", "avx"}},                           // FXSAVE only (no AVX); no AVX-512
}

// KernelOption is one kernel option's key and accepted values.
type KernelOption struct {
	Key    string
	Values []string
}

// ParseKernelOption checks one KEY=VALUE kernel option against
// KernelOptions.
func ParseKernelOption(s string) (Param, error) {
	k, v, ok := strings.Cut(s, "=")
	var vals []string
	known := false
	for _, o := range KernelOptions {
		if o.Key == k {
			vals, known = o.Values, true
		}
	}
	if !ok || !known {
		keys := make([]string, 0, len(KernelOptions))
		for _, o := range KernelOptions {
			keys = append(keys, o.Key)
		}
		return Param{}, fmt.Errorf("kernel option %q: want KEY=VALUE with KEY one of %s", s, strings.Join(keys, ", "))
	}
	for _, a := range vals {
		if v == a {
			return Param{Key: k, Value: v}, nil
		}
	}
	return Param{}, fmt.Errorf("kernel option %s: value %q not accepted (want %s)", k, v, strings.Join(vals, " or "))
}
