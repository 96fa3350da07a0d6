package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"time"
)

// L1's lost wake-up (docs/kvm.md, "A run stuck past its bounds"): a
// gotoro guest's vCPU thread in L1 is woken from its halt — runnable,
// its kernel stack still in kvm_vcpu_block, called from kvm_vcpu_halt —
// and never runs, because the CPU of L1 whose run queue holds it takes
// no interrupt any more (neither the reschedule IPI nor, with nohz=off,
// its own tick). L2 then stops where that vCPU was, its console goes
// quiet, and L1 itself stays healthy enough to print its heartbeat. The
// CI of 5f91a30 waited for it 12 minutes (runOverdue), and L1's
// power-off then locked up in a cross-call to the same CPU.
//
// The runner watches for it while a case runs: every wakeEvery it reads
// L1's busy tasks, and a vCPU thread that stays woken-and-not-run for
// wakeBound — its run time (schedstat) not advanced, no other task on
// its CPU advancing either (that would be starvation, not a lost
// wake-up) — while the guests print nothing for as long, is the
// signature. It then kicks every CPU of L1 (l1kick.go) and, if the
// thread still does not run, prints the report and asks the host to
// boot L1 again (markWedged), which runs the case again (l1reboot.go).

const (
	// wakeEvery is how often the runner looks.
	wakeEvery = 2 * time.Second
	// wakeBound is how long a woken vCPU thread may go without running
	// before it counts as lost. A healthy one runs within milliseconds;
	// the longest waits of a runnable L1 task seen here were the Linux
	// control's rounds of 3-6 s on a host at load 25 (docs/kvm.md), and
	// an L1 that the host does not run at all stops this watcher too
	// (a look later than 2×wakeEvery starts the count again). 20 s is
	// over three times that, and far below the case bounds (4 minutes
	// of silence in the lane) and runOverdue (12 minutes).
	wakeBound = 20 * time.Second
	// kickCure is how long after the kick the thread is given to run.
	kickCure = 5 * time.Second
)

// frameFunc returns the function of a /proc/PID/stack line
// ("[<0>] kvm_vcpu_block+0x52/0xc0 [kvm]" → "kvm_vcpu_block").
func frameFunc(line string) string {
	line = strings.TrimSpace(line)
	if _, rest, ok := strings.Cut(line, "] "); ok {
		line = rest
	}
	fn, _, _ := strings.Cut(line, "+")
	return strings.TrimSpace(fn)
}

// wokenVCPU reports whether t is a KVM vCPU thread woken from a halt
// and not yet run: runnable (R), the top of its kernel stack
// kvm_vcpu_block, called from kvm_vcpu_halt. A thread in
// __svm_vcpu_run runs guest code (R there is the normal running state),
// and one asleep (S) in kvm_vcpu_block is a halted vCPU waiting for its
// next interrupt: neither is the signature.
func wokenVCPU(t busyTask) bool {
	if t.state != "R" {
		return false
	}
	frames := strings.Split(strings.TrimSpace(t.stack), "\n")
	if frameFunc(frames[0]) != "kvm_vcpu_block" {
		return false
	}
	halt := false
	for _, f := range frames {
		switch frameFunc(f) {
		case "__svm_vcpu_run", "svm_vcpu_run", "vcpu_enter_guest":
			return false
		case "kvm_vcpu_halt":
			halt = true
		}
	}
	return halt
}

// stuckVCPU is a woken vCPU thread the watcher follows.
type stuckVCPU struct {
	task  busyTask
	since time.Time // first seen woken, with this run time
}

// wakeWatch follows L1's busy tasks over looks wakeEvery apart.
type wakeWatch struct {
	every, bound time.Duration
	last         time.Time            // the last look; zero before the first
	ran          map[string]busyTask  // every busy task at the last look, by tid
	stuck        map[string]stuckVCPU // woken vCPU threads, by tid
}

func newWakeWatch(every, bound time.Duration) *wakeWatch {
	return &wakeWatch{every: every, bound: bound, ran: map[string]busyTask{}, stuck: map[string]stuckVCPU{}}
}

// lostWakeup is the watcher's verdict: the thread, how long it has not
// run and how long the guests have been quiet.
type lostWakeup struct {
	task          busyTask
	notRun, quiet time.Duration
}

func (l lostWakeup) String() string {
	cpu := "an unknown CPU"
	if l.task.cpu >= 0 {
		cpu = fmt.Sprintf("CPU %d", l.task.cpu)
	}
	return fmt.Sprintf("a gotoro guest's vCPU thread (pid %s tid %s) woken in kvm_vcpu_block ← kvm_vcpu_halt has not run for %v, queued on %s of L1, nothing else running there, the guests silent for %v",
		l.task.pid, l.task.tid, l.notRun.Round(time.Second), cpu, l.quiet.Round(time.Second))
}

// step takes the busy tasks read at now, with the guests' console quiet
// for quiet, and returns the lost wake-up if one has lasted the bound.
func (w *wakeWatch) step(tasks []busyTask, quiet time.Duration, now time.Time) (lostWakeup, bool) {
	prev := w.ran
	gap := !w.last.IsZero() && now.Sub(w.last) > 2*w.every
	w.last, w.ran = now, make(map[string]busyTask, len(tasks))
	for _, t := range tasks {
		w.ran[t.tid] = t
	}
	if gap {
		// The runner itself did not run: nothing can be told of the
		// time between.
		clear(w.stuck)
	}
	// CPUs on which another task ran since the last look.
	busy := map[int]bool{}
	for _, t := range tasks {
		if wokenVCPU(t) || t.state != "R" {
			continue
		}
		if p, ok := prev[t.tid]; !ok || !t.ranOK || !p.ranOK || t.ran != p.ran {
			busy[t.cpu] = true
		}
	}
	seen := map[string]bool{}
	var found lostWakeup
	ok := false
	for _, t := range tasks {
		if !wokenVCPU(t) {
			continue
		}
		seen[t.tid] = true
		s, had := w.stuck[t.tid]
		if !had || busy[t.cpu] || t.cpu != s.task.cpu || t.ranOK != s.task.ranOK || t.ran != s.task.ran {
			// New, ran in between, or its CPU had other work.
			w.stuck[t.tid] = stuckVCPU{task: t, since: now}
			continue
		}
		if d := now.Sub(s.since); d >= w.bound && quiet >= w.bound && d > found.notRun {
			found, ok = lostWakeup{task: t, notRun: d, quiet: quiet}, true
		}
	}
	for tid := range w.stuck {
		if !seen[tid] {
			delete(w.stuck, tid)
		}
	}
	return found, ok
}

// reset forgets every thread followed (after a kick that cured one).
func (w *wakeWatch) reset() { clear(w.stuck) }

// ranSince reports whether the thread t has run since it was read: it
// is gone, no longer the woken vCPU, or its run time advanced.
func ranSince(t busyTask, now busyTask, ok bool) bool {
	return !ok || !wokenVCPU(now) || (t.ranOK && now.ranOK && now.ran != t.ran)
}

// guestQuiet records when a gotoro guest last printed a line.
type guestQuiet struct{ last atomic.Int64 }

func (g *guestQuiet) saw(now time.Time) { g.last.Store(now.UnixNano()) }

// since returns how long the guests have been quiet at now, counting
// from start if no line came after it.
func (g *guestQuiet) since(start, now time.Time) time.Duration {
	last := time.Unix(0, g.last.Load())
	if last.Before(start) {
		last = start
	}
	return now.Sub(last)
}

// watchLostWakeup looks every wakeEvery, until done is closed, for a
// lost wake-up of a gotoro guest's vCPU thread in L1 (in L1). At one it
// kicks L1's CPUs; if the thread runs then, it says so and watches on;
// if not, it prints the report and markWedged, after which the host
// ends this boot of L1 and boots it again. quiet says how long the
// guests have been silent.
func watchLostWakeup(done <-chan struct{}, quiet func(now time.Time) time.Duration) {
	w := newWakeWatch(wakeEvery, wakeBound)
	t := time.NewTicker(wakeEvery)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		now := time.Now()
		l, ok := w.step(busyTasks("/proc"), quiet(now), now)
		if !ok {
			continue
		}
		fmt.Printf("%s %s%s; kicking L1's CPUs\n", markInfo, wakeNamed, l)
		// The report first: the kick may not come back (docs/kvm.md).
		printLostWakeupReport()
		kicked := time.Now()
		kick := kickCPUs(runtime.NumCPU(), -1, kickWait)
		fmt.Printf("%s kicked L1's CPUs, a pinned thread each: %s\n", markInfo, kick)
		if waitRan(l.task, kickCure) {
			fmt.Printf("%s %sthe vCPU thread (tid %s) had run %v after the kick began; the case goes on\n", markInfo, wakeCured, l.task.tid, time.Since(kicked).Round(time.Millisecond))
			w.reset()
			continue
		}
		reason := fmt.Sprintf("%s; the kick of every CPU did not make it run within %v", l, kickWait+kickCure)
		printLostWakeupReport()
		fmt.Printf("%s%s\n", markWedged, reason)
		return
	}
}

// The runner's lines that the host follows (silence.go): a lost wake-up
// named, before the kick, and the kick's cure.
const (
	wakeNamed = "L1 lost a wake-up: "
	wakeCured = "the kick cured L1's lost wake-up: "
)

// printLostWakeupReport prints L1's busy tasks, its load and its run
// queues (schedDebugSummary) as LANE-INFO lines.
func printLostWakeupReport() {
	for _, line := range strings.Split(strings.TrimRight(busyTasksReport(busyTasks("/proc")), "\n"), "\n") {
		fmt.Printf("%s lost wake-up| %s\n", markInfo, line)
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Printf("%s lost wake-up| loadavg %s\n", markInfo, strings.TrimSpace(string(b)))
	}
	if b, err := os.ReadFile(schedDebugFile); err == nil {
		for _, line := range schedDebugSummary(string(b)) {
			fmt.Printf("%s lost wake-up| run queue: %s\n", markInfo, line)
		}
	}
}

// waitRan waits up to d for the thread t to run (ranSince) and reports
// whether it did.
func waitRan(t busyTask, d time.Duration) bool {
	dir := fmt.Sprintf("/proc/%s/task/%s", t.pid, t.tid)
	end := time.Now().Add(d)
	for {
		now, ok := readTask(dir, t.pid, t.tid)
		if ranSince(t, now, ok) {
			return true
		}
		if time.Now().After(end) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// schedDebugFile is Linux 6.1's dump of its run queues (debugfs).
const schedDebugFile = "/sys/kernel/debug/sched/debug"

// schedDebugSummary picks out of L1's run-queue dump (schedDebugFile),
// per CPU, its count of runnable tasks, its current task and the tasks
// listed there in state R (a leading '>' marks the current one): it
// tells a thread queued behind a CPU that does not schedule from one
// that is that CPU's current task while the CPU does not run. A task
// queued on a CPU is pulled away by the others' load balancing; a
// current one is not.
func schedDebugSummary(dump string) []string {
	var out []string
	// own: the lines are the CPU's own fields, before its cfs_rq, rt_rq
	// and dl_rq, which have fields of the same names.
	cpu, own, inTasks := "", false, false
	for _, l := range strings.Split(dump, "\n") {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "cpu#"):
			cpu, _, _ = strings.Cut(t, ",")
			own, inTasks = true, false
		case cpu == "":
		case strings.Contains(t, "_rq["): // "cfs_rq[3]:/", "rt_rq[3]:", "dl_rq[3]:"
			own = false
		case own && (strings.HasPrefix(t, ".nr_running") || strings.HasPrefix(t, ".curr->pid")):
			k, v, _ := strings.Cut(t, ":")
			out = append(out, fmt.Sprintf("%s %s %s", cpu, strings.TrimSpace(k), strings.TrimSpace(v)))
		case strings.HasPrefix(t, "runnable tasks:"):
			own = false
			inTasks = true
		case inTasks && (strings.HasPrefix(t, ">R ") || strings.HasPrefix(t, "R ")):
			out = append(out, fmt.Sprintf("%s task %s", cpu, strings.Join(strings.Fields(t)[:min(4, len(strings.Fields(t)))], " ")))
		}
	}
	return out
}
