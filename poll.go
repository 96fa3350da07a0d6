package gotoro

import (
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// The polling hint. A thread that only polls memory (a ring, a flag) burns
// its core; PollWait lets the core halt instead while there is nothing to
// see. The protocol is an event count, so no wake-up is lost:
//
//	for !ready() {
//		t := gotoro.PollPrepare()
//		if ready() {
//			t.Cancel()
//			break
//		}
//		gotoro.PollWait(t, time.Millisecond)
//	}
//
// and the writer, after it has published what the poller looks for, calls
// Wake(core of the poller). Wake costs one atomic load when nobody on that
// core is waiting.
//
// PollWait blocks the thread in the kernel (a futex wait). In a gotoro
// guest a core whose threads are all blocked runs `hlt` until its next timer
// deadline or an inter-processor interrupt, so a polling core draws no host
// CPU. A writer that never calls Wake is still seen, at the latest after the
// timeout. Wake-up latency is that of a cross-core futex wake: see
// docs/smp.md for the figures.

// pollState is one core's event count, on its own cache line.
type pollState struct {
	seq     atomic.Uint32 // bumped by Wake while waiters > 0
	waiters atomic.Int32  // threads between PollPrepare and the end of PollWait
	_       [56]byte
}

var polls = make([]pollState, Cores())

// PollTicket is what PollPrepare returns: the core and its event count.
type PollTicket struct {
	core int
	seq  uint32
}

// PollPrepare announces that the calling thread is about to wait in
// PollWait on its current core. Check the polled condition again after it:
// a Wake after PollPrepare makes the following PollWait return at once.
// Every PollPrepare must be followed by a PollWait or a Cancel.
func PollPrepare() PollTicket {
	c := CoreID()
	if c < 0 {
		c = 0
	}
	p := &polls[c]
	p.waiters.Add(1)
	return PollTicket{core: c, seq: p.seq.Load()}
}

// PollWait blocks until Wake(t's core) is called after PollPrepare, or until
// timeout passes (timeout <= 0 waits for a Wake only). It reports whether a
// Wake ended the wait. Spurious returns are possible; callers re-check.
func PollWait(t PollTicket, timeout time.Duration) bool {
	p := &polls[t.core]
	defer p.waiters.Add(-1)
	if p.seq.Load() != t.seq {
		return true
	}
	var ts *syscall.Timespec
	if timeout > 0 {
		v := syscall.NsecToTimespec(int64(timeout))
		ts = &v
	}
	futexWait(&p.seq, t.seq, ts)
	return p.seq.Load() != t.seq
}

// Cancel withdraws a ticket whose PollWait is no longer needed (the
// re-check after PollPrepare found what it polls for).
func (t PollTicket) Cancel() { polls[t.core].waiters.Add(-1) }

// Wake ends the PollWait of every thread waiting on core. It is cheap when
// there is none. Out-of-range cores are ignored.
func Wake(core int) {
	if core < 0 || core >= len(polls) {
		return
	}
	p := &polls[core]
	if p.waiters.Load() == 0 {
		return
	}
	p.seq.Add(1)
	futexWake(&p.seq)
}

const (
	futexWaitPrivate = 0 | 128
	futexWakePrivate = 1 | 128
)

func futexWait(addr *atomic.Uint32, val uint32, ts *syscall.Timespec) {
	syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWaitPrivate, uintptr(val), uintptr(unsafe.Pointer(ts)), 0, 0)
}

func futexWake(addr *atomic.Uint32) {
	syscall.RawSyscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWakePrivate, 1<<30, 0, 0, 0)
}
