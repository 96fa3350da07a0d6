package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/internal/bootabi"
	"github.com/gotoro/gotoro/kernel/arch"
	"github.com/gotoro/gotoro/kernel/ktime"
)

// Boot tracing (boottrace=1 on the command line; the format is in
// internal/bootabi/boottrace.go). The kernel stamps the TSC at each boot
// step, catches the entries of runtime.main and main.main with hardware
// breakpoints (debug registers 0 and 2 on every core, addresses from the
// boot block), counts system calls, page faults and interrupts per core,
// and prints one line before the machine stops. Without the parameter
// the only costs are the stamps (a TSC read each, at boot) and a flag test
// per trap.

// bootTrace is the state of boot tracing.
var bootTrace struct {
	on          bool
	runtimeMain uint64 // breakpoint 0 address, 0 if none
	mainMain    uint64 // breakpoint 2 address, 0 if none
	stamps      [bootabi.NumSteps]uint64
	atMain      [bootabi.NumCounts]uint64 // the counters when main.main started
	counts      [maxCPUs]bootCounts
}

// bootCounts is one core's counters, a cache line of its own.
type bootCounts struct {
	n [bootabi.NumCounts]uint64
	_ [64 - 8*bootabi.NumCounts]byte
}

// DR7 bits: local enable of breakpoints 0 and 2 (execute, one byte: the
// R/W and LEN fields stay 0), and DR6's hit bits.
const (
	dr7L0   = 1 << 0
	dr7L2   = 1 << 4
	dr6B0   = 1 << 0
	dr6B2   = 1 << 2
	dr6Hits = 0xf
	// DR6's other causes: a debug-register access (BD), a single step
	// (BS), a task switch (BT).
	dr6BD = 1 << 13
	dr6BS = 1 << 14
	dr6BT = 1 << 15
	// rflagsRF is RFLAGS' resume flag: instruction breakpoints do not fire
	// for the instruction an IRET returns to.
	rflagsRF = 1 << 16
)

// spuriousDebug counts debug exceptions without a cause (debugTrap).
var spuriousDebug atomic.Uint64

// dr6Cause returns the DR6 bits that make a debug exception real given
// DR7: the hit bits of the breakpoints DR7 enables (locally or globally),
// BD, BS and BT.
func dr6Cause(dr7 uint64) uint64 {
	c := uint64(dr6BD | dr6BS | dr6BT)
	for i := 0; i < 4; i++ {
		if dr7&(3<<(2*i)) != 0 {
			c |= 1 << i
		}
	}
	return c
}

// stamp records the TSC for a boot step the first time it is reached.
func stamp(step int) {
	if bootTrace.stamps[step] == 0 {
		bootTrace.stamps[step] = arch.Rdtsc()
	}
}

// stampExit marks the program's exit (exit_group), before the kernel
// lingers for the network service.
func stampExit() { stamp(bootabi.StepExit) }

// stampAt records tsc for a boot step: one taken before the trace was set
// up, or a step of the kernel's boot, which runs once (kmain stamps with
// stampAt(step, arch.Rdtsc()): no test of the slot, one translated block
// less per step under TCG).
func stampAt(step int, tsc uint64) {
	bootTrace.stamps[step] = tsc
}

// bootTraceInit turns tracing on: it reads the breakpoint addresses from
// the boot block and arms them on the boot core. Without tracing kmain
// clears the debug registers instead (arch.ClearDebug, as bootTraceArm
// does on the other cores).
//
//go:nosplit
func bootTraceInit(bb *bootabi.BootBlock) {
	bootTrace.on = true
	bootTrace.runtimeMain = bb.RuntimeMain
	bootTrace.mainMain = bb.MainMain
	bootTraceArm()
}

// bootTraceArm sets this core's breakpoints (every core runs it, since the
// runtime may run either function on any core). Without tracing it
// disables all four, as a kernel does at boot: a new machine's DR7 has
// none enabled, but the nested lane's emulated SVM was seen to start a
// guest with an earlier guest's breakpoint in force (docs/boot.md).
func bootTraceArm() {
	if !bootTrace.on {
		arch.ClearDebug()
		return
	}
	dr7 := uint64(0)
	if a := bootTrace.runtimeMain; a != 0 {
		arch.WriteDR0(a)
		dr7 |= dr7L0
	}
	if a := bootTrace.mainMain; a != 0 {
		arch.WriteDR2(a)
		dr7 |= dr7L2
	}
	arch.WriteDR6(0)
	arch.WriteDR7(dr7)
}

// bootTraceArmed returns the DR7 enable bits the kernel may have set (0
// without tracing).
func bootTraceArmed() uint64 {
	m := uint64(0)
	if bootTrace.on && bootTrace.runtimeMain != 0 {
		m |= dr7L0
	}
	if bootTrace.on && bootTrace.mainMain != 0 {
		m |= dr7L2
	}
	return m
}

// bootCount counts one kernel entry of the kind of vector v.
//
//go:nosplit
func bootCount(v uint64) {
	if !bootTrace.on {
		return
	}
	k := bootabi.CountInterrupts
	switch v {
	case vecSyscall, vecSyscallFX:
		k = bootabi.CountSyscalls
	case vecPageFault:
		k = bootabi.CountPageFaults
	}
	c := &bootTrace.counts[thisCPU().id]
	atomic.AddUint64(&c.n[k], 1)
}

// bootTraceSum returns the counters summed over the cores.
func bootTraceSum() (s [bootabi.NumCounts]uint64) {
	for i := range bootTrace.counts {
		for k := range s {
			s[k] += atomic.LoadUint64(&bootTrace.counts[i].n[k])
		}
	}
	return s
}

// debugTrap handles a debug exception the kernel caused or that has no
// cause, and reports whether it did; the others are the program's
// (SIGTRAP). If one of the boot-trace breakpoints hit, it stamps the step
// and disarms that breakpoint on this core (the instruction then runs
// normally). The program cannot set hardware breakpoints (there is no
// ptrace), so a breakpoint hit the kernel did not arm, or a debug
// exception with no cause in DR6 at all (no breakpoint, single step,
// debug-register access or task switch), is not the program's: it is
// dropped, the breakpoints the kernel did not arm are disabled, and RF
// lets the instruction run. The nested lane's emulated SVM was seen to
// deliver an earlier guest's instruction breakpoint (docs/boot.md, "Under
// KVM").
func debugTrap(f *trapFrame) bool {
	dr6 := arch.ReadDR6()
	dr7 := arch.ReadDR7()
	armed := dr7 & bootTraceArmed()
	if dr6&dr6Cause(armed) == 0 {
		spuriousDebug.Add(1)
		arch.WriteDR7(dr7 & armed)
		arch.WriteDR6(dr6 &^ dr6Hits)
		f.rflags |= rflagsRF
		return true
	}
	hit0 := dr6&dr6B0 != 0 && armed&dr7L0 != 0
	hit2 := dr6&dr6B2 != 0 && armed&dr7L2 != 0
	if !hit0 && !hit2 {
		return false
	}
	if hit0 {
		stamp(bootabi.StepRuntimeMain)
		dr7 &^= dr7L0
	}
	if hit2 {
		stamp(bootabi.StepMain)
		bootTrace.atMain = bootTraceSum()
		dr7 &^= dr7L2
	}
	arch.WriteDR7(dr7)
	arch.WriteDR6(dr6 &^ dr6Hits)
	return true
}

// bootTracePrint prints the boot-trace line; the machine stops next.
func bootTracePrint() {
	if !bootTrace.on {
		return
	}
	stamp(bootabi.StepExit)
	t := arch.Rdtsc()
	if bootTrace.stamps[bootabi.StepFirstOutput] == 0 {
		stampAt(bootabi.StepFirstOutput, t)
	}
	kprint(bootabi.BootTraceMarker)
	kprint(" t=")
	kprintDec(t)
	kprint(" hz=")
	kprintDec(ktime.Hz())
	kprint(" ncpu=")
	kprintDec(uint64(ncpu))
	for i, name := range bootabi.StepNames {
		kprint(" ")
		kprint(name)
		kprint("=")
		kprintDec(bootTrace.stamps[i])
	}
	total := bootTraceSum()
	for i, name := range bootabi.CountNames {
		kprint(" ")
		kprint(name)
		kprint("_main=")
		kprintDec(bootTrace.atMain[i])
		kprint(" ")
		kprint(name)
		kprint("=")
		kprintDec(total[i])
	}
	kprint("\n")
}
