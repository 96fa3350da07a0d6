package main

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Every soft lockup of L1 seen so far was a CPU waiting in
// smp_call_function_many_cond for a cross-call that no other CPU ran,
// while those CPUs sat idle in HLT (docs/kvm.md, "L1's lockups"): the
// IPI was lost in L0. Linux runs a CPU's queued cross-calls when the CPU
// leaves its idle loop, so a thread woken onto each idle CPU (a
// reschedule IPI, another vector) would run the lost one. The runner
// tries that at a CPU's first lockup report and says how long each CPU
// took to run its thread: a CPU that answers nothing is the one that
// lost its interrupts, and a lockup that ends after the kick was a lost
// IPI. The lane still reboots L1 when the lockup goes on (lockupReboot).

// kickWait bounds how long kickCPUs waits for the threads it starts.
const kickWait = 10 * time.Second

// lockupCPU returns the CPU that a soft-lockup line names ("watchdog:
// BUG: soft lockup - CPU#1 stuck for 23s! [khugepaged:47]").
func lockupCPU(line string) (int, bool) {
	_, rest, ok := strings.Cut(line, "soft lockup - CPU#")
	if !ok {
		return 0, false
	}
	n, _, _ := strings.Cut(rest, " ")
	cpu, err := strconv.Atoi(n)
	if err != nil || cpu < 0 {
		return 0, false
	}
	return cpu, true
}

// kickCPUs runs a short thread pinned to each of the CPUs 0..ncpu-1
// except skip and reports how long each took to run there, or that it
// did not within wait.
func kickCPUs(ncpu, skip int, wait time.Duration) string {
	type result struct {
		cpu  int
		took time.Duration
		err  error
	}
	done := make(chan result, ncpu)
	n := 0
	for cpu := range ncpu {
		if cpu == skip {
			continue
		}
		n++
		go func() {
			// The thread ends with the goroutine (no unlock), and its
			// affinity with it.
			runtime.LockOSThread()
			var set unix.CPUSet
			set.Set(cpu)
			start := time.Now()
			// Linux moves the calling thread before the call returns:
			// the return is the thread running on cpu.
			err := unix.SchedSetaffinity(0, &set)
			done <- result{cpu, time.Since(start), err}
		}()
	}
	took := make(map[int]string, n)
	timeout := time.After(wait)
	for range n {
		select {
		case r := <-done:
			if r.err != nil {
				took[r.cpu] = fmt.Sprintf("not pinned (%v)", r.err)
			} else {
				took[r.cpu] = "ran in " + r.took.Round(10*time.Microsecond).String()
			}
		case <-timeout:
		}
	}
	var out []string
	for cpu := range ncpu {
		if cpu == skip {
			continue
		}
		what, ok := took[cpu]
		if !ok {
			what = fmt.Sprintf("did not run within %v", wait)
		}
		out = append(out, fmt.Sprintf("CPU%d %s", cpu, what))
	}
	return strings.Join(out, ", ")
}
