package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/kernel/ktime"
)

// Where threads run. A new thread goes to the least-loaded core its
// affinity allows. A pinned thread (affinity narrower than all cores) stays
// on its core; it moves only when sched_setaffinity excludes the core, the
// next time it leaves the kernel there. An unpinned thread can also move
// when it wakes up: if its core is busy running another thread and some
// core is halted, it goes to the halted one. Without that, the Go runtime's
// habit of reusing whichever idle thread it finds first would leave busy
// threads sharing one core while others halt. For the same reason a thread
// whose time slice ends while others wait on its core moves to a halted
// core if there is one (spreadToIdle).

// pickCore returns the least-loaded core in mask, or -1 if mask names no
// running core. Load is the number of threads running or ready to run on
// the core; ties go to the core with fewer threads placed on it, then to
// the lowest number.
func pickCore(mask uint64) int {
	if ncpu == 1 {
		// Nothing to weigh (and, under TCG, no loops over the threads
		// and cores to translate at a program's first clone).
		if mask&1 == 0 {
			return -1
		}
		return 0
	}
	var active [maxCPUs]int32
	high := int(atomic.LoadInt32(&threadHigh))
	for i := 0; i < high; i++ {
		t := &threads[i]
		if s := t.loadState(); (s == tsRunning || s == tsRunnable || s == tsWaking) && t.cpu >= 0 && int(t.cpu) < maxCPUs {
			active[t.cpu]++
		}
	}
	best := -1
	for i := 0; i < ncpu; i++ {
		if mask&(1<<uint(i)) == 0 {
			continue
		}
		if best < 0 || active[i] < active[best] ||
			active[i] == active[best] && atomic.LoadInt32(&cpus[i].sched().nthreads) < atomic.LoadInt32(&cpus[best].sched().nthreads) {
			best = i
		}
	}
	return best
}

// place puts new thread t on a core and queues it there.
//
//go:nosplit
func place(t *thread) {
	c := pickCore(t.affinity)
	if c < 0 {
		c = 0
	}
	t.cpu = int32(c)
	atomic.AddInt32(&cpus[c].sched().nthreads, 1)
	if me := thisCPU(); int64(c) == me.id && me.cur >= 0 {
		me.sched().newcomer(ktime.Now())
	}
	makeRunnable(t)
}

// newcomer notes, at now, that a new thread is about to queue behind the
// running one on this core. A thread that had the core to itself has had
// no time slice to speak of: its slice starts now, so the newcomer runs
// when the creator blocks or at most one slice later, as Linux places a
// new task after the running one rather than before it. Without this a
// creator that ran alone for longer than a slice (the Go runtime's first
// thread, whose start-up under TCG takes tens of milliseconds of
// translation) lost the core to its new thread at the next timer tick:
// the runtime's sysmon then made its first check of the main goroutine
// in the middle of the runtime's initialization and preempted it with
// SIGURG in every booted program (docs/boot.md, "The start-up SIGURG").
// Threads woken from a sleep keep their old treatment (they run at the
// running thread's slice end, which may already be past), also one
// another core has just handed over and this core has not yet moved from
// its inbox to the run queue.
//
//go:nosplit
func (s *coreSched) newcomer(now int64) {
	if s.runq.n == 0 && atomic.LoadInt32(&s.inbox) == 0 {
		s.sliceEnd = now + timeSlice
	}
}

// rebalance moves t, which a wake-up has just claimed, to a halted core if
// t is unpinned and its own core is running another thread.
func rebalance(t *thread) {
	if ncpu == 1 || t.affinity != onlineMask() || t.cpu < 0 {
		return
	}
	home := &cpus[t.cpu]
	if atomic.LoadUint32(&home.idle) != 0 || atomic.LoadInt32(&home.cur) < 0 {
		return
	}
	for i := 0; i < ncpu; i++ {
		c := &cpus[i]
		if c != home && atomic.LoadUint32(&c.idle) != 0 && atomic.LoadInt32(&c.sched().inbox) == 0 {
			atomic.AddInt32(&home.sched().nthreads, -1)
			atomic.AddInt32(&c.sched().nthreads, 1)
			t.cpu = int32(i)
			return
		}
	}
}

// spreadToIdle moves the running thread, whose time slice on c is over
// while others wait there, to a halted core if it is unpinned and one is
// halted: threads that never block would otherwise share c for as long as
// they run (placement at wake-up never sees them). It reports whether the
// thread moved (it then runs on the new core).
//
//go:nosplit
func spreadToIdle(c *cpu) bool {
	t := curThread()
	if ncpu == 1 || t.affinity != onlineMask() {
		return false
	}
	for i := 0; i < ncpu; i++ {
		o := &cpus[i]
		if o != c && atomic.LoadUint32(&o.idle) != 0 && atomic.LoadInt32(&o.sched().inbox) == 0 {
			src := int64(c.id)
			migrate(t)
			return thisCPU().id != src
		}
	}
	return false
}

// migrate moves the running thread t to a core its affinity allows. It
// returns on the new core.
func migrate(t *thread) {
	src := thisCPU()
	dst := pickCore(t.affinity)
	if dst < 0 || int64(dst) == src.id {
		return
	}
	atomic.AddInt32(&src.sched().nthreads, -1)
	atomic.AddInt32(&cpus[dst].sched().nthreads, 1)
	t.cpu = int32(dst)
	t.setState(tsRunnable)
	// dst waits for this core to leave t's stack before it runs t.
	cpus[dst].inboxPush(t)
	switchToIdle(src)
}

// threadByPid returns the thread a sched_* call names: 0 is the caller.
//
//go:nosplit
func threadByPid(pid int32) *thread {
	if pid == 0 {
		return curThread()
	}
	if pid < 1 || int(pid) > maxThreads {
		return nil
	}
	t := &threads[pid-1]
	if s := t.loadState(); s == tsFree || s == tsDead {
		return nil
	}
	return t
}

//go:nosplit
func sysSchedGetaffinity(pid, size, mask, _, _, _ uintptr) int64 {
	return schedGetaffinity(int32(pid), size, mask)
}

//go:nosplit
func schedGetaffinity(pid int32, size, mask uintptr) int64 {
	const n = 8 // bytes in the kernel's CPU mask (up to 64 cores)
	if size < n || size&7 != 0 {
		return -EINVAL
	}
	t := threadByPid(pid)
	if t == nil {
		return -ESRCH
	}
	b, ok := userBytes(mask, n, true)
	if !ok {
		return -EFAULT
	}
	m := t.affinity
	for i := range b {
		b[i] = byte(m >> (8 * i))
	}
	return n
}

func sysSchedSetaffinity(pid, size, mask, _, _, _ uintptr) int64 {
	return schedSetaffinity(int32(pid), size, mask)
}

func schedSetaffinity(pid int32, size, mask uintptr) int64 {
	b, ok := userBytes(mask, size, false)
	if !ok {
		return -EFAULT
	}
	m := uint64(0)
	for i := 0; i < len(b) && i < 8; i++ {
		m |= uint64(b[i]) << (8 * i)
	}
	m &= onlineMask()
	if m == 0 {
		return -EINVAL
	}
	t := threadByPid(pid)
	if t == nil {
		return -ESRCH
	}
	t.affinity = m
	return 0
}
