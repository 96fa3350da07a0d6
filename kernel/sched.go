package kernel

import (
	"sync/atomic"
	"unsafe"

	"github.com/gotoro/gotoro/kernel/apic"
	"github.com/gotoro/gotoro/kernel/arch"
	"github.com/gotoro/gotoro/kernel/ktime"
)

// The per-core scheduler. Every core runs its own instance: a run queue of
// the threads placed on it, cooperative switches when a thread blocks in a
// system call, and a time slice enforced by the local timer. No global lock
// is taken here: a thread is only ever queued and run by the core it is
// placed on (thread.cpu); another core that wakes it, or places a new
// thread there, pushes it on that core's lock-free inbox and sends an IPI
// if the core is halted. Thread states change with compare-and-swap, so a
// timeout on the owning core and a wake-up from another core cannot both
// take effect.

const timeSlice = 10_000_000 // ns

type runQueue struct {
	head, n int
	q       [maxThreads]int32
}

func (r *runQueue) push(i int32) {
	r.q[(r.head+r.n)%maxThreads] = i
	r.n++
}

func (r *runQueue) pop() int32 {
	if r.n == 0 {
		return -1
	}
	i := r.q[r.head]
	r.head = (r.head + 1) % maxThreads
	r.n--
	return i
}

// makeRunnable queues t on its core: directly when that is the running
// core, through the core's inbox otherwise.
//
//go:nosplit
func makeRunnable(t *thread) {
	t.setState(tsRunnable)
	c := thisCPU()
	if int64(t.cpu) == c.id {
		c.sched().runq.push(int32(t.index()))
		return
	}
	cpus[t.cpu].inboxPush(t)
}

// inboxPush hands t to core c from another core and interrupts c, so that
// c looks at its inbox now: a halted core wakes up, a busy one queues t and
// arms its time slice (a core running Go code might otherwise not enter the
// kernel for a long time).
func (c *cpu) inboxPush(t *thread) {
	i := int32(t.index()) + 1
	if !atomic.CompareAndSwapUint32(&t.inInbox, 0, 1) {
		kpanic("thread queued on an inbox twice")
	}
	for {
		old := atomic.LoadInt32(&c.sched().inbox)
		t.inboxNext = old
		if atomic.CompareAndSwapInt32(&c.sched().inbox, old, i) {
			break
		}
	}
	polled := atomic.LoadUint32(&c.polling) != 0
	if ktrace {
		notePush(c, t, polled)
	}
	if polled {
		return // c sees t before it halts (idlePoll)
	}
	apic.SendIPI(c.apicID, vecWake)
}

// drainInbox moves the threads other cores handed to c onto its run queue,
// oldest first.
func drainInbox(c *cpu) {
	if atomic.LoadInt32(&c.sched().inbox) == 0 {
		return
	}
	head := atomic.SwapInt32(&c.sched().inbox, 0)
	// The list is newest first: reverse it.
	prev := int32(0)
	for head != 0 {
		t := &threads[head-1]
		next := t.inboxNext
		t.inboxNext = prev
		prev = head
		head = next
	}
	for prev != 0 {
		t := &threads[prev-1]
		c.sched().runq.push(prev - 1)
		prev = t.inboxNext
		atomic.StoreUint32(&t.inInbox, 0)
	}
}

// wake ends t's wait with reason, if it is waiting.
func wake(t *thread, reason int32) bool {
	if !t.casState(tsBlocked, tsWaking) {
		return false
	}
	wakeClaimed(t, reason)
	return true
}

// wakeClaimed queues t, which the caller has moved from blocked to waking,
// with reason.
//
//go:nosplit
func wakeClaimed(t *thread, reason int32) {
	t.wakeReason = reason
	t.wakeAt = 0
	rebalance(t)
	makeRunnable(t)
}

// kick interrupts the core t is placed on so that it notices a pending
// signal soon; a thread in Go code otherwise sees it at its next kernel
// entry.
//
//go:nosplit
func kick(t *thread) {
	if s := t.loadState(); (s == tsRunning || s == tsRunnable) && t.cpu >= 0 && int64(t.cpu) != thisCPU().id {
		apic.SendIPI(cpus[t.cpu].apicID, vecWake)
	}
}

// block puts the running thread to sleep until wake or until deadline
// (ns since boot; 0 = none) and returns why it woke.
//
//go:nosplit
func block(deadline int64) int32 {
	blockPrepare(deadline)
	return blockCommit()
}

// blockPrepare marks the running thread blocked until deadline: from here
// a wake-up can claim it, and it must call blockCommit next. A caller
// that queues the thread under a lock calls it before unlocking, so that
// a waker holding the lock finds the thread both queued and blocked.
//
//go:nosplit
func blockPrepare(deadline int64) int32 {
	t := curThread()
	t.wakeReason = wakeNone
	t.wakeAt = deadline
	t.setState(tsBlocked)
	return wakeNone
}

// blockCommit sleeps after blockPrepare and returns why the thread woke.
//
//go:nosplit
func blockCommit() int32 {
	t := curThread()
	if t.pending&^t.sigmask != 0 && t.casState(tsBlocked, tsRunning) {
		// A deliverable signal is already pending: do not sleep.
		t.wakeAt = 0
		return wakeSignal
	}
	schedule()
	return t.wakeReason
}

// waitOn blocks the running thread on key (an address naming what it waits
// for) until wakeKey(key), a signal or deadline.
func waitOn(key uintptr, deadline int64) int32 {
	t := curThread()
	t.waitAddr = key
	r := block(deadline)
	t.waitAddr = 0
	return r
}

// yield lets other runnable threads of this core run.
//
//go:nosplit
func yield() {
	t := curThread()
	makeRunnable(t)
	schedule()
}

// schedule switches away from the running thread, whose new state is set,
// and returns when the thread runs again. With nothing else runnable the
// core goes to its idle context; a thread never halts on its own stack, so
// that it can be resumed anywhere as soon as it has been switched out. The
// big kernel lock, if held, is dropped while the thread is away.
//
//go:nosplit
func schedule() {
	relock := bklHeld()
	if relock {
		bklUnlock()
	}
	c := thisCPU()
	t := curThread()
	drainInbox(c)
	checkTimers(c, ktime.Now())
	if next := c.sched().runq.pop(); next >= 0 {
		switchTo(c, next)
	} else if t.loadState() != tsRunning {
		switchToIdle(c)
	}
	armTimer(thisCPU())
	if relock {
		bklLock()
	}
}

// idleLoop is the idle context of a core: it runs whatever becomes
// runnable and halts in between. It never returns.
//
//go:nosplit
func idleLoop() {
	for {
		c := thisCPU()
		reapThreads(c)
		drainInbox(c)
		checkTimers(c, ktime.Now())
		if next := c.sched().runq.pop(); next >= 0 {
			switchTo(c, next)
			continue
		}
		atomic.StoreUint32(&c.idle, 1)
		if atomic.LoadInt32(&c.sched().inbox) != 0 {
			leaveIdle(c)
			continue
		}
		armTimer(c)
		tlbService(c)
		t0 := ktime.Now()
		atomic.StoreInt64(&c.sched().idleSince, t0)
		if !idlePoll(c, t0) {
			stiHlt()
			if ktrace {
				c.sched().hltLeftAt = ktime.Now()
			}
		}
		atomic.AddInt64(&c.sched().idleNs, ktime.Now()-t0)
		atomic.StoreInt64(&c.sched().idleSince, 0)
		// Shootdowns did not wait for this core while it was idle:
		// flush for them before any thread runs (ipi.go).
		leaveIdle(c)
	}
}

// switchTo makes thread next the running one on c.
func switchTo(c *cpu, next int32) {
	t := &threads[next]
	c.sched().sliceEnd = ktime.Now() + timeSlice
	if ktrace {
		noteRun(c, t)
	}
	if next == c.cur {
		t.setState(tsRunning)
		return
	}
	// The core t last ran on may still be leaving its stack. Only then is
	// t running here: the old core decides whether to leave t by looking
	// at its state, so the state must not say running before that.
	for atomic.LoadUint32(&t.onCPU) != 0 {
		arch.Pause()
		tlbService(c)
	}
	t.setState(tsRunning)
	accountSwitch(c)
	save, done := &c.idleKSP, &c.idleOn
	if c.cur >= 0 {
		prev := &threads[c.cur]
		save, done = &prev.ksp, &prev.onCPU
	}
	t.onCPU = 1
	t.lastCPU = int32(c.id)
	c.setCur(next)
	c.kstackTop = t.kstack + kstackSize
	c.curKG = uintptr(unsafe.Pointer(&t.kg))
	c.curFX = t.fxAddr()
	swtch(save, t.ksp, t.fsbase, done)
}

// switchToIdle leaves the running thread for c's idle context.
func switchToIdle(c *cpu) {
	accountSwitch(c)
	prev := &threads[c.cur]
	c.setCur(-1)
	c.curKG = uintptr(unsafe.Pointer(&c.idleKG))
	c.idleOn = 1
	swtch(&prev.ksp, c.idleKSP, uintptr(unsafe.Pointer(&c.idleTLS[1])), &prev.onCPU)
}

// accountSwitch charges the thread running on c (none in the idle
// context) with the time since it was switched in; c is about to switch.
//
//go:nosplit
func accountSwitch(c *cpu) {
	now := ktime.Now()
	if c.cur >= 0 {
		atomic.AddInt64(&threads[c.cur].runNs, now-c.sched().switchedAt)
	}
	c.sched().switchedAt = now
}

// threadCPUTime returns the time t has run, up to now if it runs on the
// calling core.
func threadCPUTime(t *thread) int64 {
	ns := atomic.LoadInt64(&t.runNs)
	if c := thisCPU(); (*thread)(ptr(c.curThread)) == t {
		ns += ktime.Now() - c.sched().switchedAt
	}
	return ns
}

// processCPUTime returns the time all threads have run: the calling
// thread up to now, the others up to their last switch.
func processCPUTime() int64 {
	sum := int64(0)
	high := int(atomic.LoadInt32(&threadHigh))
	for i := 0; i < high; i++ {
		sum += threadCPUTime(&threads[i])
	}
	return sum + atomic.LoadInt64(&exitedRunNs)
}

// exitedRunNs is the run time of threads that have exited.
var exitedRunNs int64

// reportCPUTime prints, for ktrace, how each core spent its time since
// boot: running threads, halted, and the rest (the idle loop, interrupts
// taken while idle).
func reportCPUTime() {
	now := ktime.Now()
	for i := 0; i < ncpu; i++ {
		run := int64(0)
		high := int(atomic.LoadInt32(&threadHigh))
		for j := 0; j < high; j++ {
			if t := &threads[j]; t.lastCPU == int32(i) {
				run += atomic.LoadInt64(&t.runNs)
			}
		}
		kprint("ktrace: core ")
		kprintDec(uint64(i))
		kprint(": halted ")
		kprintDec(uint64(atomic.LoadInt64(&cpus[i].sched().idleNs) / 1e6))
		kprint(" ms of ")
		kprintDec(uint64(now / 1e6))
		kprint(" ms; threads last on it ran ")
		kprintDec(uint64(run / 1e6))
		kprint(" ms\n")
	}
}

// owned reports whether t is a live thread placed on c.
func owned(t *thread, c *cpu) bool { return int64(t.cpu) == c.id }

// checkTimers wakes c's threads whose deadline has passed.
//
//go:nosplit
func checkTimers(c *cpu, now int64) {
	high := int(atomic.LoadInt32(&threadHigh))
	for i := 0; i < high; i++ {
		t := &threads[i]
		if owned(t, c) && t.loadState() == tsBlocked && t.wakeAt != 0 && t.wakeAt <= now {
			wake(t, wakeTimeout)
		}
	}
}

// nextDeadline returns the earliest wake-up time on c, or 0.
func nextDeadline(c *cpu) int64 {
	d := int64(0)
	high := int(atomic.LoadInt32(&threadHigh))
	for i := 0; i < high; i++ {
		t := &threads[i]
		if owned(t, c) && t.loadState() == tsBlocked && t.wakeAt != 0 && (d == 0 || t.wakeAt < d) {
			d = t.wakeAt
		}
	}
	if c.sched().runq.n > 0 && c.cur >= 0 && (d == 0 || c.sched().sliceEnd < d) {
		d = c.sched().sliceEnd
	}
	return d
}

// armTimer programs the local timer for c's next deadline.
//
//go:nosplit
func armTimer(c *cpu) {
	d := nextDeadline(c)
	if d == c.sched().timerArmed {
		return
	}
	// An armed deadline earlier than the new one stays: when it fires,
	// the interrupt re-arms for what is due then. Programming the timer is
	// a VM exit under QEMU, and the Go runtime moves its deadlines on
	// nearly every system call.
	if c.sched().timerArmed != 0 && (d == 0 || d > c.sched().timerArmed) {
		return
	}
	c.sched().timerArmed = d
	apic.Arm(d)
}

// timerInterrupt runs on the timer in Go code: wake sleepers, and preempt
// the running thread when its slice is over and others wait.
//
//go:nosplit
func timerInterrupt() {
	c := thisCPU()
	c.sched().timerArmed = 0
	now := ktime.Now()
	drainInbox(c)
	checkTimers(c, now)
	if c.sched().runq.n > 0 && now >= c.sched().sliceEnd {
		if spreadToIdle(c) {
			return
		}
		yield()
	}
}
