package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// svmExitShutdown is the SVM exit code of a shutdown (a triple fault) of
// the guest.
const svmExitShutdown = 0x7f

// shutdownTrace sets up a private tracefs instance that records KVM's
// exits for a guest's shutdown (kvm:kvm_exit with that reason: the guest's
// RIP as the exit left it, before KVM re-initializes the vCPU) and returns
// bootcase.Env.ResetInfo reading it. It returns nil if tracing is not
// available (the case logs then lack that part).
func shutdownTrace() func(start bool) string {
	dir := "/sys/kernel/tracing/instances/lane-reset"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Printf("%s no trace of shutdown exits: %v\n", markInfo, err)
		return nil
	}
	ev := filepath.Join(dir, "events/kvm/kvm_exit")
	for _, w := range []struct{ file, val string }{
		{filepath.Join(ev, "filter"), fmt.Sprintf("exit_reason == %d", svmExitShutdown)},
		{filepath.Join(ev, "enable"), "1"},
		{filepath.Join(dir, "tracing_on"), "1"},
	} {
		if err := os.WriteFile(w.file, []byte(w.val), 0); err != nil {
			fmt.Printf("%s no trace of shutdown exits: %v\n", markInfo, err)
			return nil
		}
	}
	trace := filepath.Join(dir, "trace")
	return func(start bool) string {
		if start {
			os.WriteFile(trace, nil, 0) // opening it for writing clears it
			return ""
		}
		b, err := os.ReadFile(trace)
		if err != nil {
			return fmt.Sprintf("KVM's shutdown exits: %v\n", err)
		}
		var lines []string
		for _, l := range strings.Split(string(b), "\n") {
			if l != "" && !strings.HasPrefix(l, "#") {
				lines = append(lines, l)
			}
		}
		if len(lines) == 0 {
			return "KVM traced no shutdown exit\n"
		}
		return "KVM's shutdown exits (kvm:kvm_exit):\n  " + strings.Join(lines, "\n  ") + "\n"
	}
}
