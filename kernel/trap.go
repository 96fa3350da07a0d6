package kernel

import (
	"github.com/gotoro/gotoro/internal/bootabi"
	"github.com/gotoro/gotoro/kernel/apic"
	"github.com/gotoro/gotoro/kernel/arch"
	"github.com/gotoro/gotoro/kernel/mm"
)

// trapFrame is the state saved on kernel entry (trap_amd64.s), lowest
// address first.
type trapFrame struct {
	g                                    uint64 // the thread's TLS g slot
	r15, r14, r13, r12, r11, r10, r9, r8 uint64
	rbp, rdi, rsi, rdx, rcx, rbx, rax    uint64
	vector, err                          uint64
	rip, cs, rflags, rsp, ss             uint64
}

const trapFrameSize = 23 * 8

// Interrupt vectors.
const (
	vecDivide     = 0
	vecDebug      = 1
	vecNMI        = 2
	vecBreakpoint = 3
	vecInvalidOp  = 6
	vecDevNA      = 7
	vecDouble     = 8
	vecGP         = 13
	vecPageFault  = bootabi.VecPageFault
	vecFPU        = 16
	vecSIMD       = 19
	vecTimer      = bootabi.VecTimer
	vecWake       = 0xF0 // IPI: look at the inbox / a signal is pending
	vecTLB        = 0xF1 // IPI: TLB shootdown
	vecSpurious   = 255
	vecSyscall    = bootabi.VecSyscall
	// vecSyscallFX marks a system-call frame whose saved FPU/SSE state
	// must be reloaded on return (rt_sigreturn).
	vecSyscallFX = bootabi.VecSyscallFX
)

// trap handles every entry from Go code. It runs on the thread's kernel
// stack with interrupts off.
//
//go:nosplit
func trap(f *trapFrame) {
	goDoubleDelivery(f)
	bootCount(f.vector)
	switch v := f.vector; {
	case v == vecSyscall:
		syscall(f) // takes the big kernel lock unless the call needs none
	case v == vecPageFault:
		// Anonymous memory without the big lock (vm.go); the rest —
		// signals, file mappings, running out of memory — under it.
		addr := uintptr(arch.ReadCR2())
		if !faultUnlocked(addr, f.err) {
			bklLock()
			userPageFault(f, addr)
			bklUnlock()
		}
	case v == vecTimer:
		apic.EOI()
		timerInterrupt()
	case v == vecWake:
		apic.EOI()
		drainInbox(thisCPU())
	case v == vecTLB:
		apic.EOI()
		tlbService(thisCPU())
	case v == vecSpurious:
	case v == vecDebug && debugTrap(f):
	case v == vecBreakpoint && snapshotTrap(f):
	case v < 32:
		bklLock()
		userException(f)
		bklUnlock()
	case v == vecGED:
		gedInterrupt()
	case virtioInterrupt(v):
		// Let a thread the device woke run now rather than at the end of
		// this thread's time slice.
		if thisCPU().sched().runq.n > 0 {
			yield()
		}
	default:
		apic.EOI()
	}
	t := curThread()
	if t.affinity&(1<<uint(thisCPU().id)) == 0 {
		migrate(t)
	}
	if t.pending&^t.sigmask != 0 {
		bklLock()
		deliverSignals(f)
		bklUnlock()
		// A ppoll's mask after a signal no handler took (a mask kept
		// past the call always has a signal pending: waitMaskDone).
		waitMaskRestore(t)
	}
	if syscallCut(f) {
		// No handler ran for the signal that cut the wait (ignored, or
		// taken by another path): the call goes on as if never cut.
		restartSyscall(f)
	}
	armTimer(thisCPU())
}

// kintr handles interrupts and exceptions taken while kernel code runs: the
// idle halt, or a kernel bug.
func kintr(f *trapFrame) {
	if f.vector >= 32 && f.rflags&rflagsIF == 0 && !idleDoubleDelivery(f) {
		// External interrupts share one interrupt stack (istIRQ): one
		// taken while another is handled overwrites its frame.
		maskedInterrupt(f)
	}
	hltShadowFixup(f)
	bootCount(f.vector)
	switch v := f.vector; {
	case v == vecTimer:
		apic.EOI()
		thisCPU().sched().timerArmed = 0 // fired: the idle loop re-arms it
	case v == vecWake:
		apic.EOI() // the idle loop looks at the inbox
	case v == vecTLB:
		apic.EOI()
		tlbService(thisCPU())
	case v == vecSpurious:
	case v == vecPageFault:
		addr := uintptr(arch.ReadCR2())
		if kernelPageFault(addr, f.err) {
			return
		}
		stackOverflow(f, addr)
		if readOnlyFault(addr, f.err) {
			kprint("\n" + bootabi.FaultMarker + ": ")
			readOnlyWrite("the kernel", addr, uintptr(f.rip))
			fatalStop(f)
		}
		fatalFrame("page fault in the kernel", f, addr)
	case v < 32:
		ktestException(v)
		fatalFrame(exceptionName(v), f, 0)
	case v == vecGED:
		gedInterrupt()
	case virtioInterrupt(v):
	default:
		apic.EOI()
	}
}

// userException turns a CPU exception in Go code into the signal Linux would
// send.
func userException(f *trapFrame) {
	switch f.vector {
	case vecDivide:
		sendFault(f, sigFPE, fpeIntDiv, uintptr(f.rip))
	case vecInvalidOp:
		sendFault(f, sigILL, illIllOpn, uintptr(f.rip))
	case vecBreakpoint, vecDebug:
		sendFault(f, sigTRAP, siKernel, uintptr(f.rip))
	case vecGP:
		sendFault(f, sigSEGV, siKernel, 0)
	case vecFPU, vecSIMD:
		sendFault(f, sigFPE, siKernel, uintptr(f.rip))
	default:
		fatalFrame(exceptionName(f.vector), f, 0)
	}
}

func exceptionName(v uint64) string {
	names := [...]string{"divide error", "debug", "NMI", "breakpoint", "overflow",
		"bound range", "invalid opcode", "device not available", "double fault",
		"coprocessor overrun", "invalid TSS", "segment not present",
		"stack fault", "general protection fault", "page fault", "reserved",
		"x87 floating-point error", "alignment check", "machine check",
		"SIMD floating-point error", "virtualization exception"}
	if v < uint64(len(names)) {
		return names[v]
	}
	return "exception"
}

// fatalFrame prints a fault report for f and stops the machine with
// bootabi.ExitFault.
func fatalFrame(what string, f *trapFrame, addr uintptr) {
	kprint("\n" + bootabi.FaultMarker + ": ")
	kprint(what)
	if addr != 0 {
		kprint(" at address ")
		kprintHex(uint64(addr))
	}
	kprint("\n")
	fatalStop(f)
}

// fatalStop ends a fault report: f's registers and symbolized stack, and
// the machine stops with bootabi.ExitFault.
func fatalStop(f *trapFrame) {
	printRegs(f)
	printStack(uintptr(f.rip), uintptr(f.rsp), uintptr(f.rbp))
	arch.Outl(bootabi.DebugExitPort, bootabi.ExitFault)
	for {
		arch.Hlt()
	}
}

// kpanic stops the machine on a kernel invariant violation.
func kpanic(msg string) {
	kprint("\n" + bootabi.FaultMarker + ": kernel panic: ")
	kprint(msg)
	kprint("\n")
	if fp := arch.FramePointer(); fp != 0 && mm.Readable(fp, 16) {
		// kpanic's own frame: its return address and its caller's frame.
		printStack(*(*uintptr)(ptr(fp + 8)), 0, *(*uintptr)(ptr(fp)))
	}
	arch.Outl(bootabi.DebugExitPort, bootabi.ExitFault)
	for {
		arch.Hlt()
	}
}

func printRegs(f *trapFrame) {
	regs := [...]struct {
		name string
		v    uint64
	}{
		{"rip", f.rip}, {"rsp", f.rsp}, {"rbp", f.rbp}, {"rflags", f.rflags},
		{"rax", f.rax}, {"rbx", f.rbx}, {"rcx", f.rcx}, {"rdx", f.rdx},
		{"rsi", f.rsi}, {"rdi", f.rdi}, {"r8", f.r8}, {"r9", f.r9},
		{"r10", f.r10}, {"r11", f.r11}, {"r12", f.r12}, {"r13", f.r13},
		{"r14", f.r14}, {"r15", f.r15}, {"vector", f.vector}, {"error", f.err},
	}
	for i, r := range regs {
		kprint(r.name)
		kprint("=")
		kprintHex(r.v)
		if i%4 == 3 {
			kprint("\n")
		} else {
			kprint(" ")
		}
	}
	kprint("cr2=")
	kprintHex(arch.ReadCR2())
	kprint(" cr3=")
	kprintHex(arch.ReadCR3())
	kprint("\n")
}
