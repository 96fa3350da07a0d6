package kernel

import (
	"sync/atomic"
	"unsafe"

	"github.com/gotoro/gotoro/kernel/ktime"
	"github.com/gotoro/gotoro/kernel/percpu"
)

// Threads. Each clone of the Go runtime (an M) is a kernel thread with its
// own kernel stack, KernelG and FPU/vector state area. A thread index is its
// tid-1.

const maxThreads = 256

type threadState uint32

const (
	tsFree threadState = iota
	tsRunnable
	tsRunning
	tsBlocked
	tsWaking // between a wake-up's claim of the thread and its queueing
	tsDead
)

// Why a blocked thread woke up.
const (
	wakeNone    = iota
	wakeEvent   // the awaited event happened
	wakeTimeout // the deadline passed
	wakeSignal  // a signal interrupted the wait
)

type thread struct {
	state threadState
	// cpu is the core the thread is placed on: only that core queues and
	// runs it. It changes only while the thread itself runs (migration).
	cpu     int32
	lastCPU int32
	// onCPU is 1 from the moment a core switches to the thread until the
	// core has left its stack again (cleared by swtch).
	onCPU     uint32
	inboxNext int32   // link in a core's inbox (thread index + 1)
	inInbox   uint32  // 1 from the push on an inbox until the owner drains it
	affinity  uint64  // cores the thread may run on (sched_setaffinity)
	ksp       uintptr // saved kernel stack pointer while switched out
	kstack    uintptr // base of the kernel stack
	fsbase    uintptr
	kg        percpu.KernelG
	fx        percpu.FPUArea // FPU/vector state while the thread is interrupted (fpu.go)

	// Waiting.
	wakeAt     int64   // deadline in ns since boot, 0 = none
	waitAddr   uintptr // wait-queue key (waitOn/wakeKey)
	wakeReason int32

	clearTID uintptr // CLONE_CHILD_CLEARTID address

	// Signals.
	sigmask        uint64
	pending        uint64
	altSP, altSize uintptr
	altFlags       int32
	inSignalDepth  int32
	pendCode       [nsig]int32
	pendAddr       [nsig]uintptr
	// savedMask is the thread's own mask while a ppoll, pselect6 or
	// epoll_pwait(2) waits with the call's (maskSaved; sigmask_wait.go).
	savedMask uint64
	maskSaved bool
	// rwf holds the RWF_NOWAIT, RWF_NOSIGNAL and RWF_NOAPPEND of the
	// running preadv2 or pwritev2 for the kinds that answer them (0 in
	// any other call; sys_vecio.go).
	rwf uint32
	// restartNr is the number of the system call that last returned
	// errRestartSys, for restartSyscall (signal_restart.go).
	restartNr uint64

	// Futex waiting (futex.go), under the lock of futexAddr's bucket.
	futexAddr   uintptr // the word waited on; a requeue changes it
	futexBits   uint32  // FUTEX_WAIT_BITSET's mask
	futexNext   int32   // next waiter in the bucket (thread index + 1)
	futexQueued uint32  // 1 while on a bucket's chain

	// Descriptors the running system call created, to publish when it
	// returns (fd.go): descriptor and description index + 1.
	fdNew  [8][2]int32
	fdNewN int32

	// runNs is the time the thread ran until it was last switched out
	// (CLOCK_THREAD_CPUTIME_ID adds the current run).
	runNs int64
	// startNs is when the thread was made, in ns since boot (the
	// starttime of /proc/self/task/TID/stat).
	startNs int64

	// pushedAt is when another core pushed the thread on its core's
	// inbox, and pushPath how it was to reach it (wakestat.go, ktrace
	// only).
	pushedAt int64
	pushPath int32
}

var threads [maxThreads]thread

// nthreads counts live threads; threadHigh is one past the highest slot
// ever used, bounding scans of the table.
var nthreads, threadHigh int32

func (t *thread) loadState() threadState {
	return threadState(atomic.LoadUint32((*uint32)(&t.state)))
}

func (t *thread) setState(s threadState) {
	atomic.StoreUint32((*uint32)(&t.state), uint32(s))
}

func (t *thread) casState(old, new threadState) bool {
	return atomic.CompareAndSwapUint32((*uint32)(&t.state), uint32(old), uint32(new))
}

func (t *thread) tid() int32 { return int32(t.index()) + 1 }

func (t *thread) index() int {
	return int((uintptr(unsafe.Pointer(t)) - uintptr(unsafe.Pointer(&threads[0]))) / unsafe.Sizeof(threads[0]))
}

func (t *thread) fxAddr() uintptr { return t.fx.Addr() }

// frame returns the trapFrame at the top of t's kernel stack.
func (t *thread) frame() *trapFrame {
	return (*trapFrame)(ptr(t.kstack + kstackSize - trapFrameSize))
}

// curThread returns the thread running on this core (nil in the idle
// context, where no thread runs).
func curThread() *thread { return (*thread)(ptr(thisCPU().curThread)) }

// threadAlloc reserves a thread slot and its kernel stack (a slot keeps
// its stack when it is freed). Callers hold the big kernel lock.
//
//go:nosplit
func threadAlloc() *thread {
	for i := range threads {
		t := &threads[i]
		if t.loadState() != tsFree {
			continue
		}
		ks := t.kstack
		if ks == 0 {
			if ks = kstackAlloc(); ks == 0 {
				return nil
			}
		}
		*t = thread{}
		t.kstack = ks
		t.kg.SetStack(ks, ks+kstackSize)
		t.affinity = onlineMask()
		t.startNs = ktime.Now()
		t.setState(tsBlocked)
		atomic.AddInt32(&nthreads, 1)
		if int32(i+1) > atomic.LoadInt32(&threadHigh) {
			atomic.StoreInt32(&threadHigh, int32(i+1))
		}
		return t
	}
	return nil
}

// prepareStart makes t's first switch return to its trapFrame through
// threadStart.
//
//go:nosplit
func (t *thread) prepareStart() {
	sp := t.kstack + kstackSize - trapFrameSize
	sp -= 8
	*(*uintptr)(ptr(sp)) = threadStartAddr()
	sp -= 8
	*(*uintptr)(ptr(sp)) = 0 // BP
	t.ksp = sp
}

// reapThreads frees c's dead threads once no core is on their stacks.
func reapThreads(c *cpu) {
	high := int(atomic.LoadInt32(&threadHigh))
	for i := 0; i < high; i++ {
		t := &threads[i]
		if owned(t, c) && t.loadState() == tsDead && atomic.LoadUint32(&t.onCPU) == 0 {
			t.cpu = -1
			atomic.AddInt32(&c.sched().nthreads, -1)
			atomic.AddInt64(&exitedRunNs, atomic.SwapInt64(&t.runNs, 0))
			t.setState(tsFree)
		}
	}
}

func threadStartAddr() uintptr
func syscallEntryAddr() uintptr
func vectorsAddr() uintptr

// swtch saves the running context's stack pointer in *save, stores 0 to
// *done once it has left that stack, and resumes the context whose stack
// pointer is sp with FS base fsbase.
//
//go:noescape
func swtch(save *uintptr, sp uintptr, fsbase uintptr, done *uint32)
