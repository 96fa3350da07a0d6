package kernel

import "unsafe"

// Signals, as far as the Go runtime uses them: handlers installed with
// rt_sigaction, per-thread masks and alternate stacks, synchronous faults
// (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP) turned into Go panics by the
// runtime's handler, and tgkill (SIGURG for asynchronous preemption).
// Delivery builds the same rt_sigframe Linux builds on x86-64.

const nsig = 65

const (
	sigHUP   = 1
	sigINT   = 2
	sigQUIT  = 3
	sigILL   = 4
	sigTRAP  = 5
	sigABRT  = 6
	sigBUS   = 7
	sigFPE   = 8
	sigKILL  = 9
	sigSEGV  = 11
	sigPIPE  = 13
	sigTERM  = 15
	sigCHLD  = 17
	sigCONT  = 18
	sigSTOP  = 19
	sigURG   = 23
	sigWINCH = 28
	sigPROF  = 27
)

// si_code values.
const (
	siUser     = 0
	siKernel   = 0x80
	siTkill    = -6
	segvMapErr = 1
	segvAccErr = 2
	fpeIntDiv  = 1
	illIllOpn  = 2
)

const (
	saSiginfo   = 0x4
	saOnstack   = 0x08000000
	saRestart   = 0x10000000
	saNodefer   = 0x40000000
	saResethand = 0x80000000
	saRestorer  = 0x04000000

	sigDfl = 0
	sigIgn = 1

	ssOnstack = 1
	ssDisable = 2

	// minSigStackSize is Linux's MINSIGSTKSZ on amd64.
	minSigStackSize = 2048
)

type sigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

var sigactions [nsig]sigaction

func sigbit(sig int) uint64 { return 1 << (sig - 1) }

// sigFatalByDefault reports whether sig's default action ends the process.
func sigFatalByDefault(sig int) bool {
	switch sig {
	case sigCHLD, sigCONT, sigURG, sigWINCH, sigSTOP, 20, 21, 22:
		return false
	}
	return true
}

// sendFault sends a synchronous fault signal to the running thread. If the
// Go runtime cannot take it (no handler, or the signal is blocked), the
// machine stops with a fault report, as Linux would kill the process.
func sendFault(f *trapFrame, sig int, code int32, addr uintptr) {
	t := curThread()
	sa := &sigactions[sig]
	if sa.handler == sigDfl || sa.handler == sigIgn || t.sigmask&sigbit(sig) != 0 || t.inSignalDepth > 8 {
		fatalFrame(signalName(sig), f, addr)
	}
	t.pending |= sigbit(sig)
	t.pendCode[sig] = code
	t.pendAddr[sig] = addr
}

func signalName(sig int) string {
	switch sig {
	case sigSEGV:
		return "segmentation fault (SIGSEGV)"
	case sigBUS:
		return "bus error (SIGBUS)"
	case sigFPE:
		return "arithmetic fault (SIGFPE)"
	case sigILL:
		return "illegal instruction (SIGILL)"
	case sigTRAP:
		return "trace trap (SIGTRAP)"
	}
	return "signal"
}

// deliverSignals runs before returning to Go code: it sets up the frame for
// the lowest pending unblocked signal.
//
//go:nosplit
func deliverSignals(f *trapFrame) {
	t := curThread()
	for {
		ready := t.pending &^ t.sigmask
		if ready == 0 {
			return
		}
		sig := 1
		for ready&1 == 0 {
			ready >>= 1
			sig++
		}
		t.pending &^= sigbit(sig)
		sa := &sigactions[sig]
		switch sa.handler {
		case sigIgn:
			continue
		case sigDfl:
			if sigFatalByDefault(sig) {
				killedBySignal(sig)
			}
			continue
		}
		if syscallCut(f) {
			if sa.flags&saRestart != 0 {
				restartSyscall(f) // the handler returns into the call again
			} else {
				f.rax = eintrResult
			}
		}
		if !setupSigframe(t, f, sig, sa) {
			fatalFrame("cannot deliver a signal: bad signal stack", f, 0)
		}
		return
	}
}

// killedBySignal ends the machine as a process killed by sig: status 128+sig.
func killedBySignal(sig int) {
	kprint("gotoro: killed by signal ")
	kprintDec(uint64(sig))
	kprint("\n")
	exitVM(128 + sig)
}

// Layout of the signal frame (Linux x86-64 rt_sigframe):
//
//	sp+0    return address (sa_restorer)
//	sp+8    ucontext: flags, link, stack_t (24), mcontext (256), sigmask (8)
//	        siginfo (128)
//	        fpstate (64-byte aligned): the thread's state area (fpu.go),
//	        512 bytes with FXSAVE; with XSAVE the whole standard-format
//	        area, described by an fpxSwBytes in the legacy region's
//	        software-reserved bytes and followed by fpXstateMagic2
type ucontext struct {
	flags   uint64
	link    uint64
	ssSP    uint64
	ssFlags int32
	_       int32
	ssSize  uint64
	mc      mcontext
	sigmask uint64
	_       [15]uint64 // room the glibc-sized sigset would use
}

// mcontext is struct sigcontext: the general registers in Linux's order.
type mcontext struct {
	r8, r9, r10, r11, r12, r13, r14, r15 uint64
	rdi, rsi, rbp, rbx, rdx, rax, rcx    uint64
	rsp, rip, eflags                     uint64
	csgsfs, err, trapno, oldmask, cr2    uint64
	fpstate                              uint64
	_                                    [8]uint64
}

type siginfo struct {
	signo, errno, code, _ int32
	addr                  uint64
	_                     [112 - 8]byte
}

// ucontext flags Linux sets on x86-64.
const (
	ucFPXstate        = 0x1 // the fpstate is in XSAVE format (fpxSwBytes)
	ucSigcontextSS    = 0x2
	ucStrictRestoreSS = 0x4
)

// The markers of an XSAVE-format fpstate (Linux's FP_XSTATE_MAGIC1/2).
const (
	fpXstateMagic1 = 0x46505853
	fpXstateMagic2 = 0x46505845
)

// fpxSwBytes is Linux's struct _fpx_sw_bytes, at fxSwReserved in a signal
// frame's fpstate: which components the XSAVE area holds and its size.
type fpxSwBytes struct {
	magic1       uint32 // fpXstateMagic1
	extendedSize uint32 // xstateSize + 4 (fpXstateMagic2 follows the area)
	xfeatures    uint64 // components the area may hold (XCR0)
	xstateSize   uint32 // bytes of the XSAVE area, legacy region and header included
	_            [7]uint32
}

// sigFPStateSize returns the bytes a signal frame's fpstate takes.
func sigFPStateSize() uintptr {
	if fpu.mode == fpuFXSAVE {
		return fxLegacySize
	}
	return fpu.size + 4
}

// onSigStack reports whether stack pointer sp is on the alternate signal
// stack [altSP, altSP+altSize): altSP < sp and sp-altSP <= altSize, as
// Linux tests it, in one unsigned compare (false with no stack set,
// altSize 0) rather than a branch per condition, each a translated block
// under TCG.
func onSigStack(sp, altSP, altSize uintptr) bool { return sp-altSP-1 < altSize }

func setupSigframe(t *thread, f *trapFrame, sig int, sa *sigaction) bool {
	sp := uintptr(f.rsp)
	onAlt := onSigStack(sp, t.altSP, t.altSize)
	if sa.flags&saOnstack != 0 && t.altSize != 0 && t.altFlags&ssDisable == 0 && !onAlt {
		sp = t.altSP + t.altSize
	} else {
		sp -= 128 // red zone
	}
	fp := (sp - sigFPStateSize()) &^ 63
	infoAddr := fp - unsafe.Sizeof(siginfo{})
	ucAddr := (infoAddr - unsafe.Sizeof(ucontext{})) &^ 15
	frame := ucAddr - 8 // return address; handler entry sees (sp+8)%16 == 0
	if !userRange(frame, sp-frame, true) {
		return false
	}
	clear(unsafeSlice(frame, sp-frame))
	if f.vector == vecSyscall {
		// A system call saved no FPU/vector state; save the live one (the
		// kernel's, with X15 zero as Go code requires after a syscall).
		// The control registers, though, are the thread's own, saved on
		// entry: the live ones are whatever thread last ran here if this
		// one blocked (a program's rounding mode must not leak into
		// another thread through a signal frame).
		fpuSaveLive(t.fxAddr())
	}
	uc := (*ucontext)(ptr(ucAddr))
	uc.flags = ucSigcontextSS | ucStrictRestoreSS
	copy(unsafeSlice(fp, fpu.size), unsafeSlice(t.fxAddr(), fpu.size))
	if fpu.mode != fpuFXSAVE {
		*(*fpxSwBytes)(ptr(fp + fxSwReserved)) = fpxSwBytes{
			magic1:       fpXstateMagic1,
			extendedSize: uint32(fpu.size + 4),
			xfeatures:    fpu.xcr0,
			xstateSize:   uint32(fpu.size),
		}
		*(*uint32)(ptr(fp + fpu.size)) = fpXstateMagic2
		uc.flags |= ucFPXstate
	}

	info := (*siginfo)(ptr(infoAddr))
	info.signo = int32(sig)
	info.code = t.pendCode[sig]
	info.addr = uint64(t.pendAddr[sig])

	uc.ssSP, uc.ssSize = uint64(t.altSP), uint64(t.altSize)
	if onAlt {
		uc.ssFlags = ssOnstack
	} else if t.altSize == 0 {
		uc.ssFlags = ssDisable
	}
	uc.sigmask = t.sigmask
	if t.maskSaved {
		// A ppoll's (pselect6's, epoll_pwait's) mask: the handler runs
		// with it, rt_sigreturn restores the thread's own.
		uc.sigmask, t.maskSaved = t.savedMask, false
	}
	m := &uc.mc
	m.r8, m.r9, m.r10, m.r11 = f.r8, f.r9, f.r10, f.r11
	m.r12, m.r13, m.r14, m.r15 = f.r12, f.r13, f.r14, f.r15
	m.rdi, m.rsi, m.rbp, m.rbx = f.rdi, f.rsi, f.rbp, f.rbx
	m.rdx, m.rax, m.rcx = f.rdx, f.rax, f.rcx
	m.rsp, m.rip, m.eflags = f.rsp, f.rip, f.rflags
	m.csgsfs = uint64(selKernelCode) | uint64(selKernelData)<<48
	m.err = f.err
	m.trapno = f.vector
	m.cr2 = uint64(t.pendAddr[sig])
	t.pendCode[sig], t.pendAddr[sig] = 0, 0
	m.fpstate = uint64(fp)

	*(*uintptr)(ptr(frame)) = sa.restorer
	f.rsp = uint64(frame)
	f.rip = uint64(sa.handler)
	f.rdi = uint64(sig)
	f.rsi = uint64(infoAddr)
	f.rdx = uint64(ucAddr)
	f.rax = 0
	f.rflags &^= 0x400 | 0x100 // DF, TF
	// The handler starts with the initial FPU/vector state, as on Linux;
	// the interrupted state is in the frame.
	fpuInitArea(t.fxAddr())
	if f.vector == vecSyscall {
		f.vector = vecSyscallFX
	}

	t.sigmask |= sa.mask
	if sa.flags&saNodefer == 0 {
		t.sigmask |= sigbit(sig)
	}
	if sa.flags&saResethand != 0 {
		sa.handler = sigDfl
	}
	t.inSignalDepth++
	return true
}

// sysRtSigreturn restores the state saved by setupSigframe. The handler
// returned into sa_restorer, so the ucontext is at the caller's stack
// pointer. Its result is the restored RAX.
//
//go:nosplit
func sysRtSigreturn(f *trapFrame) int64 {
	t := curThread()
	ucAddr := uintptr(f.rsp)
	if !userRange(ucAddr, unsafe.Sizeof(ucontext{}), false) {
		fatalFrame("rt_sigreturn with a bad frame", f, ucAddr)
	}
	uc := (*ucontext)(ptr(ucAddr))
	m := &uc.mc
	f.r8, f.r9, f.r10, f.r11 = m.r8, m.r9, m.r10, m.r11
	f.r12, f.r13, f.r14, f.r15 = m.r12, m.r13, m.r14, m.r15
	f.rdi, f.rsi, f.rbp, f.rbx = m.rdi, m.rsi, m.rbp, m.rbx
	f.rdx, f.rax, f.rcx = m.rdx, m.rax, m.rcx
	f.rsp, f.rip = m.rsp, m.rip
	// Keep the kernel's control flags; take the arithmetic ones.
	const userFlags = 0xCD5 | 0x400 | 0x100 | 0x40000
	f.rflags = f.rflags&^userFlags | m.eflags&userFlags | 0x200
	if !restoreSigFPState(t.fxAddr(), uintptr(m.fpstate)) {
		fatalFrame("rt_sigreturn with a bad FPU state pointer", f, uintptr(m.fpstate))
	}
	t.sigmask = uc.sigmask &^ (sigbit(sigKILL) | sigbit(sigSTOP))
	f.vector = vecSyscallFX // reload the restored FPU/vector state
	if t.inSignalDepth > 0 {
		t.inSignalDepth--
	}
	return int64(f.rax)
}

// restoreSigFPState fills the state area dst from a signal frame's fpstate
// at buf, as Linux's rt_sigreturn does: an XSAVE-format area if its
// markers say so (the components it holds; the others start initial),
// else the legacy FXSAVE region; no fpstate (0) means the initial state.
// Whatever the program wrote there, the result is safe for XRSTOR. It
// reports false if buf cannot be read.
//
//go:nosplit
func restoreSigFPState(dst, buf uintptr) bool {
	fpuInitArea(dst)
	if buf == 0 {
		return true
	}
	if !userRange(buf, fxLegacySize, false) {
		return false
	}
	n, keep := uintptr(fxLegacySize), uint64(xfeatX87|xfeatSSE)
	if fpu.mode != fpuFXSAVE {
		sw := (*fpxSwBytes)(ptr(buf + fxSwReserved))
		size := uintptr(sw.xstateSize)
		if sw.magic1 == fpXstateMagic1 && size >= xsaveMinSize && size <= fpu.size &&
			uintptr(sw.extendedSize) == size+4 && userRange(buf, size+4, false) &&
			*(*uint32)(ptr(buf + size)) == fpXstateMagic2 {
			n, keep = size, sw.xfeatures&fpuComponentsWithin(size)
		}
	}
	copy(unsafeSlice(dst, n), unsafeSlice(buf, n))
	// The copy's software-reserved bytes are the frame's description, not
	// state; clear them so the area reads like one the kernel saved.
	clear(unsafeSlice(dst+fxSwReserved, fxLegacySize-fxSwReserved))
	if n == fxLegacySize && fpu.mode != fpuFXSAVE {
		fpuPtr(dst).header().xstateBV = xfeatX87 | xfeatSSE // the legacy region holds them
	}
	fpuPtr(dst).sanitize(keep)
	return true
}

//go:nosplit
func sysRtSigaction(sig, act, old, size, _, _ uintptr) int64 {
	return rtSigaction(int(sig), act, old, size)
}

//go:nosplit
func rtSigaction(sig int, act, old uintptr, size uintptr) int64 {
	if sig < 1 || sig >= nsig || size != 8 {
		return -EINVAL
	}
	if old != 0 {
		b, ok := userBytes(old, unsafe.Sizeof(sigaction{}), true)
		if !ok {
			return -EFAULT
		}
		*(*sigaction)(unsafe.Pointer(&b[0])) = sigactions[sig]
	}
	if act != 0 {
		if sig == sigKILL || sig == sigSTOP {
			return -EINVAL
		}
		b, ok := userBytes(act, unsafe.Sizeof(sigaction{}), false)
		if !ok {
			return -EFAULT
		}
		sigactions[sig] = *(*sigaction)(unsafe.Pointer(&b[0]))
	}
	return 0
}

const (
	sigBlock   = 0
	sigUnblock = 1
	sigSetmask = 2
)

//go:nosplit
func sysRtSigprocmask(how, set, old, size, _, _ uintptr) int64 {
	return rtSigprocmask(int(how), set, old, size)
}

//go:nosplit
func rtSigprocmask(how int, set, old uintptr, size uintptr) int64 {
	if size != 8 {
		return -EINVAL
	}
	t := curThread()
	if old != 0 {
		b, ok := userBytes(old, 8, true)
		if !ok {
			return -EFAULT
		}
		*(*uint64)(unsafe.Pointer(&b[0])) = t.sigmask
	}
	if set == 0 {
		return 0
	}
	b, ok := userBytes(set, 8, false)
	if !ok {
		return -EFAULT
	}
	s := *(*uint64)(unsafe.Pointer(&b[0]))
	switch how {
	case sigBlock:
		t.sigmask |= s
	case sigUnblock:
		t.sigmask &^= s
	case sigSetmask:
		t.sigmask = s
	default:
		return -EINVAL
	}
	t.sigmask &^= sigbit(sigKILL) | sigbit(sigSTOP)
	return 0
}

type stackT struct {
	sp    uintptr
	flags int32
	_     int32
	size  uintptr
}

// sysSigaltstack reads and sets the calling thread's alternate signal
// stack as Linux does: the old setting is reported with SS_ONSTACK while
// the thread runs on that stack (its stack pointer at the call is inside
// it) and SS_DISABLE when there is none; a thread on its alternate stack
// cannot change it (EPERM); a mode other than 0, SS_ONSTACK or
// SS_DISABLE is refused (EINVAL, SS_AUTODISARM included: not supported,
// as on Linux before 4.7); a stack under MINSIGSTKSZ is ENOMEM. The old
// setting is written only when the call succeeds.
//
//go:nosplit
func sysSigaltstack(ss, old, _, _, _, _ uintptr) int64 {
	t := curThread()
	onAlt := t.altSize != 0 && onSigStack(uintptr(t.frame().rsp), t.altSP, t.altSize)
	o := stackT{sp: t.altSP, size: t.altSize, flags: t.altFlags}
	if onAlt {
		o.flags = ssOnstack
	} else if t.altSize == 0 {
		o.flags = ssDisable
	}
	if ss != 0 {
		b, ok := userBytes(ss, unsafe.Sizeof(stackT{}), false)
		if !ok {
			return -EFAULT
		}
		n := (*stackT)(unsafe.Pointer(&b[0]))
		if onAlt {
			return -EPERM
		}
		switch n.flags {
		case ssDisable:
			t.altSP, t.altSize, t.altFlags = 0, 0, ssDisable
		case 0, ssOnstack:
			if n.size < minSigStackSize {
				return -ENOMEM
			}
			t.altSP, t.altSize, t.altFlags = n.sp, n.size, 0
		default:
			return -EINVAL
		}
	}
	if old != 0 {
		b, ok := userBytes(old, unsafe.Sizeof(stackT{}), true)
		if !ok {
			return -EFAULT
		}
		*(*stackT)(unsafe.Pointer(&b[0])) = o
	}
	return 0
}

//go:nosplit
func sysTgkill(tgid, tid, sig, _, _, _ uintptr) int64 {
	return tgkill(int32(tgid), int32(tid), int(sig))
}

// sysTkill is tgkill in the one thread group.
func sysTkill(tid, sig, _, _, _, _ uintptr) int64 {
	return tgkill(1, int32(tid), int(sig))
}

// tgkill queues sig for thread tid.
//
//go:nosplit
func tgkill(tgid, tid int32, sig int) int64 {
	if sig < 0 || sig >= nsig || tid < 1 || int(tid) > maxThreads {
		return -EINVAL
	}
	t := &threads[tid-1]
	if s := t.loadState(); s == tsFree || s == tsDead {
		return -ESRCH
	}
	if sig == 0 {
		return 0
	}
	t.pending |= sigbit(sig)
	t.pendCode[sig] = siTkill
	t.pendAddr[sig] = 0
	if t.sigmask&sigbit(sig) == 0 && !wake(t, wakeSignal) {
		kick(t)
	}
	return 0
}
