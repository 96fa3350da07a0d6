package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/internal/bootabi"
	"github.com/gotoro/gotoro/kernel/arch"
)

// An interrupt taken inside the idle loop's STI shadow.
//
// stiHlt is STI; HLT: STI blocks interrupts until the instruction after it
// has completed, so an interrupt that is already pending is taken in the
// halt and returns after the HLT, and the idle loop looks at its inbox and
// timers again. If an interrupt is nevertheless delivered between STI and
// HLT, it returns to the HLT, and the core halts although what the
// interrupt announced (a thread in its inbox, an expired timer) is waiting:
// a lost wake-up until some later interrupt. Hardware does not do that,
// but nested virtualization under QEMU before 9.1 does: its TCG drops the
// interrupt shadow that KVM hands back in the VMCB on VMRUN (docs/kvm.md).
//
// So kintr skips the HLT when it interrupted the core right there: the
// interrupt is the event the HLT waited for.

// idleHLTFixup enables the skip (cmdline idle_fixup=0 turns it off).
var idleHLTFixup = true

// hltShadowFixup moves an interrupt frame that points at stiHlt's HLT past
// it, and counts the event on the core.
//
//go:nosplit
func hltShadowFixup(f *trapFrame) {
	if f.rip != uint64(idleHLTAddr()) {
		return
	}
	c := thisCPU()
	c.sched().hltShadowed++
	c.sched().hltShadowVec = f.vector
	if idleHLTFixup {
		f.rip++
	}
}

// reportHLTShadow prints, for ktrace, how many interrupts each core took
// in its idle STI shadow (nothing if none did).
func reportHLTShadow() {
	for i := 0; i < ncpu; i++ {
		if n := cpus[i].sched().hltShadowed; n != 0 {
			kprint("ktrace: core ")
			kprintDec(uint64(i))
			kprint(": ")
			kprintDec(n)
			kprint(" interrupts taken between the idle STI and HLT\n")
		}
	}
}

// stiHltSTI is the offset of stiHlt's STI, after the store of its stack
// pointer (percpu_amd64.s).
const stiHltSTI = 9

// idleHLTAddr returns the address of the idle halt's HLT.
func idleHLTAddr() uintptr { return stiHltAddr() + stiHltSTI + 1 }

// An interrupt delivered twice.
//
// Under nested KVM with QEMU's TCG at L0 (docs/kvm.md), an external
// interrupt is now and then delivered a second time at the first
// instruction of its own handler's stub, with interrupts disabled (which
// no CPU does: only a hypervisor's event injection ignores IF). All
// external interrupts share one interrupt stack, so the second frame
// overwrites the first: the context the first interrupted is lost.
//
// Interrupts reach kernel code only in the idle halt, and there the lost
// context is known: stiHlt halted with its stack pointer in haltSP, and
// whether the interrupt came in the HLT or in the instruction after it,
// continuing at the CLI after the HLT is what the first interrupt's return
// would have done. So kintr handles the interrupt once and resumes there
// (idleDoubleDelivery). From Go code the lost context (the program's
// instruction and stack pointer) cannot be rebuilt: the kernel stops with
// the report the KVM lane recognises (goDoubleDelivery).

// idleDoubleDelivery repairs f, an interrupt taken with interrupts
// disabled, if it is the second delivery of an interrupt over the idle
// halt's frame: f is at the entry of the stub of its own vector, with the
// stack pointer one hardware frame below the top of the interrupt stack,
// on a core halted in the idle loop. It reports whether it did.
func idleDoubleDelivery(f *trapFrame) bool {
	c := thisCPU()
	top := uint64(istBottom(int(c.id), istIRQ) + istStackSize)
	if !secondDelivery(f.rip, f.rsp, f.vector, uint64(vectorsAddr()), top) ||
		atomic.LoadUint32(&c.idle) == 0 || c.haltSP == 0 {
		return false
	}
	c.sched().doubleDelivered++
	f.rip = uint64(idleHLTAddr() + 1) // the CLI after the HLT
	f.rsp = uint64(c.haltSP)
	f.rflags = rflagsReserved // interrupts off, as stiHlt's CLI leaves them
	return true
}

// goDoubleDelivery stops the machine if f, an entry from Go code, is an
// interrupt or exception delivered a second time at the entry of a stub
// (its interrupted instruction is a stub's first): the first delivery's
// frame, the program's context, has been overwritten.
//
// It also stops on any other external interrupt taken with interrupts
// disabled before the entry code marked the core as in the kernel
// (intrCommon copying a frame off the interrupt stack, trapReturn's last
// instructions): only the artefact delivers one there, and its frame has
// overwritten the one being copied, or the thread's own. The one such
// place where nothing is lost is syscallEntry's first instruction (SYSCALL
// cleared IF; the frame holds the program's stack pointer and returns
// there), which continues as usual.
//
//go:nosplit
func goDoubleDelivery(f *trapFrame) {
	stubs := uint64(vectorsAddr())
	if _, ok := stubEntry(f.rip, stubs); !ok {
		if !maskedFromGo(f.vector, f.rflags, f.rip, uint64(syscallEntryAddr())) {
			return
		}
		kprint("\n" + bootabi.FaultMarker + ": kernel panic: interrupt ")
		kprintDec(f.vector)
		kprint(" delivered with interrupts disabled in the kernel's entry or exit code at rip=")
		kprintHex(f.rip)
		kprint(" (rsp=")
		kprintHex(f.rsp)
		kprint(") on core ")
		kprintDec(uint64(thisCPU().id))
		kprint(": the frame it was moving is lost\n")
		arch.Outl(bootabi.DebugExitPort, bootabi.ExitFault)
		for {
			arch.Hlt()
		}
	}
	kprint("\n" + bootabi.FaultMarker + ": kernel panic: interrupt ")
	kprintDec(f.vector)
	kprint(" delivered with interrupts disabled at the entry of the stub of vector ")
	kprintDec((f.rip - stubs) / 16)
	kprint(" over a frame from Go code (rsp=")
	kprintHex(f.rsp)
	kprint(") on core ")
	kprintDec(uint64(thisCPU().id))
	kprint(": the program's context is lost\n")
	arch.Outl(bootabi.DebugExitPort, bootabi.ExitFault)
	for {
		arch.Hlt()
	}
}

// secondDelivery reports whether a frame (rip, rsp) taken for vector is
// that vector delivered a second time over a frame on the interrupt stack
// whose top is istTop: the interrupted instruction is the first of the
// vector's own stub (stubs is the first stub; they are 16 bytes apart),
// and the interrupted stack pointer is one hardware frame below the top,
// aligned down to 16 bytes as the CPU aligns it (cores' tops differ).
func secondDelivery(rip, rsp, vector, stubs, istTop uint64) bool {
	return rip == stubs+16*vector && rsp == istTop&^15-hwFrameSize
}

// maskedFromGo reports whether a frame that entered as from Go code is an
// external interrupt taken with interrupts disabled (Go code always runs
// with them enabled) anywhere but at syscallEntry.
func maskedFromGo(vector, rflags, rip, syscallEntry uint64) bool {
	return vector >= 32 && vector < 256 && rflags&rflagsIF == 0 && rip != syscallEntry
}

// stubEntry reports whether rip is the first instruction of a vector
// stub, and whose.
func stubEntry(rip, stubs uint64) (vector uint64, ok bool) {
	if rip < stubs || rip >= stubs+256*16 || (rip-stubs)%16 != 0 {
		return 0, false
	}
	return (rip - stubs) / 16, true
}

// reportDoubleDelivery prints, for ktrace, how many interrupts each core
// took twice in its idle halt and survived (nothing if none did).
func reportDoubleDelivery() {
	for i := 0; i < ncpu; i++ {
		if n := cpus[i].sched().doubleDelivered; n != 0 {
			kprint("ktrace: core ")
			kprintDec(uint64(i))
			kprint(": ")
			kprintDec(n)
			kprint(" interrupts delivered twice in the idle halt, resumed\n")
		}
	}
}

// hwFrameSize is the interrupt frame the CPU pushes (RIP, CS, RFLAGS,
// RSP, SS); rflagsReserved is RFLAGS' always-set bit 1.
const (
	hwFrameSize    = 40
	rflagsReserved = 1 << 1
)

// rflagsIF is the interrupt-enable flag in RFLAGS.
const rflagsIF = 1 << 9

// maskedInterrupt stops the machine on an external interrupt that arrived
// while interrupts were disabled, which the CPU never does: the interrupt
// stack it shares with the one being handled has just been overwritten.
func maskedInterrupt(f *trapFrame) {
	ktestInterrupt(f.vector)
	kprint("\n" + bootabi.FaultMarker + ": kernel panic: interrupt ")
	kprintDec(f.vector)
	kprint(" delivered with interrupts disabled at rip=")
	kprintHex(f.rip)
	kprint(" rsp=")
	kprintHex(f.rsp)
	kprint(" on core ")
	kprintDec(uint64(thisCPU().id))
	kprint("\n")
	printStack(uintptr(f.rip), uintptr(f.rsp), uintptr(f.rbp))
	arch.Outl(bootabi.DebugExitPort, bootabi.ExitFault)
	for {
		arch.Hlt()
	}
}
