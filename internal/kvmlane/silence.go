package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The nested guest's runner prints a heartbeat (markAlive) every
// heartbeatEvery while it runs, whatever the case in progress is doing:
// cases bound their own guests with time limits, so a console that stays
// silent for minutes means L1 itself stopped running (its kernel, or L0's
// emulation of it), not a slow case. The host then samples L1's registers
// and ends the run instead of waiting for the whole-run limit.
const (
	heartbeatEvery = 30 * time.Second
	// silenceBeforeUp bounds the silence before the runner is up. Linux's
	// boot under TCG, with its console at loglevel 3, prints little, but
	// the runner is normally up 6 s after QEMU starts; a boot still
	// silent after this long is stuck and is booted again (bootUntilUp).
	silenceBeforeUp = 3 * time.Minute
)

// console follows what the nested guest last printed, for the silence
// watchdog.
type console struct {
	mu   sync.Mutex
	last time.Time // when the last line arrived
	up   bool      // the runner has said it is up
	cas  string    // the case that started last
	// stuck is L1's latest soft-lockup report and stuckFor the time it
	// names: a CPU of L1 that runs kernel code without a break for
	// minutes is stuck even while the runner still prints its heartbeat
	// on the other CPUs.
	stuck    string
	stuckFor time.Duration
	// wedged is what the runner said when it asked for L1 to be booted
	// again (markWedged: L1 lost a wake-up, lostwake.go).
	wedged string
	// named is the runner's line that named L1's lost wake-up before it
	// kicked L1's CPUs ("" after a kick that cured it): a silence after
	// it is the same fault taking the rest of L1 (lostwake.go).
	named string
	// syms is L1's kernel text and INT3 path as its runner reported them
	// (markText), for dropping L0's translations of it (flush.go).
	syms kernelSyms
}

func newConsole(now time.Time) *console { return &console{last: now} }

// saw records a line read at now. A line of L1's kernel log (its
// timestamp in brackets) does not count as L1 running: a stuck L1 keeps
// printing soft-lockup complaints every few seconds, which must not hide
// the silence of its runner.
func (c *console) saw(line string, now time.Time) {
	// Only the runner's own line asks for a reboot: a guest's console
	// line that -v shows ("  [prog] …") may hold anything.
	raw := strings.TrimLeft(line, "\x00\r")
	wedged := strings.HasPrefix(raw, markWedged)
	info, isInfo := strings.CutPrefix(raw, markInfo)
	info = strings.TrimSpace(info)
	named, cured := isInfo && strings.HasPrefix(info, wakeNamed), isInfo && strings.HasPrefix(info, wakeCured)
	if i := strings.Index(line, "LANE-"); i > 0 {
		line = line[i:]
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if kernelLogLine(line) {
		if d, ok := softLockup(line); ok && d > c.stuckFor {
			c.stuck, c.stuckFor = line, d
		}
		return
	}
	c.last = now
	switch {
	case strings.HasPrefix(line, markUp):
		c.up = true
	case strings.HasPrefix(line, markRun):
		c.cas = strings.TrimSpace(strings.TrimPrefix(line, markRun))
	case named:
		c.named = info
	case cured:
		c.named = ""
	case wedged:
		if c.wedged == "" {
			c.wedged = strings.TrimSpace(strings.TrimPrefix(line, markWedged))
		}
	case strings.HasPrefix(line, markText):
		if ks, err := parseKernelSyms(strings.TrimPrefix(line, markText)); err == nil {
			c.syms = ks
		}
	}
}

// state returns how long the console has been quiet at now, whether the
// runner is up, the case that started last and L1's kernel symbols.
func (c *console) state(now time.Time) (quiet time.Duration, up bool, cas string, syms kernelSyms) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return now.Sub(c.last), c.up, c.cas, c.syms
}

// lostWakeup returns what the runner said when it asked for L1 to be
// booted again (markWedged), or "", and the case that started last.
func (c *console) lostWakeup() (string, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wedged, c.cas
}

// wakeNamed returns the runner's line that named L1's lost wake-up,
// unless a kick cured it since.
func (c *console) wakeNamed() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.named
}

// silent reports whether the console has been quiet at now for longer than
// its limit (after, before the runner is up), for how long, and the case
// that started last.
func (c *console) silent(now time.Time, after, before time.Duration) (bool, time.Duration, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	quiet := now.Sub(c.last)
	limit := before
	if c.up {
		limit = after
	}
	return quiet > limit, quiet, c.cas
}

// lockedUp reports L1's latest soft-lockup line, the case that started
// last and how long the line says the CPU has been stuck. A report of at
// most forgive is dropped instead: the lockup of a silence the lane
// recovered from, which L1's kernel reports once it runs again.
func (c *console) lockedUp(forgive time.Duration) (string, string, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stuckFor > 0 && c.stuckFor <= forgive {
		c.stuck, c.stuckFor = "", 0
	}
	return c.stuck, c.cas, c.stuckFor
}

// lockupReboot is how long a CPU of L1 may be stuck in L1's kernel
// during a case before the lane boots L1 again. A gotoro guest runs in
// L2: on a sound host nothing it does holds one of L1's CPUs in L1's
// kernel for minutes. KVM's run loop gives the CPU back to L1's
// scheduler at every exit it does not handle in place. Every lockup seen
// here was a CPU of L1 waiting in smp_call_function_many_cond for a
// cross-call IPI that no CPU of L1 answered: both vCPU threads of
// faults/cpus=2 for 309 s (2026-12-07), a gotoro QEMU's kvm_destroy_vm
// (boot-bench, ci-check12b), and khugepaged's huge-page collapse during
// wake/cpus=4 (the project's CI of 677338a, which the lane then failed,
// since the rule named only the guests' QEMU threads). Any task's lockup
// counts now; a lockup that comes back in every boot still fails the run
// after two reboots.
const lockupReboot = 2 * time.Minute

// softLockup returns how long Linux's soft-lockup report in line says a
// CPU has been stuck ("watchdog: BUG: soft lockup - CPU#3 stuck for 79s!").
func softLockup(line string) (time.Duration, bool) {
	_, rest, ok := strings.Cut(line, "soft lockup - CPU#")
	if !ok {
		return 0, false
	}
	_, rest, ok = strings.Cut(rest, " stuck for ")
	if !ok {
		return 0, false
	}
	secs, _, ok := strings.Cut(rest, "s!")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(secs)
	if err != nil || n < 0 {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

// silenceMessage says why the watchdog ended the run.
func silenceMessage(quiet time.Duration, cas string) string {
	return fmt.Sprintf("the nested guest printed nothing for %v, not even its runner's heartbeat (every %v), %s", quiet.Round(time.Second), heartbeatEvery, inCase(cas))
}

func inCase(cas string) string {
	if cas == "" {
		return "before its runner was up"
	}
	return "in case " + cas
}

// heartbeat prints markAlive every heartbeatEvery until ctx ends (in L1),
// and records in stalls every gap between two beats longer than
// stallGap: a span in which L1 did not run (a host that starved it, or
// L0's stale translation until the host recovered it, stale.go).
func heartbeat(ctx context.Context, stalls *stallLog, print func(), info func(string)) {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// The tick's own time is when it was due, not when L1 ran
			// again: take the clock.
			now := time.Now()
			if gap := now.Sub(last); gap > stallGap {
				stalls.add(last, now)
				info(fmt.Sprintf("L1 did not run its heartbeat for %v (stopped, or starved by the host)", gap.Round(time.Second)))
			}
			last = now
			print()
		}
	}
}

// stallGap is the gap between two heartbeats that counts as a stall of L1.
const stallGap = 2 * heartbeatEvery

// stallLog is the spans in which L1 did not run (L1 side).
type stallLog struct {
	mu    sync.Mutex
	spans [][2]time.Time
}

func (s *stallLog) add(from, to time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spans = append(s.spans, [2]time.Time{from, to})
}

// during returns the longest stall that overlaps [from, to], if any.
func (s *stallLog) during(from, to time.Time) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var longest time.Duration
	found := false
	for _, sp := range s.spans {
		if sp[1].Before(from) || sp[0].After(to) {
			continue
		}
		longest, found = max(longest, sp[1].Sub(sp[0])), true
	}
	return longest, found
}

// kernelLogLine reports whether line is a Linux kernel message as its
// console prints it: "[ 117.215680] watchdog: BUG: soft lockup ...".
func kernelLogLine(line string) bool {
	rest, ok := strings.CutPrefix(strings.TrimLeft(line, "\x00"), "[")
	if !ok {
		return false
	}
	stamp, _, ok := strings.Cut(rest, "] ")
	if !ok {
		return false
	}
	stamp = strings.TrimLeft(stamp, " ")
	secs, frac, ok := strings.Cut(stamp, ".")
	return ok && secs != "" && frac != "" && strings.Trim(secs, "0123456789") == "" && strings.Trim(frac, "0123456789") == ""
}
