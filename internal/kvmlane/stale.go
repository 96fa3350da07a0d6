package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gotoro/gotoro/host/qmp"
)

// What the lane does when L1 goes silent (docs/kvm.md, "Running it").
//
// The known cause is L0's: QEMU 7.2's TCG keeps running a translated block
// of L1's kernel after L1 rewrote the code under it (a static key's patch
// site in __schedule, still an INT3 in the translation, a JMP or NOP in
// memory). Linux's INT3 handler finds no INT3 in memory and returns to
// the site so the new instruction runs, and L0 runs its stale translation
// again: every vCPU of L1 loops between the site and the handler with
// interrupts off, never halted, and L1 prints nothing more. Making L0
// drop its translations of L1's kernel text (flush.go) breaks the loop.
//
// The watchdog looks at L1 after silenceCheck without a line from its
// runner (three missed heartbeats: L1 stopped, not a slow case) and
// samples its registers. If they show that signature it drops L0's
// translations at once; otherwise it waits to the -silence bound and
// then tries the same before giving up. If the runner talks again within
// flushWait it counts a recovery and the run goes on; if not, the lane
// takes L1's panic report (an NMI) and fails the run as before.

// Bounds of the silence watchdog.
const (
	// silenceCheck is the silence after which the watchdog first samples
	// L1's registers: three heartbeats missed.
	silenceCheck = 3 * heartbeatEvery
	// flushWait is how long the watchdog waits for the runner to talk
	// after L0 dropped its translations: the next heartbeat and a margin.
	flushWait = heartbeatEvery + 45*time.Second
)

// kernelText is the span of L1's kernel text, from _stext to _etext, in
// L1's virtual addresses (its runner reads /proc/kallsyms: KASLR moves it
// on every boot).
type kernelText struct{ start, end uint64 }

func (t kernelText) size() uint64 {
	if t.end <= t.start {
		return 0
	}
	return t.end - t.start
}

// String is the runner's report of ks: the text's START END, then the
// INT3 path's functions as START END pairs, in hex.
func (ks kernelSyms) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%x %x", ks.text.start, ks.text.end)
	for _, r := range ks.int3 {
		fmt.Fprintf(&b, " %x %x", r.start, r.end)
	}
	return b.String()
}

// parseKernelSyms parses the runner's report (kernelSyms.String).
func parseKernelSyms(s string) (kernelSyms, error) {
	f := strings.Fields(s)
	if len(f) < 2 || len(f)%2 != 0 {
		return kernelSyms{}, fmt.Errorf("kernel symbols %q: want START END pairs in hex", s)
	}
	var rs []kernelText
	for i := 0; i < len(f); i += 2 {
		start, err1 := strconv.ParseUint(f[i], 16, 64)
		end, err2 := strconv.ParseUint(f[i+1], 16, 64)
		if err1 != nil || err2 != nil || end <= start || end-start > 1<<30 {
			return kernelSyms{}, fmt.Errorf("kernel symbols %q: want START END pairs in hex, START below END", s)
		}
		rs = append(rs, kernelText{start, end})
	}
	return kernelSyms{text: rs[0], int3: rs[1:]}, nil
}

func (t kernelText) contains(a uint64) bool { return a >= t.start && a < t.end }

// vcpuSample is one vCPU of L1 in one register dump of L0's monitor.
type vcpuSample struct {
	CPU    int
	RIP    uint64
	CPL    int
	IF     bool // RFL's interrupt flag
	Halted bool
}

// kernelHalf is where x86-64 kernel addresses start (the upper half).
const kernelHalf = 0xffff800000000000

// parseVCPUs reads each vCPU's RIP, RFL, CPL and HLT from L0's
// "info registers -a" dump ("CPU#N" headers, then "RIP=… RFL=… CPL=N …
// HLT=N" on one line).
// vcpuHeader reports whether line (trimmed) starts a vCPU's part of an
// "info registers -a" dump ("CPU#3"), and that vCPU's number; a header
// whose number does not parse keeps cur.
func vcpuHeader(line string, cur int) (int, bool) {
	rest, ok := strings.CutPrefix(line, "CPU#")
	if !ok {
		return cur, false
	}
	if n, err := strconv.Atoi(strings.Fields(rest + " ")[0]); err == nil {
		return n, true
	}
	return cur, true
}

func parseVCPUs(dump string) []vcpuSample {
	var out []vcpuSample
	cpu := 0
	for _, line := range strings.Split(dump, "\n") {
		line = strings.TrimSpace(line)
		if n, ok := vcpuHeader(line, cpu); ok {
			cpu = n
			continue
		}
		if !strings.HasPrefix(line, "RIP=") {
			continue
		}
		v := vcpuSample{CPU: cpu, CPL: -1}
		ok := true
		for _, f := range strings.Fields(line) {
			name, val, _ := strings.Cut(f, "=")
			switch name {
			case "RIP":
				n, err := strconv.ParseUint(val, 16, 64)
				v.RIP, ok = n, ok && err == nil
			case "RFL":
				n, err := strconv.ParseUint(val, 16, 64)
				v.IF, ok = n&(1<<9) != 0, ok && err == nil
			case "CPL":
				n, err := strconv.Atoi(val)
				v.CPL, ok = n, ok && err == nil
			case "HLT":
				v.Halted = val == "1"
			}
		}
		if ok && v.CPL >= 0 {
			out = append(out, v)
		}
	}
	return out
}

// staleLoop reports whether register samples show L0's stale-translation
// loop: some vCPU of L1, not halted and with interrupts off, inside the
// functions a CPU runs through when it traps on an INT3 (int3, from L1's
// kallsyms). In the loop the other vCPUs spin on the locks the looping
// one holds (its run queue's), with interrupts off too, or halt.
func staleLoop(samples [][]vcpuSample, int3 []kernelText) bool {
	for _, s := range samples {
		for _, v := range s {
			if v.Halted || v.IF || v.CPL != 0 {
				continue
			}
			for _, r := range int3 {
				if r.contains(v.RIP) {
					return true
				}
			}
		}
	}
	return false
}

// kernelCPU returns a vCPU of the last sample that runs L1's kernel, whose
// page tables map L1's kernel text (a vCPU inside a nested guest uses the
// guest's), or -1.
func kernelCPU(samples [][]vcpuSample) int {
	if len(samples) == 0 {
		return -1
	}
	for _, v := range samples[len(samples)-1] {
		if v.CPL == 0 && v.RIP >= kernelHalf {
			return v.CPU
		}
	}
	return -1
}

// silenceAction is what the watchdog does next about a quiet console.
type silenceAction int

const (
	actWait      silenceAction = iota // nothing yet
	actSample                         // take L1's registers and look
	actFlush                          // make L0 drop its translations of L1's kernel
	actRecovered                      // the runner talks again after a flush
	actReport                         // give up: NMI report, fail the run
)

func (a silenceAction) String() string {
	return [...]string{"wait", "sample", "flush", "recovered", "report"}[a]
}

// silenceEpisode is what the watchdog did during one silence.
type silenceEpisode struct {
	sampled bool          // the registers were taken
	loop    bool          // and showed the stale-translation loop
	flushed bool          // L0's translations were dropped
	flushAt time.Duration // the silence's length then
}

// nextSilenceAction decides, from the silence's length quiet, the first
// look's bound check, the final bound limit and what was done so far,
// what the watchdog does now. canFlush is false when recovery is off or
// impossible (no kernel text known).
func nextSilenceAction(quiet, check, limit time.Duration, ep silenceEpisode, canFlush bool) silenceAction {
	switch {
	case quiet < check:
		if ep.flushed {
			return actRecovered
		}
		return actWait
	case !ep.sampled:
		return actSample
	case ep.flushed:
		if quiet-ep.flushAt >= flushWait {
			return actReport
		}
		return actWait
	case canFlush && (ep.loop || quiet >= limit):
		return actFlush
	case quiet >= limit:
		return actReport
	}
	return actWait
}

// silenceWatch is the silence watchdog's state over a run (host side).
type silenceWatch struct {
	con *console
	// check and limit are the first look's and the final bound once the
	// runner is up (silenceBeforeUp bounds the boot); limit 0 turns the
	// watchdog off.
	check, limit time.Duration
	recover      bool // drop L0's translations before giving up
	ep           silenceEpisode
	samples      [][]vcpuSample
	longest      time.Duration // the current silence's length so far
	gdbStarted   bool
	// recoveries describes each silence the run came back from; the
	// last one ended at recoveredAt and lasted recoveredFor.
	recoveries   []string
	recoveredAt  time.Time
	recoveredFor time.Duration
	// notUp says the watchdog gave up before the runner was up.
	notUp bool
	// l1Lockup says the watchdog gave up on a CPU of L1 stuck for
	// longer than lockupReboot: L1 is booted again.
	l1Lockup bool
	// l1LostWakeup says the runner asked for L1 to be booted again
	// after its lost wake-up (markWedged).
	l1LostWakeup bool
}

// step looks at the console at now and acts (sample, flush, log a
// recovery); it returns why the run must end, or "".
func (w *silenceWatch) step(ctx context.Context, c *qmp.Client, work string, st *stepper, now time.Time) string {
	if why, cas := w.con.lostWakeup(); why != "" {
		// With -recover=false it ends the run as a silent L1 does.
		w.l1LostWakeup = w.recover
		return fmt.Sprintf("L1 lost a wake-up %s: %s", inCase(cas), why)
	}
	if named := w.con.wakeNamed(); named != "" {
		// The runner named a lost wake-up and then went silent: the
		// stopped CPU took the rest of L1 with it (the injected one did,
		// docs/kvm.md). The same reboot, after the first look's silence.
		if quiet, _, cas, _ := w.con.state(now); quiet >= w.check {
			w.l1LostWakeup = w.recover
			return fmt.Sprintf("L1 lost a wake-up %s and then printed nothing for %v (its runner: %s)", inCase(cas), quiet.Round(time.Second), named)
		}
	}
	if w.limit <= 0 {
		return ""
	}
	quiet, up, cas, syms := w.con.state(now)
	text := syms.text
	check, limit := w.check, w.limit
	if !up {
		check, limit = silenceBeforeUp, silenceBeforeUp
	}
	if check > limit {
		check = limit
	}
	if quiet >= check {
		w.longest = max(w.longest, quiet)
	}
	canFlush := w.recover && text.size() > 0 && kernelCPU(w.samples) >= 0
	switch nextSilenceAction(quiet, check, limit, w.ep, canFlush) {
	case actWait:
		if quiet < check && w.ep.sampled {
			st.logf("the nested guest talks again after %v of silence %s", w.longest.Round(time.Second), inCase(cas))
		}
		if quiet < check {
			w.ep, w.samples, w.longest = silenceEpisode{}, nil, 0
		}
	case actSample:
		w.samples = sampleSilentL1(c, work, silenceMessage(quiet, cas), st)
		w.ep.sampled, w.ep.loop, w.ep.flushAt = true, staleLoop(w.samples, syms.int3), quiet
		if w.ep.loop {
			st.logf("a vCPU of L1 is in its INT3 handler with interrupts off: the signature of L0's stale translation (docs/kvm.md)")
		} else {
			st.logf("L1's vCPUs do not show L0's stale-translation loop; waiting up to %v of silence", limit)
		}
		if !w.recover {
			st.logf("-recover=false: L0's translations will not be dropped")
		}
	case actFlush:
		cpu := kernelCPU(w.samples)
		st.logf("making L0 drop its translations of L1's kernel text (%#x-%#x, %d KiB) through its gdbstub, as vCPU %d sees it", text.start, text.end, text.size()>>10, cpu)
		fs, err := dropL1Translations(ctx, c, work, &w.gdbStarted, cpu, text)
		w.ep.flushed, w.ep.flushAt = true, quiet+fs.took
		if err != nil {
			st.logf("dropping L0's translations failed (%v); waiting %v for the runner anyway", err, flushWait)
			break
		}
		st.logf("L0 dropped its translations: %d KiB of L1's kernel text rewritten unchanged in %v with L1 stopped (%d chunks unreadable); waiting up to %v for the runner", fs.bytes>>10, fs.took.Round(time.Millisecond), fs.skipped, flushWait)
	case actRecovered:
		what := "a silence with another signature"
		if w.ep.loop {
			what = "L0's stale-translation loop"
		}
		msg := fmt.Sprintf("silent for %v %s (%s), talking again %v after L0 dropped its translations of L1's kernel", w.longest.Round(time.Second), inCase(cas), what, max(0, w.longest-w.ep.flushAt).Round(time.Second))
		w.recoveries = append(w.recoveries, msg)
		w.recoveredAt, w.recoveredFor = now, w.longest
		st.logf("RECOVERED L1: %s", msg)
		w.ep, w.samples, w.longest = silenceEpisode{}, nil, 0
	case actReport:
		w.notUp = !up
		return silenceMessage(quiet, cas)
	}
	// After a recovery L1's kernel reports the CPUs the silence stopped
	// as soft lockups of about its length.
	var forgive time.Duration
	if !w.recoveredAt.IsZero() && now.Sub(w.recoveredAt) < flushWait {
		forgive = w.recoveredFor + heartbeatEvery
	}
	line, cas, stuck := w.con.lockedUp(forgive)
	if !up {
		return ""
	}
	if bound := min(limit, lockupReboot); w.recover && stuck > bound {
		w.l1Lockup = true
		return fmt.Sprintf("the nested guest's kernel reports its CPU stuck for longer than %v (%q), %s", bound, strings.TrimSpace(line), inCase(cas))
	}
	if stuck > limit {
		return fmt.Sprintf("the nested guest's kernel reports a CPU stuck for longer than %v (%q), %s", limit, strings.TrimSpace(line), inCase(cas))
	}
	return ""
}
