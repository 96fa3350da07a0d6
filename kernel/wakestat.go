package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/kernel/ktime"
)

// Where a cross-core wake-up's time goes (ktrace only). A thread pushed
// on another core's inbox carries the time of the push and whether that
// core was polling (no IPI sent, idlepoll.go); a core leaving its idle
// halt notes when. When the thread runs, its core adds the push-to-run
// time, and for a halted core its two parts — push to the halt's end
// (the IPI's delivery and the host's waking of the vCPU) and the halt's
// end to the run (the idle loop and the switch) — to its counters, which
// exit prints with -ktrace (reportWakeStats).

// wakeStat is one core's sums for one kind of wake-up.
type wakeStat struct {
	n, ns, hltNs int64
}

// wakePath is how a woken thread reached its core.
const (
	wakeViaPoll  = 0 // the core was polling its inbox
	wakeViaHalt  = 1 // the core was halted and took the IPI
	wakeViaBusy  = 2 // the core was running something else
	wakePathsNum = 3
)

// notePush records, on t, that it was just pushed on c's inbox.
func notePush(c *cpu, t *thread, polled bool) {
	t.pushedAt = ktime.Now()
	t.pushPath = wakeViaBusy
	if polled {
		t.pushPath = wakeViaPoll
	} else if atomic.LoadUint32(&c.idle) != 0 {
		t.pushPath = wakeViaHalt
	}
}

// noteRun adds the wake-up of t, about to run on c, to c's counters.
func noteRun(c *cpu, t *thread) {
	if t.pushedAt == 0 {
		return
	}
	now := ktime.Now()
	s := &c.sched().wakeStats[t.pushPath]
	s.n++
	s.ns += now - t.pushedAt
	if t.pushPath == wakeViaHalt && c.sched().hltLeftAt > t.pushedAt {
		s.hltNs += c.sched().hltLeftAt - t.pushedAt
	}
	t.pushedAt = 0
}

// reportWakeStats prints each core's cross-core wake-ups by path, with
// the mean push-to-run time (and, for a halted core, the mean time until
// the halt ended).
func reportWakeStats() {
	names := [wakePathsNum]string{"polling", "halted", "busy"}
	for i := 0; i < ncpu; i++ {
		for p := range names {
			s := &cpus[i].sched().wakeStats[p]
			if s.n == 0 {
				continue
			}
			kprint("ktrace: core ")
			kprintDec(uint64(i))
			kprint(": ")
			kprintDec(uint64(s.n))
			kprint(" wake-ups from other cores while ")
			kprint(names[p])
			kprint(", push to run ")
			kprintDec(uint64(s.ns / s.n))
			kprint(" ns")
			if p == wakeViaHalt {
				kprint(" (push to halt's end ")
				kprintDec(uint64(s.hltNs / s.n))
				kprint(" ns)")
			}
			kprint("\n")
		}
	}
}
