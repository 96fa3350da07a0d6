package kernel

// System call dispatch: the Linux x86-64 ABI (number in RAX, arguments in
// RDI, RSI, RDX, R10, R8, R9, result or -errno in RAX).

// Linux x86-64 system call numbers used by Go programs.
const (
	nrRead             = 0
	nrWrite            = 1
	nrOpen             = 2
	nrClose            = 3
	nrStat             = 4
	nrFstat            = 5
	nrLstat            = 6
	nrPoll             = 7
	nrLseek            = 8
	nrMmap             = 9
	nrMprotect         = 10
	nrMunmap           = 11
	nrBrk              = 12
	nrRtSigaction      = 13
	nrRtSigprocmask    = 14
	nrRtSigreturn      = 15
	nrIoctl            = 16
	nrPread64          = 17
	nrPwrite64         = 18
	nrReadv            = 19
	nrWritev           = 20
	nrAccess           = 21
	nrPipe             = 22
	nrSchedYield       = 24
	nrMsync            = 26
	nrMincore          = 27
	nrMadvise          = 28
	nrDup              = 32
	nrDup2             = 33
	nrNanosleep        = 35
	nrGetpid           = 39
	nrSocket           = 41
	nrClone            = 56
	nrFork             = 57
	nrVfork            = 58
	nrExecve           = 59
	nrExit             = 60
	nrWait4            = 61
	nrKill             = 62
	nrUname            = 63
	nrFcntl            = 72
	nrFlock            = 73
	nrFsync            = 74
	nrFdatasync        = 75
	nrFtruncate        = 77
	nrGetdents         = 78
	nrGetcwd           = 79
	nrChdir            = 80
	nrFchdir           = 81
	nrRename           = 82
	nrMkdir            = 83
	nrRmdir            = 84
	nrUnlink           = 87
	nrReadlink         = 89
	nrUmask            = 95
	nrGettimeofday     = 96
	nrGetrlimit        = 97
	nrGetrusage        = 98
	nrSysinfo          = 99
	nrGetuid           = 102
	nrGetgid           = 104
	nrGeteuid          = 107
	nrGetegid          = 108
	nrGetppid          = 110
	nrGetpgrp          = 111
	nrSetsid           = 112
	nrGetgroups        = 115
	nrSigaltstack      = 131
	nrMlock            = 149
	nrMunlock          = 150
	nrMlockall         = 151
	nrMunlockall       = 152
	nrMlock2           = 325
	nrStatfs           = 137
	nrFstatfs          = 138
	nrPrctl            = 157
	nrArchPrctl        = 158
	nrSetrlimit        = 160
	nrGettid           = 186
	nrTkill            = 200
	nrTime             = 201
	nrFutex            = 202
	nrSchedSetaffinity = 203
	nrSchedGetaffinity = 204
	nrEpollCreate      = 213
	nrGetdents64       = 217
	nrSetTidAddress    = 218
	nrFadvise64        = 221
	nrClockGettime     = 228
	nrClockGetres      = 229
	nrClockNanosleep   = 230
	nrExitGroup        = 231
	nrEpollWait        = 232
	nrEpollCtl         = 233
	nrTgkill           = 234
	nrOpenat           = 257
	nrMkdirat          = 258
	nrNewfstatat       = 262
	nrUnlinkat         = 263
	nrRenameat         = 264
	nrReadlinkat       = 267
	nrFaccessat        = 269
	nrPselect6         = 270
	nrPpoll            = 271
	nrSetRobustList    = 273
	nrEpollPwait       = 281
	nrEventfd          = 284
	nrEventfd2         = 290
	nrEpollCreate1     = 291
	nrDup3             = 292
	nrPipe2            = 293
	nrPrlimit64        = 302
	nrGetrandom        = 318
	nrMembarrier       = 324
	nrStatx            = 332
	nrRseq             = 334
	nrCloseRange       = 436
	nrFaccessat2       = 439
	nrEpollPwait2      = 441
)

// syscall dispatches the system call in f and stores its result.
func syscall(f *trapFrame) {
	a0, a1, a2 := uintptr(f.rdi), uintptr(f.rsi), uintptr(f.rdx)
	a3, a4, a5 := uintptr(f.r10), uintptr(f.r8), uintptr(f.r9)
	var r int64
	switch f.rax {
	// Memory.
	case nrMmap:
		r = sysMmap(a0, a1, uint32(a2), uint32(a3), int32(a4), a5)
	case nrMunmap:
		r = sysMunmap(a0, a1)
	case nrMprotect:
		r = sysMprotect(a0, a1, uint32(a2))
	case nrMadvise:
		r = sysMadvise(a0, a1, int32(a2))
	case nrBrk:
		r = 0
	case nrMincore:
		r = -ENOSYS
	case nrMsync:
		r = sysMsync(a0, a1, int32(a2))
	case nrMlock:
		r = sysMlock(a0, a1, 0, false)
	case nrMlock2:
		r = sysMlock(a0, a1, uint32(a2), false)
	case nrMunlock:
		r = sysMlock(a0, a1, 0, true)
	case nrMlockall:
		r = sysMlockall(uint32(a0))
	case nrMunlockall:
		r = 0

	// Threads and scheduling.
	case nrClone:
		r = sysCloneThread(f, uint64(a0), a1, a2, a3, a4)
	case nrExit:
		sysExitThread(int(int32(a0)))
	case nrExitGroup:
		vmWritebackAll()
		netLinger()
		exitVM(int(int32(a0)) & 0xff)
	case nrFutex:
		r = sysFutexOp(a0, int32(a1), uint32(a2), a3, a4, uint32(a5))
	case nrSchedYield:
		yield()
	case nrNanosleep:
		r = sysNanosleepRel(a0, a1)
	case nrClockNanosleep:
		r = sysClockNanosleepOp(int32(a0), int32(a1), a2, a3)
	case nrGettid:
		r = int64(curThread().tid())
	case nrGetpid, nrGetpgrp, nrSetsid:
		r = 1
	case nrGetppid:
		r = 0
	case nrSetTidAddress:
		curThread().clearTID = a0
		r = int64(curThread().tid())
	case nrArchPrctl:
		r = sysArchPrctlOp(int32(a0), a1)
	case nrSchedGetaffinity:
		r = sysSchedGetaffinityOp(int32(a0), a1, a2)
	case nrSchedSetaffinity:
		r = sysSchedSetaffinityOp(int32(a0), a1, a2)
	case nrSetRobustList, nrRseq:
		r = -ENOSYS
	case nrMembarrier:
		r = 0

	// Signals.
	case nrRtSigaction:
		r = sysRtSigaction(int(a0), a1, a2, a3)
	case nrRtSigprocmask:
		r = sysRtSigprocmask(int(a0), a1, a2, a3)
	case nrRtSigreturn:
		sysRtSigreturn(f)
		return // RAX was restored from the frame
	case nrSigaltstack:
		r = sysSigaltstack(a0, a1)
	case nrTgkill:
		r = sysTgkill(int32(a0), int32(a1), int(a2))
	case nrTkill:
		r = sysTgkill(1, int32(a0), int(a1))
	case nrKill:
		r = sysKillProc(int32(a0), int(a1))

	// Time and randomness.
	case nrClockGettime:
		r = sysClockGettimeOp(int32(a0), a1)
	case nrClockGetres:
		r = sysClockGetresOp(int32(a0), a1)
	case nrGettimeofday:
		r = sysGettimeofdayOp(a0)
	case nrTime:
		r = sysTimeOp(a0)
	case nrGetrandom:
		r = sysGetrandomOp(a0, a1, uint32(a2))

	// Identity and limits.
	case nrGetuid, nrGetgid, nrGeteuid, nrGetegid:
		r = 0
	case nrGetgroups:
		r = 0
	case nrUname:
		r = sysUnameOp(a0)
	case nrPrlimit64:
		r = sysPrlimit(int32(a0), int32(a1), a2, a3)
	case nrGetrlimit:
		r = sysPrlimit(0, int32(a0), 0, a1)
	case nrSetrlimit:
		r = sysPrlimit(0, int32(a0), a1, 0)
	case nrPrctl:
		r = -EINVAL
	case nrUmask:
		r = 0o022
	case nrGetrusage:
		r = sysGetrusageOp(a1)
	case nrSysinfo:
		r = sysSysinfoOp(a0)

	// Processes the kernel does not have.
	case nrFork, nrVfork, nrExecve, nrWait4:
		r = -ENOSYS

	default:
		r = fileSyscall(f.rax, a0, a1, a2, a3, a4, a5)
	}
	if ktraceSyscalls {
		traceSyscall(f.rax, a0, a1, a2, r)
	}
	f.rax = uint64(r)
}

// ktraceSyscalls prints every system call (ktrace=2 on the command line),
// with the thread id and the time since boot; printing costs about as much
// as the calls themselves under TCG, so the times are upper bounds.
var ktraceSyscalls bool

func traceSyscall(nr uint64, a0, a1, a2 uintptr, r int64) {
	kprint("[")
	kprintDec(uint64(curThread().tid()))
	kprint(" ")
	us := uint64(nanotime()) / 1000
	kprintDec(us / 1000)
	kprint(".")
	frac := us % 1000
	digits := [3]byte{byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
	consoleWrite(digits[:])
	kprint("ms] sys ")
	kprintDec(nr)
	kprint("(")
	kprintHex(uint64(a0))
	kprint(", ")
	kprintHex(uint64(a1))
	kprint(", ")
	kprintHex(uint64(a2))
	kprint(") = ")
	if r < 0 {
		kprint("-")
		kprintDec(uint64(-r))
	} else {
		kprintHex(uint64(r))
	}
	kprint("\n")
}

// More system call numbers for the writable /tmp.
const (
	nrRenameat2 = 316
	nrFchmod    = 91
	nrFchmodat  = 268
	nrFchmodat2 = 452
	nrUtimensat = 280
	nrTruncate  = 76
	nrFchown    = 93
	nrFchownat  = 260
	nrLchown    = 94
	nrChown     = 92
	nrSymlinkat = 266
	nrLinkat    = 265
	nrLink      = 86
	nrSymlink   = 88
)

// Socket system call numbers.
const (
	nrConnect     = 42
	nrAccept      = 43
	nrSendto      = 44
	nrRecvfrom    = 45
	nrSendmsg     = 46
	nrRecvmsg     = 47
	nrShutdown    = 48
	nrBind        = 49
	nrListen      = 50
	nrGetsockname = 51
	nrGetpeername = 52
	nrSocketpair  = 53
	nrSetsockopt  = 54
	nrGetsockopt  = 55
	nrAccept4     = 288
)

// Copying system calls.
const (
	nrSendfile      = 40
	nrSplice        = 275
	nrCopyFileRange = 326
)
