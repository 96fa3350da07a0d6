package kernel

import "unsafe"

// The per-core scheduler: a run queue of thread indexes, cooperative
// switches when a thread blocks in a system call, and a time slice enforced
// by the local timer so that no runnable thread starves.

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

// makeRunnable queues t on its core.
func makeRunnable(t *thread) {
	t.state = tsRunnable
	cpus[t.cpu].runq.push(int32(t.index()))
}

// wake ends t's wait with reason, if it is waiting.
func wake(t *thread, reason int32) bool {
	if t.state != tsBlocked {
		return false
	}
	t.wakeReason = reason
	t.wakeAt = 0
	makeRunnable(t)
	return true
}

// block puts the running thread to sleep until wake or until deadline
// (ns since boot; 0 = none) and returns why it woke.
func block(deadline int64) int32 {
	t := curThread()
	t.state = tsBlocked
	t.wakeReason = wakeNone
	t.wakeAt = deadline
	if t.pending&^t.sigmask != 0 {
		// A deliverable signal is already pending: do not sleep.
		t.state = tsRunning
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
func yield() {
	t := curThread()
	makeRunnable(t)
	schedule()
}

// schedule switches to the next runnable thread, idling (hlt) until one
// exists. The calling thread must already have its new state set.
func schedule() {
	c := thisCPU()
	for {
		checkTimers(nanotime())
		if next := c.runq.pop(); next >= 0 {
			switchTo(c, next)
			armTimer(c)
			return
		}
		if threads[c.cur].state == tsRunning {
			return
		}
		c.idle = true
		armTimer(c)
		stiHlt()
		c.idle = false
	}
}

// switchTo makes thread next the running one on c.
func switchTo(c *cpu, next int32) {
	t := &threads[next]
	t.state = tsRunning
	c.sliceEnd = nanotime() + timeSlice
	if next == c.cur {
		return
	}
	prev := &threads[c.cur]
	c.cur = next
	c.kstackTop = t.kstack + kstackSize
	c.curKG = uintptr(unsafe.Pointer(&t.kg))
	c.curFX = t.fxAddr()
	swtch(&prev.ksp, t.ksp, t.fsbase)
	reapThreads()
}

// checkTimers wakes every thread whose deadline has passed.
func checkTimers(now int64) {
	for i := 0; i < threadHigh; i++ {
		t := &threads[i]
		if t.state == tsBlocked && t.wakeAt != 0 && t.wakeAt <= now {
			wake(t, wakeTimeout)
		}
	}
}

// nextDeadline returns the earliest wake-up time on c, or 0.
func nextDeadline(c *cpu) int64 {
	d := int64(0)
	for i := 0; i < threadHigh; i++ {
		t := &threads[i]
		if t.state == tsBlocked && t.wakeAt != 0 && (d == 0 || t.wakeAt < d) {
			d = t.wakeAt
		}
	}
	if c.runq.n > 0 && !c.idle && (d == 0 || c.sliceEnd < d) {
		d = c.sliceEnd
	}
	return d
}

// armTimer programs the local timer for c's next deadline.
func armTimer(c *cpu) {
	d := nextDeadline(c)
	if d == c.timerArmed {
		return
	}
	c.timerArmed = d
	lapicArm(d)
}

// timerInterrupt runs on the timer in Go code: wake sleepers, and preempt
// the running thread when its slice is over and others wait.
func timerInterrupt() {
	c := thisCPU()
	c.timerArmed = 0
	now := nanotime()
	checkTimers(now)
	if c.runq.n > 0 && now >= c.sliceEnd {
		yield()
	}
	armTimer(c)
}
