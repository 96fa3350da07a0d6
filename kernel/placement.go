package kernel

import "sync/atomic"

// Where threads run. A new thread goes to the least-loaded core its
// affinity allows and stays there; it moves only when sched_setaffinity
// excludes its core, the next time it leaves the kernel there.

// pickCore returns the core in mask with the fewest threads placed on it
// (the lowest-numbered on a tie), or -1 if mask names no running core.
func pickCore(mask uint64) int {
	best, bestN := -1, int32(0)
	for i := 0; i < ncpu; i++ {
		if mask&(1<<uint(i)) == 0 {
			continue
		}
		if n := atomic.LoadInt32(&cpus[i].nthreads); best < 0 || n < bestN {
			best, bestN = i, n
		}
	}
	return best
}

// place puts new thread t on a core and queues it there.
func place(t *thread) {
	c := pickCore(t.affinity)
	if c < 0 {
		c = 0
	}
	t.cpu = int32(c)
	atomic.AddInt32(&cpus[c].nthreads, 1)
	makeRunnable(t)
}

// migrate moves the running thread t to a core its affinity allows. It
// returns on the new core.
func migrate(t *thread) {
	src := thisCPU()
	dst := pickCore(t.affinity)
	if dst < 0 || int64(dst) == src.id {
		return
	}
	atomic.AddInt32(&src.nthreads, -1)
	atomic.AddInt32(&cpus[dst].nthreads, 1)
	t.cpu = int32(dst)
	t.setState(tsRunnable)
	// dst waits for this core to leave t's stack before it runs t.
	cpus[dst].inboxPush(t)
	switchToIdle(src)
}

// threadByPid returns the thread a sched_* call names: 0 is the caller.
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

func sysSchedGetaffinityOp(pid int32, size, mask uintptr) int64 {
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

func sysSchedSetaffinityOp(pid int32, size, mask uintptr) int64 {
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
