package kernel

import (
	"github.com/gotoro/gotoro/internal/linuxabi"
	"github.com/gotoro/gotoro/kernel/ktime"
)

// System-call dispatch: the Linux x86-64 ABI (number in RAX, arguments in
// RDI, RSI, RDX, R10, R8, R9, result or -errno in RAX) served through one
// table indexed by the number. linuxabi numbers and names the calls; this
// table says which function serves each and how.
//
// Handlers take the six argument registers as integers and return an
// integer, so calling one through the table moves nothing to the heap (a
// pointer passed through a function value would escape). The two calls
// that need the whole trap frame (clone copies it, rt_sigreturn rewrites
// it) have a frame handler instead.

// sysHandler serves one system call: RDI, RSI, RDX, R10, R8, R9 in, the
// result or -errno out.
type sysHandler func(a0, a1, a2, a3, a4, a5 uintptr) int64

// sysFlags say how the dispatcher runs a handler.
type sysFlags uint8

const (
	// sysNoBKL: the handler runs without the big kernel lock: it touches
	// no shared kernel state, or only state with its own lock (futex's
	// buckets), and takes the big lock itself where it needs it
	// (docs/kernel.md, "Locks").
	sysNoBKL sysFlags = 1 << iota
	// sysNoReturn: the call does not return (exit, exit_group); ktrace
	// prints it before it runs.
	sysNoReturn
)

type sysEntry struct {
	fn    sysHandler
	frame func(f *trapFrame) int64 // instead of fn: clone, rt_sigreturn
	flags sysFlags
}

// sysTable serves every system call the kernel implements. A number
// without an entry answers ENOSYS and is reported under -ktrace 1; an
// entry with sysENOSYS answers ENOSYS without a report (the call is known
// and deliberately absent).
var sysTable = [linuxabi.NumSyscalls]sysEntry{
	// Files and descriptors.
	linuxabi.SysRead:            {fn: sysRead, flags: sysNoBKL},
	linuxabi.SysWrite:           {fn: sysWrite, flags: sysNoBKL},
	linuxabi.SysOpen:            {fn: sysOpen},
	linuxabi.SysClose:           {fn: sysClose},
	linuxabi.SysStat:            {fn: sysStat},
	linuxabi.SysFstat:           {fn: sysFstat},
	linuxabi.SysLstat:           {fn: sysLstat},
	linuxabi.SysLseek:           {fn: sysLseek},
	linuxabi.SysIoctl:           {fn: sysIoctl},
	linuxabi.SysPread64:         {fn: sysPread64, flags: sysNoBKL},
	linuxabi.SysPwrite64:        {fn: sysPwrite64, flags: sysNoBKL},
	linuxabi.SysReadv:           {fn: sysReadv},
	linuxabi.SysWritev:          {fn: sysWritev},
	linuxabi.SysPreadv:          {fn: sysPreadv},
	linuxabi.SysFallocate:       {fn: sysFallocate},
	linuxabi.SysPwritev:         {fn: sysPwritev},
	linuxabi.SysPreadv2:         {fn: sysPreadv2},
	linuxabi.SysPwritev2:        {fn: sysPwritev2},
	linuxabi.SysAccess:          {fn: sysAccess},
	linuxabi.SysPipe:            {fn: sysPipe},
	linuxabi.SysDup:             {fn: sysDup},
	linuxabi.SysDup2:            {fn: sysDup2},
	linuxabi.SysSendfile:        {fn: sysSendfile},
	linuxabi.SysFcntl:           {fn: sysFcntl},
	linuxabi.SysFlock:           {fn: sysFlock},
	linuxabi.SysFsync:           {fn: sysFsync},
	linuxabi.SysFdatasync:       {fn: sysFsync},
	linuxabi.SysTruncate:        {fn: sysTruncate},
	linuxabi.SysFtruncate:       {fn: sysFtruncate},
	linuxabi.SysGetdents64:      {fn: sysGetdents64},
	linuxabi.SysGetcwd:          {fn: sysGetcwd},
	linuxabi.SysChdir:           {fn: sysChdir},
	linuxabi.SysFchdir:          {fn: sysFchdir},
	linuxabi.SysRename:          {fn: sysRename},
	linuxabi.SysMkdir:           {fn: sysMkdir},
	linuxabi.SysMknod:           {fn: sysMknod},
	linuxabi.SysRmdir:           {fn: sysRmdir},
	linuxabi.SysLink:            {fn: sysLink},
	linuxabi.SysUnlink:          {fn: sysUnlink},
	linuxabi.SysSymlink:         {fn: sysSymlink},
	linuxabi.SysReadlink:        {fn: sysReadlink},
	linuxabi.SysChmod:           {fn: sysChmod},
	linuxabi.SysFchmod:          {fn: sysFchmod},
	linuxabi.SysChown:           {fn: sysChown},
	linuxabi.SysFchown:          {fn: sysFchown},
	linuxabi.SysStatfs:          {fn: sysStatfs},
	linuxabi.SysFstatfs:         {fn: sysFstatfs},
	linuxabi.SysLchown:          {fn: sysLchown},
	linuxabi.SysFadvise64:       {fn: sysFadvise64},
	linuxabi.SysOpenat:          {fn: sysOpenat},
	linuxabi.SysMkdirat:         {fn: sysMkdirat},
	linuxabi.SysMknodat:         {fn: sysMknodat},
	linuxabi.SysFchownat:        {fn: sysFchownat},
	linuxabi.SysNewfstatat:      {fn: sysNewfstatat},
	linuxabi.SysUnlinkat:        {fn: sysUnlinkat},
	linuxabi.SysRenameat:        {fn: sysRenameat},
	linuxabi.SysLinkat:          {fn: sysLinkat},
	linuxabi.SysSymlinkat:       {fn: sysSymlinkat},
	linuxabi.SysReadlinkat:      {fn: sysReadlinkat},
	linuxabi.SysFchmodat:        {fn: sysFchmodat},
	linuxabi.SysFaccessat:       {fn: sysFaccessat},
	linuxabi.SysUtimensat:       {fn: sysUtimensat},
	linuxabi.SysUtimes:          {fn: sysUtimes},
	linuxabi.SysUtime:           {fn: sysUtime},
	linuxabi.SysFutimesat:       {fn: sysFutimesat},
	linuxabi.SysSplice:          {fn: sysSplice},
	linuxabi.SysEventfd:         {fn: sysEventfd},
	linuxabi.SysInotifyInit:     {fn: sysInotifyInit},
	linuxabi.SysInotifyInit1:    {fn: sysInotifyInit1},
	linuxabi.SysInotifyAddWatch: {fn: sysInotifyAddWatch},
	linuxabi.SysInotifyRmWatch:  {fn: sysInotifyRmWatch},
	linuxabi.SysEventfd2:        {fn: sysEventfd2},
	linuxabi.SysEpollCreate:     {fn: sysEpollCreate},
	linuxabi.SysEpollCreate1:    {fn: sysEpollCreate1},
	linuxabi.SysEpollCtl:        {fn: sysEpollCtl},
	linuxabi.SysEpollWait:       {fn: sysEpollWait},
	linuxabi.SysEpollPwait:      {fn: sysEpollPwait},
	linuxabi.SysEpollPwait2:     {fn: sysEpollPwait2},
	linuxabi.SysDup3:            {fn: sysDup3},
	linuxabi.SysPipe2:           {fn: sysPipe2},
	linuxabi.SysRenameat2:       {fn: sysRenameat2},
	linuxabi.SysCopyFileRange:   {fn: sysCopyFileRange},
	linuxabi.SysStatx:           {fn: sysStatx},
	linuxabi.SysCloseRange:      {fn: sysCloseRange},
	linuxabi.SysFaccessat2:      {fn: sysFaccessat2},
	linuxabi.SysFchmodat2:       {fn: sysFchmodat2},
	linuxabi.SysTimerfdCreate:   {fn: sysTimerfdCreate},
	linuxabi.SysTimerfdSettime:  {fn: sysTimerfdSettime},
	linuxabi.SysTimerfdGettime:  {fn: sysTimerfdGettime},
	linuxabi.SysMemfdCreate:     {fn: sysMemfdCreate},
	linuxabi.SysPoll:            {fn: sysPoll},
	linuxabi.SysPpoll:           {fn: sysPpoll},
	linuxabi.SysSelect:          {fn: sysSelect},
	linuxabi.SysPselect6:        {fn: sysPselect6},

	// Sockets.
	linuxabi.SysSocket:      {fn: sysSocket},
	linuxabi.SysConnect:     {fn: sysConnect},
	linuxabi.SysAccept:      {fn: sysAccept},
	linuxabi.SysSendto:      {fn: sysSendto, flags: sysNoBKL},
	linuxabi.SysRecvfrom:    {fn: sysRecvfrom, flags: sysNoBKL},
	linuxabi.SysSendmsg:     {fn: sysSendmsg},
	linuxabi.SysRecvmsg:     {fn: sysRecvmsg},
	linuxabi.SysShutdown:    {fn: sysShutdown},
	linuxabi.SysBind:        {fn: sysBind},
	linuxabi.SysListen:      {fn: sysListen},
	linuxabi.SysGetsockname: {fn: sysGetsockname},
	linuxabi.SysGetpeername: {fn: sysGetpeername},
	linuxabi.SysSocketpair:  {fn: sysSocketpair},
	linuxabi.SysSetsockopt:  {fn: sysSetsockopt},
	linuxabi.SysGetsockopt:  {fn: sysGetsockopt},
	linuxabi.SysAccept4:     {fn: sysAccept4},

	// Memory.
	linuxabi.SysMmap:       {fn: sysMmap},
	linuxabi.SysMprotect:   {fn: sysMprotect},
	linuxabi.SysMunmap:     {fn: sysMunmap},
	linuxabi.SysBrk:        {fn: sysBrk, flags: sysNoBKL},
	linuxabi.SysMincore:    {fn: sysENOSYS, flags: sysNoBKL},
	linuxabi.SysMadvise:    {fn: sysMadvise},
	linuxabi.SysMsync:      {fn: sysMsync},
	linuxabi.SysMlock:      {fn: sysMlock},
	linuxabi.SysMlock2:     {fn: sysMlock2},
	linuxabi.SysMunlock:    {fn: sysMunlock},
	linuxabi.SysMlockall:   {fn: sysMlockall},
	linuxabi.SysMunlockall: {fn: sysMunlockall, flags: sysNoBKL},

	// Threads and scheduling.
	linuxabi.SysSchedYield:       {fn: sysSchedYield},
	linuxabi.SysNanosleep:        {fn: sysNanosleep},
	linuxabi.SysClone:            {frame: sysClone},
	linuxabi.SysExit:             {fn: sysExit, flags: sysNoReturn},
	linuxabi.SysExitGroup:        {fn: sysExitGroup, flags: sysNoReturn},
	linuxabi.SysFutex:            {fn: sysFutex, flags: sysNoBKL},
	linuxabi.SysSchedSetaffinity: {fn: sysSchedSetaffinity},
	linuxabi.SysSchedGetaffinity: {fn: sysSchedGetaffinity},
	linuxabi.SysSetTidAddress:    {fn: sysSetTidAddress},
	linuxabi.SysClockNanosleep:   {fn: sysClockNanosleep},
	linuxabi.SysArchPrctl:        {fn: sysArchPrctl},
	linuxabi.SysGettid:           {fn: sysGettid, flags: sysNoBKL},
	linuxabi.SysSetRobustList:    {fn: sysENOSYS, flags: sysNoBKL},
	linuxabi.SysRseq:             {fn: sysENOSYS, flags: sysNoBKL},
	linuxabi.SysMembarrier:       {fn: sysMembarrier, flags: sysNoBKL},

	// Signals.
	linuxabi.SysRtSigaction:   {fn: sysRtSigaction},
	linuxabi.SysRtSigprocmask: {fn: sysRtSigprocmask},
	linuxabi.SysRtSigreturn:   {frame: sysRtSigreturn},
	linuxabi.SysKill:          {fn: sysKill},
	linuxabi.SysSigaltstack:   {fn: sysSigaltstack},
	linuxabi.SysTkill:         {fn: sysTkill},
	linuxabi.SysTgkill:        {fn: sysTgkill},

	// Time and randomness.
	linuxabi.SysGettimeofday: {fn: sysGettimeofday},
	linuxabi.SysTime:         {fn: sysTime},
	linuxabi.SysClockGettime: {fn: sysClockGettime},
	linuxabi.SysClockGetres:  {fn: sysClockGetres},
	linuxabi.SysGetrandom:    {fn: sysGetrandom},

	// Identity and limits: one process (pid 1), one user (root).
	linuxabi.SysGetpid:    {fn: sysGetpid, flags: sysNoBKL},
	linuxabi.SysGetppid:   {fn: sysGetppid, flags: sysNoBKL},
	linuxabi.SysGetpgrp:   {fn: sysGetpid, flags: sysNoBKL},
	linuxabi.SysSetsid:    {fn: sysGetpid, flags: sysNoBKL},
	linuxabi.SysGetuid:    {fn: sysGetuid, flags: sysNoBKL},
	linuxabi.SysGetgid:    {fn: sysGetuid, flags: sysNoBKL},
	linuxabi.SysGeteuid:   {fn: sysGetuid, flags: sysNoBKL},
	linuxabi.SysGetegid:   {fn: sysGetuid, flags: sysNoBKL},
	linuxabi.SysGetgroups: {fn: sysGetgroups, flags: sysNoBKL},
	linuxabi.SysUname:     {fn: sysUname},
	linuxabi.SysGetrlimit: {fn: sysGetrlimit},
	linuxabi.SysSetrlimit: {fn: sysSetrlimit},
	linuxabi.SysPrlimit64: {fn: sysPrlimit64},
	linuxabi.SysPrctl:     {fn: sysPrctl, flags: sysNoBKL},
	linuxabi.SysUmask:     {fn: sysUmask, flags: sysNoBKL},
	linuxabi.SysGetrusage: {fn: sysGetrusage},
	linuxabi.SysSysinfo:   {fn: sysSysinfo},

	// Processes, which the kernel does not have.
	linuxabi.SysFork:   {fn: sysENOSYS, flags: sysNoBKL},
	linuxabi.SysVfork:  {fn: sysENOSYS, flags: sysNoBKL},
	linuxabi.SysExecve: {fn: sysENOSYS, flags: sysNoBKL},
	linuxabi.SysWait4:  {fn: sysENOSYS, flags: sysNoBKL},
}

// syscall dispatches the system call in f and stores its result in RAX.
// RAX holds the number until then (the profiler names the call from it).
//
//go:nosplit
func syscall(f *trapFrame) {
	nr := f.rax
	a0, a1, a2 := uintptr(f.rdi), uintptr(f.rsi), uintptr(f.rdx)
	a3, a4, a5 := uintptr(f.r10), uintptr(f.r8), uintptr(f.r9)
	var e *sysEntry
	if nr < uint64(len(sysTable)) {
		e = &sysTable[nr]
	}
	if e == nil || e.fn == nil && e.frame == nil {
		bklLock()
		unknownSyscall(nr)
		r := int64(-ENOSYS)
		if ktraceSyscalls {
			traceSyscall(nr, a0, a1, a2, r, true)
		}
		f.rax = uint64(r)
		bklUnlock()
		return
	}
	locked := e.flags&sysNoBKL == 0
	var r int64
	done := false
	if bigLockOnly && !locked {
		// The call's locked path; its result goes through the same end
		// as any call's below (a cut call is restarted as itself).
		r, done = bigLockCall(nr, a0, a1, a2, a3, a4, a5)
	}
	if !done {
		if locked {
			bklLock()
		}
		if ktraceSyscalls && e.flags&sysNoReturn != 0 {
			traceSyscall(nr, a0, a1, a2, 0, false)
		}
		if e.frame != nil {
			r = e.frame(f)
		} else {
			r = e.fn(a0, a1, a2, a3, a4, a5)
		}
	}
	if ktraceSyscalls {
		if !locked {
			bklLock() // one trace line at a time
		}
		traceSyscall(nr, a0, a1, a2, r, true)
		if !locked {
			bklUnlock()
		}
	}
	f.rax = uint64(r)
	if r == -errRestartSys {
		curThread().restartNr = nr
	}
	if t := curThread(); t.fdNewN != 0 {
		fdPublish(t)
	}
	if locked {
		bklUnlock()
	}
}

// Handlers of calls whose answer is fixed.

func sysENOSYS(_, _, _, _, _, _ uintptr) int64 { return -ENOSYS }

// sysBrk reports a break at 0, where it cannot move: Go programs map memory
// with mmap.
func sysBrk(_, _, _, _, _, _ uintptr) int64 { return 0 }

// bigLockCall runs the calls that normally run without the big kernel
// lock under it (bigLockOnly), on their locked paths, and returns their
// result; ok is false for calls it leaves to the dispatcher.
func bigLockCall(nr uint64, a0, a1, a2, a3, a4, a5 uintptr) (r int64, ok bool) {
	bklLock()
	switch nr {
	case linuxabi.SysFutex:
		a := futexArgs{addr: a0, op: int32(a1), val: uint32(a2), timeout: a3, addr2: a4, val3: uint32(a5)}
		r, _ = futexCall(&a, true)
	case linuxabi.SysRead, linuxabi.SysPread64, linuxabi.SysWrite, linuxabi.SysPwrite64:
		off := int64(-1)
		if nr == linuxabi.SysPread64 || nr == linuxabi.SysPwrite64 {
			if int64(a3) < 0 {
				bklUnlock()
				return -EINVAL, true
			}
			off = int64(a3)
		}
		r = -EBADF
		if _, f := fdGet(a0); f != nil {
			if nr == linuxabi.SysRead || nr == linuxabi.SysPread64 {
				r = readUser(f, a1, a2, off)
			} else {
				r = writeUser(f, a1, a2, off)
			}
		}
	case linuxabi.SysSendto:
		r = sendtoLocked(a0, a1, a2, a3, a4, a5)
	case linuxabi.SysRecvfrom:
		r = recvfromLocked(a0, a1, a2, a3, a4, a5)
	default:
		bklUnlock()
		return 0, false
	}
	bklUnlock()
	return r, true
}

func sysMembarrier(_, _, _, _, _, _ uintptr) int64 { return 0 }

// sysFadvise64 accepts the advice and ignores it.
func sysFadvise64(_, _, _, _, _, _ uintptr) int64 { return 0 }

// sysGetpid: the program is process 1, its own group and session.
func sysGetpid(_, _, _, _, _, _ uintptr) int64 { return 1 }

func sysGetppid(_, _, _, _, _, _ uintptr) int64 { return 0 }

func sysGetuid(_, _, _, _, _, _ uintptr) int64 { return 0 }

func sysGetgroups(_, _, _, _, _, _ uintptr) int64 { return 0 }

func sysUmask(_, _, _, _, _, _ uintptr) int64 { return 0o022 }

// sysPrctl refuses every option; EINVAL (not ENOSYS) stops the runtime
// retrying PR_SET_VMA on every mapping.
func sysPrctl(_, _, _, _, _, _ uintptr) int64 { return -EINVAL }

// ktraceSyscalls prints every system call (ktrace=2 on the command line),
// with the thread id and the time since boot; printing costs about as much
// as the calls themselves under TCG, so the times are upper bounds.
var ktraceSyscalls bool

// traceSyscall prints one trace line: thread, time, the call with its first
// three arguments, and its result r ("?" when it does not return).
func traceSyscall(nr uint64, a0, a1, a2 uintptr, r int64, returns bool) {
	kprint("[")
	kprintDec(uint64(curThread().tid()))
	kprint(" ")
	us := uint64(ktime.Now()) / 1000
	kprintDec(us / 1000)
	kprint(".")
	frac := us % 1000
	digits := [3]byte{byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
	consoleWrite(digits[:])
	kprint("ms] ")
	kprintSyscall(nr)
	kprint("(")
	kprintHex(uint64(a0))
	kprint(", ")
	kprintHex(uint64(a1))
	kprint(", ")
	kprintHex(uint64(a2))
	kprint(") = ")
	if !returns {
		kprint("?")
	} else if r < 0 && r > -linuxabi.NumErrno {
		kprint("-")
		if name := linuxabi.ErrnoName(uint64(-r)); name != "" {
			kprint(name)
		} else {
			kprintDec(uint64(-r))
		}
	} else {
		kprintHex(uint64(r))
	}
	kprint("\n")
}

// kprintSyscall prints the name of system call nr, or its number if Linux
// has no such call.
func kprintSyscall(nr uint64) {
	if name := linuxabi.SyscallName(nr); name != "" {
		kprint(name)
		return
	}
	kprint("syscall ")
	kprintDec(nr)
}

// unknownSyscall reports a system call without a handler, once per number,
// when the kernel was started with ktrace.
func unknownSyscall(nr uint64) {
	ktestSyscall()
	if !ktrace || nr >= uint64(len(reportedSyscall)) || reportedSyscall[nr] {
		return
	}
	reportedSyscall[nr] = true
	kprint("gotoro: unimplemented system call ")
	kprintDec(nr)
	if name := linuxabi.SyscallName(nr); name != "" {
		kprint(" (")
		kprint(name)
		kprint(")")
	}
	kprint("\n")
}

var (
	ktrace          bool
	reportedSyscall [linuxabi.NumSyscalls]bool
)
