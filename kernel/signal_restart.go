package kernel

// Restarting system calls a signal cut (Linux's ERESTARTSYS and
// SA_RESTART). A blocking wait that a signal ends — a read of an empty
// pipe, socket or eventfd, an accept, a FIFO open, a flock — returns
// errRestartSys rather than EINTR. On the way back to Go code the call is
// then either restarted or fails with EINTR, as on Linux:
//
//   - a handler installed with SA_RESTART runs, then the call runs again
//     (the Go runtime installs every handler so: its preemption signal
//     must not fail a program's raw syscall.Read with EINTR);
//   - a handler without SA_RESTART runs, and the call returns EINTR;
//   - no handler runs (the signal is ignored): the call runs again at once.
//
// Waits with a timeout (nanosleep, epoll_wait, futex, a TCP connect) keep
// returning EINTR, as Linux's do.

// errRestartSys is Linux's ERESTARTSYS: a kernel-internal result, never
// seen by the program.
const errRestartSys = 512

// syscallCut reports whether f is a system call's frame whose call a
// signal cut and which may be restarted.
func syscallCut(f *trapFrame) bool {
	return (f.vector == vecSyscall || f.vector == vecSyscallFX) && int64(f.rax) == -errRestartSys
}

// restartSyscall makes f, cut by a signal, run its system call again when
// it returns: rip back over SYSCALL, rax the call's number. A frame whose
// rip does not follow a SYSCALL gets EINTR instead.
func restartSyscall(f *trapFrame) {
	at := uintptr(f.rip) - 2
	if f.rip < 2 || !userRange(at, 2, false) {
		f.rax = eintrResult
		return
	}
	if insn := unsafeSlice(at, 2); insn[0] != 0x0f || insn[1] != 0x05 { // SYSCALL
		f.rax = eintrResult
		return
	}
	f.rip -= 2
	f.rax = curThread().restartNr
}

// eintrResult is -EINTR as a frame's rax.
const eintrResult = ^uint64(EINTR - 1)
