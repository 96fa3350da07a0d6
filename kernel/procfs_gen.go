package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/kernel/ktime"
	"github.com/gotoro/gotoro/kernel/mm"
)

// The contents of /proc's files, generated from the kernel's state on
// every read. There is one process (pid 1) whose threads are all the
// kernel runs; its CPU time is the time the cores were not idle
// (idleLoop counts the idle time), all of it counted as user time; its
// resident memory is the guest memory in use.

// procWriter writes generated text into dst, dropping the first skip
// bytes (a read at an offset) and counting everything (total), so that a
// generator can also measure its output. With snap set it writes the
// whole text into that snapshot's pages instead (procfs_snap.go). It holds
// no pointer beyond dst, which is set only when the writer is made: the
// kernel writes no pointers through pointers (write barriers).
type procWriter struct {
	dst   []byte
	skip  int64
	n     int   // bytes stored in dst
	total int64 // bytes generated
	snap  int   // procSnaps index + 1, 0 for none
	page  uintptr
	nomem bool // snap: a page could not be allocated
}

func (w *procWriter) str(s string) {
	for i := 0; i < len(s); i++ {
		w.byte(s[i])
	}
}

func (w *procWriter) byte(c byte) {
	if w.snap != 0 {
		w.snapByte(c)
		return
	}
	if w.total >= w.skip && w.n < len(w.dst) {
		w.dst[w.n] = c
		w.n++
	}
	w.total++
}

// dec writes v in decimal.
func (w *procWriter) dec(v uint64) { w.decPad(v, 0, ' ') }

// decPad writes v in decimal, right-aligned in width with pad.
func (w *procWriter) decPad(v uint64, width int, pad byte) {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	for n := len(b) - i; n < width; n++ {
		w.byte(pad)
	}
	for ; i < len(b); i++ {
		w.byte(b[i])
	}
}

// sdec writes a signed decimal.
func (w *procWriter) sdec(v int64) {
	if v < 0 {
		w.byte('-')
		v = -v
	}
	w.dec(uint64(v))
}

// hexPad writes v in lower-case hex with at least width digits.
func (w *procWriter) hexPad(v uint64, width int) {
	var b [16]byte
	i := len(b)
	for {
		i--
		b[i] = "0123456789abcdef"[v&15]
		v >>= 4
		if v == 0 {
			break
		}
	}
	for n := len(b) - i; n < width; n++ {
		w.byte('0')
	}
	for ; i < len(b); i++ {
		w.byte(b[i])
	}
}

// padTo writes spaces until the line written since start is n long.
func (w *procWriter) padTo(start int64, n int) {
	for w.total-start < int64(n) {
		w.byte(' ')
	}
}

// fixed2 writes v/100 with two decimals.
func (w *procWriter) fixed2(v uint64) {
	w.dec(v / 100)
	w.byte('.')
	w.decPad(v%100, 2, '0')
}

// procGenerate writes the contents of file r.
//
//go:nosplit
func procGenerate(w *procWriter, r procRef) {
	switch r.ent {
	case peCPUInfo:
		genCPUInfo(w)
	case peMeminfo:
		genMeminfo(w)
	case peStat:
		genStat(w)
	case peUptime:
		now := uint64(ktime.Now())
		w.fixed2(now / 1e7)
		w.byte(' ')
		w.fixed2(uint64(procIdleNs()) / 1e7)
		w.byte('\n')
	case peVersion:
		w.str("Linux version 6.1.0-gotoro (gotoro) #1 SMP gotoro\n")
	case peLoadavg:
		genLoadavg(w)
	case pePidStat:
		genPidStat(w, 0)
	case pePidStatus:
		genPidStatus(w, 0)
	case peTaskStat, peTaskStatus, peTaskComm:
		if !procThreadLive(r.arg) {
			return // the thread has exited: an empty file
		}
		switch r.ent {
		case peTaskStat:
			genPidStat(w, r.arg)
		case peTaskStatus:
			genPidStatus(w, r.arg)
		default:
			w.str(procComm())
			w.byte('\n')
		}
	case pePidStatm:
		vs, rss := procVsize()/pageSize, procRSS()/pageSize
		w.dec(vs)
		w.byte(' ')
		w.dec(rss)
		w.str(" 0 0 0 ")
		w.dec(vs)
		w.str(" 0\n")
	case pePidCmdline:
		w.str(unsafeString(procArgs.strings(procArgs.argStart, procArgs.argEnd)))
	case pePidEnviron:
		w.str(unsafeString(procArgs.strings(procArgs.argEnd, procArgs.envEnd)))
	case pePidComm:
		w.str(procComm())
		w.byte('\n')
	case pePidMaps:
		genMaps(w)
	case pePidCgroup:
		// No control groups: what Linux prints while no cgroup
		// hierarchy has been mounted (the unified one shows only once
		// cgroup2 is mounted somewhere, and mountinfo has none): an
		// empty file. The Go runtime's probe for its default
		// GOMAXPROCS stops here (no cgroup, so the CPU count) instead
		// of reading mountinfo for a cgroup2 mount (docs/boot.md).
	case pePidMountinfo:
		genMounts(w, true)
	case pePidMounts:
		genMounts(w, false)
	case pePidLimits:
		genLimits(w)
	case pePidNetstat:
		genNetstat(w)
	case pePidNetDev:
		genNetDev(w)
	}
}

// procArgs records where the initial stack holds the command line and
// the environment (buildInitialStack), which cmdline and environ show, as
// Linux shows them, from the program's memory.
var procArgs argArea

type argArea struct{ argStart, argEnd, envEnd uintptr }

// strings returns the user memory [start, end) if it is still mapped.
func (a *argArea) strings(start, end uintptr) []byte {
	if end <= start {
		return nil
	}
	b, ok := userBytes(start, end-start, false)
	if !ok {
		return nil
	}
	return b
}

// procComm is the program's name: argv[0]'s last element, at most 15
// bytes (TASK_COMM_LEN).
func procComm() string {
	a := procArgs.strings(procArgs.argStart, procArgs.argEnd)
	n := 0
	for n < len(a) && a[n] != 0 {
		n++
	}
	name := a[:n]
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' {
			name = name[i+1:]
			break
		}
	}
	if len(name) > 15 {
		name = name[:15]
	}
	return unsafeString(name)
}

// procExePath writes the program's path: the program is the image the
// kernel was booted from, not a file of the guest, so this is argv[0]
// made absolute (readlink of /proc/self/exe).
func procExePath(w *procWriter) {
	a := procArgs.strings(procArgs.argStart, procArgs.argEnd)
	n := 0
	for n < len(a) && a[n] != 0 {
		n++
	}
	if n == 0 || a[0] != '/' {
		w.byte('/')
	}
	w.str(unsafeString(a[:n]))
}

// procIdleNs is the idle time of all cores.
func procIdleNs() int64 {
	now := ktime.Now()
	var t int64
	for i := 0; i < ncpu; i++ {
		_, idle := procCoreTimes(&cpus[i], now)
		t += idle
	}
	return t
}

// procBusyTicks is the CPU time of core i (all cores if i < 0) in clock
// ticks (USER_HZ, 100 a second), and its idle time. A halt in progress
// counts as idle; each core's figures never go back (procCoreTimes).
func procBusyTicks(i int) (busy, idle uint64) {
	now := ktime.Now()
	var b, id int64
	for c := 0; c < ncpu; c++ {
		if i >= 0 && c != i {
			continue
		}
		cb, ci := procCoreTimes(&cpus[c], now)
		b += cb
		id += ci
	}
	return uint64(b / 1e7), uint64(id / 1e7)
}

// procCoreTimes is core c's busy and idle time (ns) at now. The idle loop
// updates idleNs and idleSince one after the other, so a reader can see
// a halt that just ended counted twice or not at all for a moment; the
// largest figures reported so far are kept and never undercut.
func procCoreTimes(c *cpu, now int64) (busy, idle int64) {
	idle = atomic.LoadInt64(&c.sched().idleNs)
	if s := atomic.LoadInt64(&c.sched().idleSince); s != 0 && s < now {
		idle += now - s
	}
	idle = min(idle, now)
	return atomicRaise(&c.sched().busyShown, now-idle), atomicRaise(&c.sched().idleShown, idle)
}

// atomicRaise sets *p to v if v is larger and returns the value *p has
// afterwards.
func atomicRaise(p *int64, v int64) int64 {
	for {
		old := atomic.LoadInt64(p)
		if v <= old {
			return old
		}
		if atomic.CompareAndSwapInt64(p, old, v) {
			return v
		}
	}
}

// procVsize is the size of the program's mappings.
func procVsize() uint64 {
	var n uint64
	for i := 0; i < vm.n; i++ {
		n += uint64(vm.v[i].end - vm.v[i].start)
	}
	return n
}

// procRSS is the guest memory in use: the program's pages and the
// kernel's serving it.
func procRSS() uint64 {
	return (mm.TotalPages() - mm.FreePages()) * pageSize
}

// genPidStat writes the process's stat, or with tid > 0 thread tid's
// (task/TID/stat: its id, state, CPU time and last core).
func genPidStat(w *procWriter, tid int) {
	busy, _ := procBusyTicks(-1)
	state := byte('R')
	cpu := uint64(thisCPU().id)
	start := uint64(0)
	if tid > 0 {
		t := &threads[tid-1]
		start = uint64(t.startNs / 1e7)
		busy = uint64(threadCPUTime(t) / 1e7)
		state = procThreadState(t)
		cpu = uint64(atomic.LoadInt32(&t.lastCPU))
		w.dec(uint64(tid))
	} else {
		w.dec(procPid)
	}
	w.str(" (")
	w.str(procComm())
	w.str(") ")
	w.byte(state)
	w.str(" 0 1 1 0 -1 4194560 0 0 0 0 ")
	w.dec(busy) // utime
	w.str(" 0 0 0 20 0 ")
	w.dec(uint64(atomic.LoadInt32(&nthreads)))
	w.str(" 0 ") // itrealvalue
	w.dec(start) // starttime: the process started at boot, a thread when made
	w.byte(' ')
	w.dec(procVsize())
	w.byte(' ')
	w.dec(procRSS() / pageSize)
	w.byte(' ')
	w.dec(rlimits[5][0]) // RLIMIT_RSS
	w.str(" 0 0 ")
	w.dec(userStackTop)
	w.str(" 0 0 0 0 0 0 0 0 0 17 ")
	w.dec(cpu)
	w.str(" 0 0 0 0 0 0 0 0 ")
	w.dec(uint64(procArgs.argStart))
	w.byte(' ')
	w.dec(uint64(procArgs.argEnd))
	w.byte(' ')
	w.dec(uint64(procArgs.argEnd))
	w.byte(' ')
	w.dec(uint64(procArgs.envEnd))
	w.str(" 0\n")
}

// genPidStatus writes the process's status, or with tid > 0 thread
// tid's.
func genPidStatus(w *procWriter, tid int) {
	w.str("Name:\t")
	w.str(procComm())
	w.str("\nUmask:\t0022\nState:\t")
	if tid > 0 && procThreadState(&threads[tid-1]) == 'S' {
		w.str("S (sleeping)")
	} else {
		w.str("R (running)")
	}
	w.str("\nTgid:\t1\nNgid:\t0\nPid:\t")
	if tid > 0 {
		w.dec(uint64(tid))
	} else {
		w.dec(procPid)
	}
	w.str("\nPPid:\t0\nTracerPid:\t0\n")
	w.str("Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t")
	w.dec(maxFDs)
	w.str("\nGroups:\t\nVmSize:\t")
	w.decPad(procVsize()/1024, 8, ' ')
	w.str(" kB\nVmRSS:\t")
	w.decPad(procRSS()/1024, 8, ' ')
	w.str(" kB\nThreads:\t")
	w.dec(uint64(atomic.LoadInt32(&nthreads)))
	w.str("\nCpus_allowed_list:\t0")
	if ncpu > 1 {
		w.byte('-')
		w.dec(uint64(ncpu - 1))
	}
	w.byte('\n')
}

func genMeminfo(w *procWriter) {
	total := mm.TotalPages() * pageSize / 1024
	free := mm.FreePages() * pageSize / 1024
	line := func(name string, kb uint64) {
		s := w.total
		w.str(name)
		w.byte(':')
		w.padTo(s, 16)
		w.decPad(kb, 8, ' ')
		w.str(" kB\n")
	}
	line("MemTotal", total)
	line("MemFree", free)
	line("MemAvailable", free)
	line("Buffers", 0)
	line("Cached", 0)
	line("SwapCached", 0)
	line("SwapTotal", 0)
	line("SwapFree", 0)
	w.str("HugePages_Total:       0\nHugePages_Free:        0\n")
	line("Hugepagesize", 2048)
}

func genStat(w *procWriter) {
	cpuLine := func(name string, i int) {
		busy, idle := procBusyTicks(i)
		w.str(name)
		w.byte(' ')
		w.dec(busy)
		w.str(" 0 0 ")
		w.dec(idle)
		w.str(" 0 0 0 0 0 0\n")
	}
	cpuLine("cpu ", -1)
	for i := 0; i < ncpu; i++ {
		w.str("cpu")
		w.dec(uint64(i))
		cpuLine("", i)
	}
	w.str("btime ")
	w.dec(uint64(ktime.EpochNs() / 1e9))
	w.str("\nprocesses 1\nprocs_running ")
	running := uint64(0)
	for i := 0; i < ncpu; i++ {
		if atomic.LoadUint32(&cpus[i].idle) == 0 {
			running++
		}
	}
	w.dec(running)
	w.str("\nprocs_blocked 0\n")
}

func genMaps(w *procWriter) {
	for i := 0; i < vm.n; i++ {
		v := &vm.v[i]
		s := w.total
		w.hexPad(uint64(v.start), 8)
		w.byte('-')
		w.hexPad(uint64(v.end), 8)
		w.byte(' ')
		perm := func(bit uint32, c byte) {
			if v.prot&bit != 0 {
				w.byte(c)
			} else {
				w.byte('-')
			}
		}
		perm(protRead, 'r')
		perm(protWrite, 'w')
		perm(protExec, 'x')
		if v.flags&vmShared != 0 {
			w.byte('s')
		} else {
			w.byte('p')
		}
		w.byte(' ')
		w.hexPad(uint64(v.off), 8)
		if v.file != 0 {
			f := &files[v.file-1]
			st := &procStatBuf // an interface call's argument escapes
			f.ops().stat(f, st)
			w.byte(' ')
			w.hexPad(st.dev>>8, 2)
			w.byte(':')
			w.hexPad(st.dev&0xff, 2)
			w.byte(' ')
			w.dec(st.ino)
			w.padTo(s, 73)
			fdDescribe(w, f)
		} else {
			w.str(" 00:00 0")
			if v.end == userStackTop {
				w.padTo(s, 73)
				w.str("[stack]")
			}
		}
		w.byte('\n')
	}
}

// procStatBuf is genMaps's stat buffer (system calls on files run under
// the big kernel lock).
var procStatBuf statBuf

// genMounts writes mountinfo (info set) or mounts.
func genMounts(w *procWriter, info bool) {
	m := func(id, dev int, point, fstype, source, opts string) {
		if info {
			w.dec(uint64(id))
			w.byte(' ')
			if id > 1 {
				w.byte('1')
			} else {
				w.byte('0')
			}
			w.str(" 0:")
			w.dec(uint64(dev))
			w.str(" / ")
			w.str(point)
			w.byte(' ')
			w.str(opts)
			w.str(" - ")
			w.str(fstype)
			w.byte(' ')
			w.str(source)
			w.byte(' ')
			w.str(opts[:2])
			w.byte('\n')
			return
		}
		w.str(source)
		w.byte(' ')
		w.str(point)
		w.byte(' ')
		w.str(fstype)
		w.byte(' ')
		w.str(opts)
		w.str(" 0 0\n")
	}
	m(1, 1, "/", "erofs", "image", "ro,relatime")
	m(2, 5, "/dev", "devtmpfs", "devtmpfs", "rw,nosuid,relatime")
	m(3, procDev, "/proc", "proc", "proc", "rw,nosuid,nodev,noexec,relatime")
	m(4, 2, "/tmp", "tmpfs", "tmpfs", "rw,nosuid,nodev,relatime")
	for i := 0; i < nfuseMounts; i++ {
		fm := &fuseMounts[i]
		if !fm.mounted {
			continue
		}
		opts := "rw,relatime"
		if fm.readOnly {
			opts = "ro,relatime"
		}
		m(5+i, devFuse0+i, fm.mountPoint(), "virtiofs", unsafeString(fm.tag[:fm.tagLen]), opts)
	}
}

// Resource names and units in /proc/self/limits, by RLIMIT_ number.
var limitNames = [16][2]string{
	{"Max cpu time", "seconds"}, {"Max file size", "bytes"}, {"Max data size", "bytes"},
	{"Max stack size", "bytes"}, {"Max core file size", "bytes"}, {"Max resident set", "bytes"},
	{"Max processes", "processes"}, {"Max open files", "files"}, {"Max locked memory", "bytes"},
	{"Max address space", "bytes"}, {"Max file locks", "locks"}, {"Max pending signals", "signals"},
	{"Max msgqueue size", "bytes"}, {"Max nice priority", ""}, {"Max realtime priority", ""},
	{"Max realtime timeout", "us"},
}

func genLimits(w *procWriter) {
	col := func(s int64, n int, v uint64) {
		if v == rlimInfinity {
			w.str("unlimited")
		} else {
			w.dec(v)
		}
		w.padTo(s, n)
	}
	s := w.total
	w.str("Limit")
	w.padTo(s, 26)
	w.str("Soft Limit")
	w.padTo(s, 47)
	w.str("Hard Limit")
	w.padTo(s, 68)
	w.str("Units     \n")
	for i, l := range limitNames {
		s := w.total
		w.str(l[0])
		w.padTo(s, 26)
		col(s, 47, rlimits[i][0])
		col(s, 68, rlimits[i][1])
		w.str(l[1])
		w.padTo(s, 78)
		w.byte('\n')
	}
}

// genNetstat writes IpExt's octet counters: the IP bytes of the frames
// the network device carried (loopback traffic between the program's own
// sockets never becomes IP packets here).
func genNetstat(w *procWriter) {
	rx, tx := netDevBytes()
	rp, tp := netDevPackets()
	rx, tx = rx-14*rp, tx-14*tp // less the Ethernet headers
	w.str("IpExt: InOctets OutOctets\nIpExt: ")
	w.dec(rx)
	w.byte(' ')
	w.dec(tx)
	w.byte('\n')
}

// genNetDev writes /proc/net/dev: the network device's counters.
func genNetDev(w *procWriter) {
	w.str("Inter-|   Receive                                                |  Transmit\n")
	w.str(" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n")
	if !netDevPresent() {
		return
	}
	rx, tx := netDevBytes()
	rp, tp := netDevPackets()
	w.str("  eth0: ")
	w.dec(rx)
	w.byte(' ')
	w.dec(rp)
	w.str(" 0 0 0 0 0 0 ")
	w.dec(tx)
	w.byte(' ')
	w.dec(tp)
	w.str(" 0 0 0 0 0 0\n")
}

// fdDescribe writes what /proc/self/fd/N links to for description f.
func fdDescribe(w *procWriter, f *file) {
	switch f.kind {
	case fkConsole:
		w.str("/dev/console")
	case fkFile, fkDir:
		w.str(rootFS.Path(f.node))
	case fkNull:
		w.str("/dev/null")
	case fkZero:
		w.str("/dev/zero")
	case fkRandom:
		w.str("/dev/urandom")
	case fkEventfd:
		w.str("anon_inode:[eventfd]")
	case fkEpoll:
		w.str("anon_inode:[eventpoll]")
	case fkTimerfd:
		w.str("anon_inode:[timerfd]")
	case fkMemfd:
		w.byte('/')
		w.str(tmp.nodes[f.node].nameStr())
		w.str(" (deleted)")
	case fkPipeRead, fkPipeWrite:
		w.str("pipe:[")
		w.dec(pipeIno(f.node))
		w.byte(']')
	case fkTmpFile, fkTmpDir:
		var buf [pathMax]byte
		w.str(tmpPath(buf[:], f.node))
		if !tmp.nodes[f.node].linked {
			w.str(" (deleted)")
		}
	case fkSocket, fkVsock, fkUnix:
		w.str("socket:[")
		w.dec(sockIno(f.kind, f.node))
		w.byte(']')
	case fkStatic:
		w.str(staticFiles[f.node].path)
	case fkBlock:
		w.str("/dev/vd")
		w.byte(byte('a' + f.node))
	case fkFuseDir:
		w.str(fuseDirPath(f))
	case fkFuseFile:
		w.str(fuseMounts[fuseFiles[f.node].m].mountPoint())
		w.str(":[")
		w.dec(fuseFiles[f.node].nodeid)
		w.byte(']')
	case fkNetctl:
		w.str("/dev/netctl")
	case fkNetDev:
		w.str("/dev/net0")
	case fkInotify:
		w.str("anon_inode:inotify")
	case fkProcFile, fkProcDir:
		r := procRefOf(f.node)
		procDirPath(w, r)
	}
}

// procThreadLive reports whether tid names a live thread.
func procThreadLive(tid int) bool {
	if tid < 1 || tid > maxThreads {
		return false
	}
	st := threads[tid-1].loadState()
	return st != tsFree && st != tsDead
}

// procThreadState is t's state letter: R running or runnable, S waiting.
func procThreadState(t *thread) byte {
	if t.loadState() == tsBlocked {
		return 'S'
	}
	return 'R'
}
