package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/kernel/arch"
)

// The big kernel lock. The scheduler, the timer path and wake-ups are per
// core and take no lock (sched.go); futex waiters are under their bucket
// locks (futex.go), and reads and writes of some file kinds run on their
// objects' own locks (sys_file.go), and page faults on anonymous memory
// run under the VMA lock (vmLock, vm.go). The remaining kernel state
// shared by all cores — the thread table's allocation, changes to the
// address space (with vmLock), most files, sockets, epoll, /tmp's tree
// (pipes have their own locks, pipe.go) — is guarded by this one lock,
// taken around most system calls, the other page faults and signal
// delivery and dropped while a thread blocks (schedule). It comes
// first in the lock order (docs/kernel.md, "Locks"). Kernel code runs
// with interrupts off, so a core waiting for the lock keeps answering TLB
// shootdowns from the loop itself.
var bkl struct {
	owner uint32 // core id + 1, 0 when free
	_     [60]byte
}

// bklLock takes the big kernel lock.
//
//go:nosplit
func bklLock() {
	c := thisCPU()
	me := uint32(c.id) + 1
	for !atomic.CompareAndSwapUint32(&bkl.owner, 0, me) {
		for atomic.LoadUint32(&bkl.owner) != 0 {
			arch.Pause()
			tlbService(c)
		}
	}
}

// bklUnlock releases the big kernel lock.
func bklUnlock() { atomic.StoreUint32(&bkl.owner, 0) }

// bklHeld reports whether the running core holds the lock.
func bklHeld() bool { return atomic.LoadUint32(&bkl.owner) == uint32(thisCPU().id)+1 }

// bigLockOnly runs every system call under the big kernel lock, as before
// futex, read and write left it (cmdline biglock=all): a diagnostic, to
// tell whether a failure follows the paths without the lock.
var bigLockOnly bool
