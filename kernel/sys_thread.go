package kernel

import (
	"sync/atomic"
	"unsafe"

	"github.com/gotoro/gotoro/kernel/arch"
	"github.com/gotoro/gotoro/kernel/desc"
	"github.com/gotoro/gotoro/kernel/ktime"
)

// Thread system calls: clone, exit, futex, sleeping, arch_prctl, affinity.

const (
	cloneVM            = 0x100
	cloneFS            = 0x200
	cloneFiles         = 0x400
	cloneSighand       = 0x800
	cloneVfork         = 0x4000
	cloneThread        = 0x10000
	cloneSettls        = 0x80000
	cloneParentSettid  = 0x100000
	cloneChildCleartid = 0x200000
	cloneChildSettid   = 0x1000000
)

// sysClone creates a thread sharing everything with the caller, the only
// kind of clone the kernel supports (there are no processes). The child
// starts from a copy of the caller's frame.
//
//go:nosplit
func sysClone(f *trapFrame) int64 {
	return spawnThread(f, f.rdi, uintptr(f.rsi), uintptr(f.rdx), uintptr(f.r10), uintptr(f.r8))
}

//go:nosplit
func spawnThread(f *trapFrame, flags uint64, stack, ptid, ctid, tls uintptr) int64 {
	const need = cloneVM | cloneThread | cloneSighand
	if flags&need != need {
		return -ENOSYS
	}
	t := threadAlloc()
	if t == nil {
		return -EAGAIN
	}
	parent := curThread()
	*t.frame() = *f
	cf := t.frame()
	cf.rax = 0
	if stack != 0 {
		cf.rsp = uint64(stack)
	}
	t.fsbase = parent.fsbase
	if flags&cloneSettls != 0 {
		t.fsbase = tls
	}
	// The child's TLS g slot is restored from the frame on its way out.
	if userRange(t.fsbase-8, 8, false) {
		cf.g = *(*uint64)(ptr(t.fsbase - 8))
	} else {
		cf.g = 0
	}
	// The child starts with a copy of the parent's saved state, loaded in
	// full on its first return (which also keeps XSAVEOPT's tracking of
	// the last XRSTOR away from whatever thread had this slot before).
	copy(unsafeSlice(t.fxAddr(), fpu.size), unsafeSlice(parent.fxAddr(), fpu.size))
	cf.vector = vecSyscallFX
	t.sigmask, t.maskSaved = parent.sigmask, false
	t.affinity = parent.affinity
	tid := t.tid()
	if flags&cloneParentSettid != 0 && userRange(ptid, 4, true) {
		*(*int32)(ptr(ptid)) = tid
	}
	if flags&cloneChildSettid != 0 && userRange(ctid, 4, true) {
		*(*int32)(ptr(ctid)) = tid
	}
	if flags&cloneChildCleartid != 0 {
		t.clearTID = ctid
	}
	t.prepareStart()
	place(t)
	return int64(tid)
}

func sysExit(status, _, _, _, _, _ uintptr) int64 {
	exitThread(int(int32(status)))
	return 0 // not reached
}

// sysExitGroup stops the machine with the program's exit status, once
// shared file mappings are written back and the network service and the
// vsock host have taken what the program wrote.
//
//go:nosplit
func sysExitGroup(status, _, _, _, _, _ uintptr) int64 {
	stampExit()
	// Exiting: a pending signal (the Go runtime's preemption request to
	// the goroutine that called exit, say) must not turn the waits below
	// into a spin that holds the kernel from the threads they wait for.
	curThread().sigmask = ^uint64(0)
	vmWritebackAll()
	netLinger()
	vsockLinger()
	exitVM(int(int32(status)) & 0xff)
	return 0 // not reached
}

// exitThread ends the calling thread.
func exitThread(status int) {
	t := curThread()
	if atomic.LoadInt32(&nthreads) == 1 {
		vmWritebackAll()
		exitVM(status & 0xff)
	}
	if t.clearTID != 0 && userRange(t.clearTID, 4, true) {
		*(*int32)(ptr(t.clearTID)) = 0
		futexWakeExit(t.clearTID)
	}
	atomic.AddInt32(&nthreads, -1)
	t.setState(tsDead)
	schedule()
	kpanic("dead thread resumed")
}

type timespec struct {
	sec, nsec int64
}

// readTimespec reads a user timespec as ns; ok is false for a bad pointer
// or value.
//
//go:nosplit
func readTimespec(p uintptr) (int64, int64) {
	b, ok := userBytes(p, 16, false)
	if !ok {
		return 0, -EFAULT
	}
	return timespecNs(*(*timespec)(unsafe.Pointer(&b[0])))
}

// timespecNs converts ts to ns, or reports -EINVAL for a value out of range.
func timespecNs(ts timespec) (int64, int64) {
	if ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1e9 {
		return 0, -EINVAL
	}
	if ts.sec > (1<<62)/1_000_000_000 {
		return 1 << 62, 0
	}
	return ts.sec*1e9 + ts.nsec, 0
}

// sleepUntil blocks until deadline and reports -EINTR if a signal cut it
// short.
//
//go:nosplit
func sleepUntil(deadline int64) int64 {
	for ktime.Now() < deadline {
		if block(deadline) == wakeSignal {
			return -EINTR
		}
	}
	return 0
}

//go:nosplit
func sysNanosleep(req, rem, _, _, _, _ uintptr) int64 {
	ns, e := readTimespec(req)
	if e != 0 {
		return e
	}
	deadline := ktime.Now() + ns
	r := sleepUntil(deadline)
	if r == -EINTR && rem != 0 {
		if b, ok := userBytes(rem, 16, true); ok {
			left := max(deadline-ktime.Now(), 0)
			*(*timespec)(unsafe.Pointer(&b[0])) = timespec{left / 1e9, left % 1e9}
		}
	}
	return r
}

const timerAbstime = 1

func sysClockNanosleep(clk, flags, req, rem, _, _ uintptr) int64 {
	return clockNanosleep(int32(clk), int32(flags), req, rem)
}

func clockNanosleep(clk, flags int32, req, rem uintptr) int64 {
	ns, e := readTimespec(req)
	if e != 0 {
		return e
	}
	deadline := ktime.Now() + ns
	if flags&timerAbstime != 0 {
		deadline = ns
		if clk == clockRealtime {
			deadline = ns - ktime.EpochNs()
		}
	}
	return sleepUntil(deadline)
}

const (
	archSetFS = 0x1002
	archGetFS = 0x1003
)

//go:nosplit
func sysArchPrctl(code, addr, _, _, _, _ uintptr) int64 {
	return archPrctl(int32(code), addr)
}

//go:nosplit
func archPrctl(code int32, addr uintptr) int64 {
	t := curThread()
	switch code {
	case archSetFS:
		if addr < 8 || !userRange(addr-8, 8, true) {
			return -EPERM
		}
		// While the thread is in the kernel, the g slot (FS:-8) of its TLS
		// holds its kernel g and the frame holds the slot's own value. Move
		// that arrangement to the new area; no assembly is called until
		// the FS base is written, so the g register stays valid.
		f := t.frame()
		oldSlot := (*uint64)(ptr(t.fsbase - 8))
		newSlot := (*uint64)(ptr(addr - 8))
		kgv := *oldSlot
		*oldSlot = f.g
		f.g = *newSlot
		*newSlot = kgv
		t.fsbase = addr
		arch.Wrmsr(desc.MSRFSBase, uint64(addr))
		return 0
	case archGetFS:
		b, ok := userBytes(addr, 8, true)
		if !ok {
			return -EFAULT
		}
		*(*uintptr)(unsafe.Pointer(&b[0])) = t.fsbase
		return 0
	}
	return -EINVAL
}

// sysKill handles kill(2): the only process is pid 1 (or 0, -1).
func sysKill(pid, sig, _, _, _, _ uintptr) int64 {
	if p := int32(pid); p != 1 && p != 0 && p != -1 {
		return -ESRCH
	}
	return tgkill(1, curThread().tid(), int(sig))
}

//go:nosplit
func sysGettid(_, _, _, _, _, _ uintptr) int64 { return int64(curThread().tid()) }

func sysSetTidAddress(addr, _, _, _, _, _ uintptr) int64 {
	curThread().clearTID = addr
	return int64(curThread().tid())
}

func sysSchedYield(_, _, _, _, _, _ uintptr) int64 {
	yield()
	return 0
}
