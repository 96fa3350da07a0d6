package bootcase

import (
	"fmt"
	"strings"
)

// Programs the cases boot, relative to the module root.
const (
	testdata      = "internal/boottest/testdata/"
	progHello     = "examples/hello"
	progIntercore = "examples/intercore"
	progMPIReduce = "examples/mpi-reduce"
	progExit      = testdata + "exitcode"
	progKStack    = testdata + "kstack"
	progPanic     = testdata + "panic"
	progNilDeref  = testdata + "nilderef"
	progFault     = testdata + "fault"
	progTimers    = testdata + "timers"
	progPreempt   = testdata + "preempt"
	progSignals   = testdata + "signals"
	progGC        = testdata + "gc"
	progWake      = testdata + "wake"
	progBlk       = testdata + "blk"
	progNetdev    = testdata + "netdev"
	progVsock     = testdata + "vsock"
	progFS        = testdata + "fs"
	progHotloop   = testdata + "hotloop"
	progHotcores  = testdata + "hotcores"
	progVector    = testdata + "vector"
	progFutex     = testdata + "futex"
	progFileIO    = testdata + "fileio"
	progPipes     = testdata + "pipes"
	progFaults    = testdata + "faults"
	progSockets   = testdata + "sockets"
	progEventfd   = testdata + "eventfd"
	progSnapClock = testdata + "snapclock"
	progSigterm   = testdata + "sigterm"
)

// ImageName is the file name under which a runner keeps prog's image.
func ImageName(prog string) string {
	return strings.ReplaceAll(prog, "/", "_") + ".img"
}

// All returns every case, in the order a runner should take them.
func All() []Case {
	var cs []Case
	add := func(c ...Case) { cs = append(cs, c...) }
	add(Case{Name: "hello", Progs: []string{progHello}, Run: hello})
	add(Case{Name: "accel-auto", Progs: []string{progHello}, Run: accelAuto})
	add(Case{Name: "stop-on-signal", Progs: []string{progSigterm}, Run: stopOnSignal})
	add(Case{Name: "snapshot", Progs: []string{progSnapClock}, Run: snapshotRestore})
	add(Case{Name: "fresh-memory", Progs: []string{progFreshMem}, Run: freshMemory})
	add(Case{Name: "fresh-memory/snapshot", Progs: []string{progFreshMem}, Run: freshMemorySnapshot})
	add(Case{Name: "exit-status", Progs: []string{progExit}, Run: exitStatuses})
	add(Case{Name: "panic", Progs: []string{progPanic}, Run: guestPanic})
	add(Case{Name: "fault-report", Progs: []string{progFault}, Run: faultReport})
	add(Case{Name: "kernel-panic-report", Progs: []string{progExit}, Run: kernelPanicReport})
	add(Case{Name: "kernel-stack-overflow/thread", Progs: []string{progKStack}, Run: kernelStackOverflow("kstack")})
	add(Case{Name: "kernel-stack-overflow/ist-ap", Progs: []string{progKStack}, Run: kernelStackOverflow("ist-syscall")})
	for _, k := range []string{"ist", "irqstack", "bootstack", "nmistack"} {
		add(Case{Name: "kernel-stack-overflow/" + k, Progs: []string{progExit}, Run: kernelStackOverflow(k)})
	}
	add(Case{Name: "nil-dereference", Progs: []string{progNilDeref}, Run: nilDereference})
	for _, n := range []int{1, 2} {
		add(Case{Name: fmt.Sprintf("timers/cpus=%d", n), Progs: []string{progTimers}, Serial: true, Run: timers(n)})
	}
	add(Case{Name: "timers/apic-modes", Progs: []string{progTimers}, Serial: true, Run: apicModes})
	add(Case{Name: "vector/features", Progs: []string{progVector}, Run: vectorFeatures})
	add(Case{Name: "vector/stress", Progs: []string{progVector}, Run: vectorStress})
	add(Case{Name: "preempt", Progs: []string{progPreempt}, Run: preempt})
	for _, n := range []int{1, 2} {
		add(Case{Name: fmt.Sprintf("signals/cpus=%d", n), Progs: []string{progSignals}, Run: signals(n)})
	}
	add(Case{Name: "gc/cpus=1", Progs: []string{progGC}, Run: gc(1), TCGOnly: true,
		Why: "the lane runs the GC on 2 and 4 cores; one core adds nothing KVM-specific and costs minutes"})
	for _, n := range []int{2, 4} {
		add(Case{Name: fmt.Sprintf("gc/cpus=%d", n), Progs: []string{progGC}, Run: gc(n)})
	}
	for _, n := range []int{2, 4} {
		add(Case{Name: fmt.Sprintf("wake/cpus=%d", n), Progs: []string{progWake}, Run: wakeStress(n)})
	}
	for _, n := range []int{1, 2, 4} {
		add(Case{Name: fmt.Sprintf("futex/cpus=%d", n), Progs: []string{progFutex}, Run: futexStress(n)})
		add(Case{Name: fmt.Sprintf("fileio/cpus=%d", n), Progs: []string{progFileIO}, Run: fileIOStress(n)})
	}
	for _, n := range []int{2, 4} {
		add(Case{Name: fmt.Sprintf("pipes/cpus=%d", n), Progs: []string{progPipes}, Run: pipeStress(n)})
		add(Case{Name: fmt.Sprintf("faults/cpus=%d", n), Progs: []string{progFaults}, Run: faultStress(n)})
		add(Case{Name: fmt.Sprintf("sockets/cpus=%d", n), Progs: []string{progSockets}, Run: socketStress(n)})
		add(Case{Name: fmt.Sprintf("eventfd/cpus=%d", n), Progs: []string{progEventfd}, Run: eventfdStress(n)})
	}
	add(Case{Name: "mmap/cpus=2", Progs: []string{progMmap}, Run: mmapChecks})
	add(Case{Name: "procfs/cpus=2", Progs: []string{progProcFS}, Run: procFSChecks})
	add(Case{Name: "paths/cpus=1", Progs: []string{progPaths}, Run: pathsChecks})
	add(Case{Name: "statx/cpus=1", Progs: []string{progStatx}, Run: statxChecks})
	add(Case{Name: "timerfd/cpus=2", Progs: []string{progTimerfd}, Run: timerfdChecks})
	add(Case{Name: "memfd/cpus=2", Progs: []string{progMemfd}, Run: memfdChecks})
	for _, n := range []int{1, 2, 4} {
		add(Case{Name: fmt.Sprintf("intercore/cpus=%d", n), Progs: []string{progIntercore}, Run: intercore(n)})
	}
	for _, c := range mpiReduceCases {
		add(Case{Name: "mpi-reduce/" + c.name, Progs: []string{progMPIReduce}, Run: mpiReduce(c)})
	}
	for _, poll := range []bool{false, true} {
		add(Case{Name: fmt.Sprintf("virtio-blk/poll=%v", poll), Progs: []string{progBlk}, Run: blkPersists(poll)})
	}
	for _, n := range []int{1, 2} {
		add(Case{Name: fmt.Sprintf("netdev/cpus=%d", n), Progs: []string{progNetdev}, Run: netdev(n, false)})
	}
	add(Case{Name: "netdev/poll", Progs: []string{progNetdev}, Run: netdev(1, true)})
	add(Case{Name: "netdev/none", Progs: []string{progNetdev}, Run: netdevNone})
	add(Case{Name: "vsock/cli-p", Progs: []string{progVsock}, Run: vsockCLIForward})
	add(Case{Name: "virtio-fs", Progs: []string{progFS}, Run: virtioFS})
	add(Case{Name: "prof/hot-function", Progs: []string{progHotloop}, Run: profHotFunction, TCGOnly: true,
		Why: "profiling from the launch pauses a nested guest for ~250 ms per tick, so it stays in its boot; the lane profiles attached guests"})
	add(Case{Name: "prof/attach", Progs: []string{progHotloop}, Run: profAttach})
	add(Case{Name: "prof/per-vcpu", Progs: []string{progHotcores}, Run: profPerVCPU})
	return cs
}

// Progs returns the programs cases boot, each once.
func Progs(cases []Case) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range cases {
		for _, p := range c.Progs {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}
