package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/kernel/ktime"
)

// Futexes without the big kernel lock. Waiters queue in one of
// futexBuckets buckets chosen by a hash of the user address; each bucket
// has its own spin lock, so waits and wakes on different words run in
// parallel on different cores, and a wake never scans the thread table.
//
// The lost-wake-up rule: a waiter checks the user word, queues itself and
// marks itself blocked all under its bucket's lock; a waker changes the
// word first and then takes the same lock, so it either sees the waiter
// queued and blocked, or the waiter sees the new value and does not
// sleep.
//
// Reading the user word may fault: the page may not be backed yet, and
// demand paging needs the big kernel lock (the VMA table). Bucket locks
// are never held across a fault. Under a bucket lock the word is reached
// through the page tables (futexWord, usermem.go): a present page is read
// through the direct map, and its frame cannot be reused while this core
// holds the lock without spinning (usermem.go says why). If the page is
// absent the fast path gives up before changing anything and the whole
// call runs again under the big kernel lock, where the word is touched
// directly and a fault is resolved as for any system call's buffer.
//
// Lock order: the big kernel lock, then bucket locks, two buckets in
// address order (requeue, wake-op). Nothing is taken while a bucket lock
// is held, and a thread never blocks holding one.

const futexBuckets = 64 // a power of two

// futexBucket is one hash chain of waiters (thread index + 1; 0 ends it),
// in arrival order.
type futexBucket struct {
	lock       spinLock
	head, tail int32
	_          [52]byte // one cache line per bucket
}

var futexTable [futexBuckets]futexBucket

func futexBucketOf(addr uintptr) *futexBucket {
	h := uint64(addr>>2) * 0x9E3779B97F4A7C15
	return &futexTable[h>>(64-6)]
}

// Futex operations (futex(2)).
const (
	futexWait           = 0
	futexWake           = 1
	futexRequeue        = 3
	futexCmpRequeue     = 4
	futexWakeOp         = 5
	futexWaitBitset     = 9
	futexWakeBitset     = 10
	futexPrivate        = 128
	futexClockRT        = 256
	futexBitsetMatchAny = 0xFFFF_FFFF
)

//go:nosplit
func sysFutex(addr, op, val, timeout, addr2, val3 uintptr) int64 {
	a := futexArgs{addr: addr, op: int32(op), val: uint32(val), timeout: timeout, addr2: addr2, val3: uint32(val3)}
	if r, ok := futexCall(&a, false); ok {
		return r
	}
	// A page the call needs is not present: do it again under the big
	// kernel lock, which lets the kernel fault it in.
	bklLock()
	r, _ := futexCall(&a, true)
	bklUnlock()
	return r
}

type futexArgs struct {
	addr    uintptr
	op      int32
	val     uint32
	timeout uintptr
	addr2   uintptr
	val3    uint32
}

// futexCall performs the futex operation in a. With mayFault unset it
// touches user memory only through present pages and reports ok = false,
// having changed nothing, when it needs one that is not; with mayFault set
// the caller holds the big kernel lock and user memory is touched directly.
func futexCall(a *futexArgs, mayFault bool) (r int64, ok bool) {
	cmd := a.op &^ (futexPrivate | futexClockRT)
	if a.op&futexClockRT != 0 && cmd != futexWaitBitset {
		return -ENOSYS, true
	}
	switch cmd {
	case futexWait, futexWaitBitset:
		bits := uint32(futexBitsetMatchAny)
		if cmd == futexWaitBitset {
			if a.val3 == 0 {
				return -EINVAL, true
			}
			bits = a.val3
		}
		if a.addr&3 != 0 {
			return -EINVAL, true
		}
		deadline := int64(0)
		if a.timeout != 0 {
			ns, e, ok := futexTimeout(a.timeout, mayFault)
			if !ok {
				return 0, false
			}
			if e != 0 {
				return e, true
			}
			if cmd == futexWaitBitset {
				// Absolute time on the chosen clock.
				if a.op&futexClockRT != 0 {
					ns -= ktime.EpochNs()
				}
				deadline = max(ns, 1)
			} else {
				deadline = ktime.Now() + ns
			}
		}
		return futexWaitOn(a.addr, a.val, bits, deadline, mayFault)
	case futexWake:
		return int64(futexWakeN(a.addr, int32(a.val), futexBitsetMatchAny)), true
	case futexWakeBitset:
		if a.val3 == 0 {
			return -EINVAL, true
		}
		return int64(futexWakeN(a.addr, int32(a.val), a.val3)), true
	case futexRequeue, futexCmpRequeue:
		return futexRequeueOp(a, cmd == futexCmpRequeue, mayFault)
	case futexWakeOp:
		return futexWakeOpCall(a, mayFault)
	}
	return -ENOSYS, true
}

// futexWord returns where the kernel may access the 32-bit user word at
// addr (4-aligned) without a page fault, or 0 if its page is not present
// (or not writable, for write): the caller then gives up and the call runs
// again with mayFault set, under the big kernel lock, where the VMA table
// decides (bad: EFAULT) and the word is touched directly.
//
//go:nosplit
func futexWord(addr uintptr, write, mayFault bool) (p uintptr, bad bool) {
	if !mayFault {
		return userPhys(addr, write), false
	}
	if !userRange(addr, 4, write) {
		return 0, true
	}
	return addr, false
}

// futexTimeout reads a relative or absolute timeout (a user timespec) as
// ns. ok is false if the fast path cannot read it.
func futexTimeout(p uintptr, mayFault bool) (ns, errno int64, ok bool) {
	if mayFault || p&7 != 0 {
		if !mayFault {
			return 0, 0, false
		}
		ns, e := readTimespec(p)
		return ns, e, true
	}
	var w [2]uint64
	for i := range w {
		q := userPhys(p+uintptr(8*i), false)
		if q == 0 {
			return 0, 0, false
		}
		w[i] = atomic.LoadUint64((*uint64)(ptr(q)))
	}
	ts := timespec{int64(w[0]), int64(w[1])}
	ns, e := timespecNs(ts)
	return ns, e, true
}

// futexWaitOn is FUTEX_WAIT(_BITSET): sleep on addr if it still holds
// val, until a wake whose bitset meets bits, a signal or the deadline.
//
//go:nosplit
func futexWaitOn(addr uintptr, val, bits uint32, deadline int64, mayFault bool) (int64, bool) {
	b := futexBucketOf(addr)
	t := curThread()
	b.lock.lock()
	p, bad := futexWord(addr, false, mayFault)
	if bad {
		b.lock.unlock()
		return -EFAULT, true
	}
	if p == 0 {
		b.lock.unlock()
		return 0, false
	}
	if atomic.LoadUint32((*uint32)(ptr(p))) != val {
		b.lock.unlock()
		return -EAGAIN, true
	}
	t.futexAddr = addr
	t.futexBits = bits
	b.push(t)
	// Blocked before the bucket is unlocked: a waker that finds t queued
	// can claim it.
	r := blockPrepare(deadline)
	b.lock.unlock()
	if r == wakeNone {
		r = blockCommit()
	}
	if r != wakeEvent {
		futexDequeue(t)
	}
	switch r {
	case wakeTimeout:
		return -ETIMEDOUT, true
	case wakeSignal:
		return -EINTR, true
	}
	return 0, true
}

// futexDequeue takes t off its bucket's chain after a timeout or signal,
// if a wake has not already done so. A requeue may move t to another
// bucket meanwhile; it changes t.futexAddr only under both buckets' locks.
func futexDequeue(t *thread) {
	for {
		addr := atomic.LoadUintptr(&t.futexAddr)
		b := futexBucketOf(addr)
		b.lock.lock()
		if atomic.LoadUintptr(&t.futexAddr) == addr {
			if t.futexQueued != 0 {
				b.remove(t)
			}
			b.lock.unlock()
			return
		}
		b.lock.unlock()
	}
}

// futexWakeN wakes up to n waiters on addr whose bitset meets bits (at
// least one, as Linux does for n <= 0) and returns how many it woke.
//
//go:nosplit
func futexWakeN(addr uintptr, n int32, bits uint32) int {
	b := futexBucketOf(addr)
	b.lock.lock()
	woken := b.wake(addr, n, bits)
	b.lock.unlock()
	return woken
}

// wake wakes up to n (at least one) waiters on addr whose bitset meets
// bits; b is locked. A waiter a timeout or signal has already claimed is
// left queued (it takes itself off) and not counted.
//
//go:nosplit
func (b *futexBucket) wake(addr uintptr, n int32, bits uint32) int {
	woken := 0
	for i := b.head; i != 0; {
		t := &threads[i-1]
		i = t.futexNext
		if t.futexAddr != addr || t.futexBits&bits == 0 {
			continue
		}
		if !t.casState(tsBlocked, tsWaking) {
			continue
		}
		b.remove(t)
		wakeClaimed(t, wakeEvent)
		woken++
		if int32(woken) >= n {
			break
		}
	}
	return woken
}

// futexWakeExit is the CLONE_CHILD_CLEARTID wake of an exiting thread
// (called with the big kernel lock held, which may precede bucket locks).
func futexWakeExit(addr uintptr) { futexWakeN(addr, 1, futexBitsetMatchAny) }

// lock2 locks the buckets of two addresses in address order (once if they
// share a bucket).
func lock2(b1, b2 *futexBucket) {
	switch {
	case b1 == b2:
		b1.lock.lock()
	case uintptrOf(b1) < uintptrOf(b2):
		b1.lock.lock()
		b2.lock.lock()
	default:
		b2.lock.lock()
		b1.lock.lock()
	}
}

func unlock2(b1, b2 *futexBucket) {
	b1.lock.unlock()
	if b2 != b1 {
		b2.lock.unlock()
	}
}

// futexRequeueOp is FUTEX_REQUEUE and FUTEX_CMP_REQUEUE: wake up to val
// waiters on addr and move up to the count in the timeout argument of the
// rest to addr2. It returns the number woken plus, for the CMP form, the
// number moved (Linux returns both counts together for both forms).
func futexRequeueOp(a *futexArgs, cmp, mayFault bool) (int64, bool) {
	nwake, nmove := int32(a.val), int32(a.timeout)
	if nwake < 0 || nmove < 0 {
		return -EINVAL, true
	}
	if a.addr&3 != 0 || a.addr2&3 != 0 {
		return -EINVAL, true
	}
	b1, b2 := futexBucketOf(a.addr), futexBucketOf(a.addr2)
	lock2(b1, b2)
	if cmp {
		p, bad := futexWord(a.addr, false, mayFault)
		if bad || p == 0 {
			unlock2(b1, b2)
			if bad {
				return -EFAULT, true
			}
			return 0, false
		}
		if atomic.LoadUint32((*uint32)(ptr(p))) != a.val3 {
			unlock2(b1, b2)
			return -EAGAIN, true
		}
	}
	n := 0
	if nwake > 0 {
		n = b1.wake(a.addr, nwake, futexBitsetMatchAny)
	}
	moved := int32(0)
	for i := b1.head; i != 0 && moved < nmove; {
		t := &threads[i-1]
		i = t.futexNext
		if t.futexAddr != a.addr {
			continue
		}
		if b2 != b1 {
			b1.remove(t)
			b2.push(t)
		}
		atomic.StoreUintptr(&t.futexAddr, a.addr2)
		moved++
	}
	unlock2(b1, b2)
	return int64(n) + int64(moved), true
}

// FUTEX_WAKE_OP's operation and comparison (the fields of val3).
const (
	futexOpSet  = 0
	futexOpAdd  = 1
	futexOpOr   = 2
	futexOpAndN = 3
	futexOpXor  = 4

	futexOpArgShift = 8 // op flag: the argument is a shift count

	futexCmpEq = 0
	futexCmpNe = 1
	futexCmpLt = 2
	futexCmpLe = 3
	futexCmpGt = 4
	futexCmpGe = 5
)

// futexWakeOpDecode splits FUTEX_WAKE_OP's val3 into its operation,
// comparison and their arguments (12-bit signed; a shifted argument is
// 1 << arg). ok is false for an operation or comparison Linux does not
// know.
func futexWakeOpDecode(val3 uint32) (op, cmp uint32, oparg, cmparg int32, ok bool) {
	op, cmp = val3>>28, val3>>24&15
	oparg = int32(val3<<8) >> 20
	cmparg = int32(val3<<20) >> 20
	if op&futexOpArgShift != 0 {
		oparg = 1 << (uint32(oparg) & 31)
		op &^= futexOpArgShift
	}
	return op, cmp, oparg, cmparg, op <= futexOpXor && cmp <= futexCmpGe
}

// futexOpApply returns old changed by op with oparg.
func futexOpApply(op uint32, oparg int32, old uint32) uint32 {
	switch op {
	case futexOpSet:
		return uint32(oparg)
	case futexOpAdd:
		return old + uint32(oparg)
	case futexOpOr:
		return old | uint32(oparg)
	case futexOpAndN:
		return old &^ uint32(oparg)
	case futexOpXor:
		return old ^ uint32(oparg)
	}
	return old
}

// futexCmpTrue reports whether old (as a signed word) passes cmp against
// cmparg.
func futexCmpTrue(cmp uint32, old, cmparg int32) bool {
	switch cmp {
	case futexCmpEq:
		return old == cmparg
	case futexCmpNe:
		return old != cmparg
	case futexCmpLt:
		return old < cmparg
	case futexCmpLe:
		return old <= cmparg
	case futexCmpGt:
		return old > cmparg
	case futexCmpGe:
		return old >= cmparg
	}
	return false
}

// futexWakeOpCall is FUTEX_WAKE_OP: atomically apply the operation in
// val3 to the word at addr2, wake up to val waiters on addr and, if the
// word's old value passes val3's comparison, up to the count in the
// timeout argument on addr2.
func futexWakeOpCall(a *futexArgs, mayFault bool) (int64, bool) {
	op, cmp, oparg, cmparg, ok := futexWakeOpDecode(a.val3)
	if !ok {
		return -ENOSYS, true
	}
	if a.addr2&3 != 0 {
		return -EINVAL, true
	}
	b1, b2 := futexBucketOf(a.addr), futexBucketOf(a.addr2)
	lock2(b1, b2)
	p, bad := futexWord(a.addr2, true, mayFault)
	if bad || p == 0 {
		unlock2(b1, b2)
		if bad {
			return -EFAULT, true
		}
		return 0, false
	}
	w := (*uint32)(ptr(p))
	old := atomic.LoadUint32(w)
	for !atomic.CompareAndSwapUint32(w, old, futexOpApply(op, oparg, old)) {
		old = atomic.LoadUint32(w)
	}
	n := b1.wake(a.addr, int32(a.val), futexBitsetMatchAny)
	if futexCmpTrue(cmp, int32(old), cmparg) {
		n += b2.wake(a.addr2, int32(a.timeout), futexBitsetMatchAny)
	}
	unlock2(b1, b2)
	return int64(n), true
}

// push appends t to b's chain; b is locked.
func (b *futexBucket) push(t *thread) {
	i := int32(t.index()) + 1
	t.futexNext = 0
	if b.tail == 0 {
		b.head = i
	} else {
		threads[b.tail-1].futexNext = i
	}
	b.tail = i
	t.futexQueued = 1
}

// remove takes t off b's chain; b is locked and t is on it.
//
//go:nosplit
func (b *futexBucket) remove(t *thread) {
	i := int32(t.index()) + 1
	prev := int32(0)
	for j := b.head; j != 0; j = threads[j-1].futexNext {
		if j == i {
			next := t.futexNext
			if prev == 0 {
				b.head = next
			} else {
				threads[prev-1].futexNext = next
			}
			if b.tail == i {
				b.tail = prev
			}
			t.futexNext = 0
			t.futexQueued = 0
			return
		}
		prev = j
	}
	kpanic("futex waiter missing from its bucket")
}
