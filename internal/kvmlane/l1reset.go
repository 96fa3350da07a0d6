package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gotoro/gotoro/host/qmp"
)

// watchL1 polls the nested guest's QEMU (L0, run with -no-shutdown) for
// a stop: a powered-off L1 is the normal end, a reset (L1's own triple
// fault, or its reboot) is not. Either way it saves L1's registers to
// the file stop when L1 did not power off cleanly, points at QEMU's
// log of CPU resets and guest errors, and then ends QEMU with kill. It
// returns "powered off", "reset" or "" (QEMU exited by itself, or ctx
// ended). Every second it also runs the silence watchdog w (stale.go):
// when that gives up, it takes L1's panic report (an NMI), ends QEMU and
// returns "silent: " and the reason, or "lockup: " and the reason
// without the NMI when a CPU of L1 is stuck for longer than lockupReboot
// (L1 is then booted again). When provoke turns true, it makes L1
// reset itself (provokeL1Reset, for -provoke-l1-reset).
func watchL1(ctx context.Context, monitor, work, stop string, st *stepper, kill func(), w *silenceWatch, provoke, provokeWake *atomic.Bool, wakeCPU int) string {
	dctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	c, err := qmp.Dial(dctx, monitor)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			st.logf("no monitor of the nested guest: %v", err)
		}
		return ""
	}
	defer c.Close()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ""
		case now := <-tick.C:
			if msg := w.step(ctx, c, work, st, now); msg != "" {
				sampleSilentL1(c, work, msg, st)
				if w.l1Lockup {
					// The runner printed the stuck CPUs' reports
					// (kmsglockup.go); an NMI would show CPU 0's.
					kill()
					return "lockup: " + msg
				}
				if w.l1LostWakeup {
					// The runner printed its report (lostwake.go). L1 is
					// not asked to power off: its power-off waits on
					// the CPU that lost the wake-up (ci-check14c).
					kill()
					return "wakeup: " + msg
				}
				nmiPanicL1(ctx, c, work, st)
				kill()
				return "silent: " + msg
			}
			if provokeWake.CompareAndSwap(true, false) {
				if err := provokeLostWakeup(ctx, c, work, &w.gdbStarted, wakeCPU); errors.Is(err, errNoL1CPU) {
					provokeWake.Store(true) // the next second
				} else if err != nil {
					st.logf("-provoke-lost-wakeup: %v", err)
				} else {
					st.logf("-provoke-lost-wakeup: cleared the interrupt flag of L1's vCPU %d, halted in its idle loop, through L0's gdbstub (a fault injection): it takes no interrupt any more, and a task woken onto it never runs", wakeCPU)
				}
			}
			if provoke.CompareAndSwap(true, false) {
				if err := provokeL1Reset(ctx, c, work, &w.gdbStarted); errors.Is(err, errNoL1CPU) {
					provoke.Store(true) // the next second
				} else if err != nil {
					st.logf("-provoke-l1-reset: %v", err)
				} else {
					st.logf("-provoke-l1-reset: cleared L1's IDT through L0's gdbstub; its next interrupt triple-faults")
				}
			}
		}
		s, err := c.Status()
		if err != nil {
			return "" // QEMU has gone
		}
		if s.Status != "shutdown" {
			continue
		}
		// -no-shutdown keeps a powered-off L1 too: QEMU's log tells a
		// triple fault (a reboot Linux asked for says why on the
		// console).
		regs, err := c.HMP("info registers -a")
		if err != nil {
			regs = err.Error()
		}
		log, _ := os.ReadFile(filepath.Join(work, "l0-qemu.log"))
		what := "powered off"
		if strings.Contains(string(log), "Triple fault") {
			what = "reset"
			os.WriteFile(stop, []byte(regs), 0o644)
			st.logf("the nested guest reset itself (a triple fault of Linux at L1: the emulation's, see docs/kvm.md); its registers: %s; QEMU's log of resets and guest errors: %s", stop, filepath.Join(work, "l0-qemu.log"))
			for _, l := range strings.Split(regs, "\n") {
				if t := strings.TrimSpace(l); strings.HasPrefix(t, "CPU#") || strings.HasPrefix(t, "RIP=") || strings.HasPrefix(t, "CR0=") {
					st.logf("  %s", t)
				}
			}
		}
		kill()
		return what
	}
}

// sampleSilentL1 saves L1's registers three times, two seconds apart, to
// work/l1-silent.txt, then its registers with every local APIC
// (lookAtLAPICs), and logs each vCPU's RIP and halt state per sample:
// a vCPU whose RIP stays put spins or halts there (HLT=1); CR3 and the
// segment bases in the file tell L1's kernel from a gotoro guest run
// inside it.
func sampleSilentL1(c *qmp.Client, work, msg string, st *stepper) [][]vcpuSample {
	st.logf("%s; sampling L1's registers", msg)
	var all strings.Builder
	var samples [][]vcpuSample
	for i := 1; i <= 3; i++ {
		if i > 1 {
			time.Sleep(2 * time.Second)
		}
		regs, err := c.HMP("info registers -a")
		if err != nil {
			regs = err.Error()
		}
		fmt.Fprintf(&all, "=== sample %d at %s\n%s\n", i, time.Now().Format(time.RFC3339Nano), regs)
		samples = append(samples, parseVCPUs(regs))
		var rips []string
		for _, l := range strings.Split(regs, "\n") {
			t := strings.TrimSpace(l)
			if strings.HasPrefix(t, "RIP=") {
				rip, _, _ := strings.Cut(t, " ")
				rips = append(rips, rip)
			}
			if i := strings.Index(t, "HLT="); i >= 0 && len(rips) > 0 {
				rips[len(rips)-1] += "(" + t[i:i+5] + ")"
			}
		}
		st.logf("  sample %d: %s", i, strings.Join(rips, " "))
	}
	out := filepath.Join(work, "l1-silent.txt")
	if err := os.WriteFile(out, []byte(all.String()), 0o644); err != nil {
		st.logf("saving L1's registers: %v", err)
	}
	// Is an interrupt pending where a vCPU sleeps? (L0 losing one.)
	dump, verdicts := lookAtLAPICs(c)
	st.logf("L1's vCPUs with their local APICs (lapic.go):")
	for _, v := range verdicts {
		st.logf("  %s", v)
	}
	if err := appendFile(out, dump); err != nil {
		st.logf("saving L1's local APICs: %v", err)
	}
	return samples
}

// nmiPanicWait bounds how long the lane waits for L1's panic report after
// the NMI: the report is a few kilobytes through a TCG serial port.
const nmiPanicWait = 30 * time.Second

// nmiPanicL1 sends an NMI to every vCPU of a silent L1. L1 is booted with
// unknown_nmi_panic (l1Cmdline), so the first vCPU to take it panics and
// prints, at the console's full verbosity, its registers and the call
// trace of what it had interrupted, with L1's own symbols (the Debian
// kernel package carries no System.map, and the randomised base makes
// the sampled RIPs unreadable without one). The report lands in
// work/l1.log; this waits until it ends or nmiPanicWait passes.
func nmiPanicL1(ctx context.Context, c *qmp.Client, work string, st *stepper) {
	if _, err := c.Execute("inject-nmi", nil); err != nil {
		st.logf("could not send L1 an NMI for its panic report: %v", err)
		return
	}
	st.logf("sent L1 an NMI (unknown_nmi_panic): its panic report goes to %s", filepath.Join(work, "l1.log"))
	deadline := time.Now().Add(nmiPanicWait)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		b, _ := os.ReadFile(filepath.Join(work, "l1.log"))
		if strings.Contains(string(b), "end Kernel panic") {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	st.logf("L1 printed no end of a panic report within %v", nmiPanicWait)
}

// panicReport returns the lines of L1's console from its first NMI or
// panic line on, at most max of them: what nmiPanicL1 provoked.
func panicReport(console string, max int) []string {
	lines := strings.Split(console, "\n")
	for i, l := range lines {
		if strings.Contains(l, "NMI") || strings.Contains(l, "Kernel panic") {
			lines = lines[i:]
			if len(lines) > max {
				lines = lines[:max]
			}
			return lines
		}
	}
	return nil
}

// keepSilentConsole copies L1's console of a silent run to
// work/l1-silent.log, which the next lane run does not overwrite, and
// prints the panic report the NMI provoked (see nmiPanicL1) into the
// lane's own output, so that a CI log shows where L1 was stuck.
func keepSilentConsole(work string, st *stepper) {
	b, err := os.ReadFile(filepath.Join(work, "l1.log"))
	if err != nil {
		st.logf("keeping L1's console: %v", err)
		return
	}
	if err := os.WriteFile(filepath.Join(work, "l1-silent.log"), b, 0o644); err != nil {
		st.logf("keeping L1's console: %v", err)
	}
	report := panicReport(string(b), 120)
	if len(report) == 0 {
		st.logf("L1's console holds no panic report")
		return
	}
	st.logf("L1's panic report after the NMI:")
	for _, l := range report {
		st.logf("  | %s", strings.TrimRight(l, "\r"))
	}
}

// earlyTail is how much of L1's console the lane prints when L1 stopped
// before its runner finished.
const earlyTail = 60

// keepEarlyConsole copies L1's console to work/l1-early.log when L1
// stopped before its runner said it was done (a panic of L1, its init
// dying), and prints its last lines into the lane's output: the next run
// rewrites l1.log.
func keepEarlyConsole(work string, st *stepper) {
	b, err := os.ReadFile(filepath.Join(work, "l1.log"))
	if err != nil {
		st.logf("keeping L1's console: %v", err)
		return
	}
	out := filepath.Join(work, "l1-early.log")
	if err := os.WriteFile(out, b, 0o644); err != nil {
		st.logf("keeping L1's console: %v", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > earlyTail {
		lines = lines[len(lines)-earlyTail:]
	}
	st.logf("the nested guest stopped before its runner finished; the end of its console (all of it: %s):", out)
	for _, l := range lines {
		st.logf("  | %s", strings.TrimRight(l, "\r"))
	}
}
