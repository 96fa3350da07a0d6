package kernel

import "unsafe"

// Threads. Each clone of the Go runtime (an M) is a kernel thread with its
// own kernel stack, kernelG and FPU save area. A thread index is its tid-1.

const maxThreads = 256

type threadState uint32

const (
	tsFree threadState = iota
	tsRunnable
	tsRunning
	tsBlocked
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
	state  threadState
	cpu    int32
	ksp    uintptr // saved kernel stack pointer while switched out
	kstack uintptr // base of the kernel stack
	fsbase uintptr
	kg     kernelG
	fx     [512 + 16]byte

	// Waiting.
	wakeAt     int64   // deadline in ns since boot, 0 = none
	waitAddr   uintptr // futex address or wait-queue key
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
}

var threads [maxThreads]thread

// nthreads counts live threads; threadHigh is one past the highest slot
// ever used, bounding scans of the table.
var nthreads, threadHigh int

func (t *thread) tid() int32 { return int32(t.index()) + 1 }

func (t *thread) index() int {
	return int((uintptr(unsafe.Pointer(t)) - uintptr(unsafe.Pointer(&threads[0]))) / unsafe.Sizeof(threads[0]))
}

func (t *thread) fxAddr() uintptr { return align16(t.fx[:]) }

// frame returns the trapFrame at the top of t's kernel stack.
func (t *thread) frame() *trapFrame {
	return (*trapFrame)(ptr(t.kstack + kstackSize - trapFrameSize))
}

// curThread returns the thread running on this core.
func curThread() *thread { return &threads[thisCPU().cur] }

// threadAlloc reserves a thread slot and its kernel stack.
func threadAlloc() *thread {
	for i := range threads {
		t := &threads[i]
		if t.state != tsFree {
			continue
		}
		ks := kstackAlloc()
		if ks == 0 {
			return nil
		}
		*t = thread{}
		t.kstack = ks
		t.kg.setStack(ks, ks+kstackSize)
		t.state = tsBlocked
		nthreads++
		threadHigh = max(threadHigh, i+1)
		return t
	}
	return nil
}

// prepareStart makes t's first switch return to its trapFrame through
// threadStart.
func (t *thread) prepareStart() {
	sp := t.kstack + kstackSize - trapFrameSize
	sp -= 8
	*(*uintptr)(ptr(sp)) = threadStartAddr()
	sp -= 8
	*(*uintptr)(ptr(sp)) = 0 // BP
	t.ksp = sp
}

// reapThreads frees dead threads other than the running one.
func reapThreads() {
	cur := thisCPU().cur
	for i := range threads {
		if threads[i].state == tsDead && int32(i) != cur {
			kstackFree(threads[i].kstack)
			threads[i].state = tsFree
			nthreads--
		}
	}
}

func threadStartAddr() uintptr
func syscallEntryAddr() uintptr
func vectorsAddr() uintptr

//go:noescape
func swtch(save *uintptr, sp uintptr, fsbase uintptr)
