package kernel

import "github.com/gotoro/gotoro/internal/bootabi"

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
func hltShadowFixup(f *trapFrame) {
	if f.rip != uint64(stiHltAddr()+1) {
		return
	}
	c := thisCPU()
	c.hltShadowed++
	c.hltShadowVec = f.vector
	if idleHLTFixup {
		f.rip++
	}
}

// reportHLTShadow prints, for ktrace, how many interrupts each core took
// in its idle STI shadow (nothing if none did).
func reportHLTShadow() {
	for i := 0; i < ncpu; i++ {
		if n := cpus[i].hltShadowed; n != 0 {
			kprint("ktrace: core ")
			kprintDec(uint64(i))
			kprint(": ")
			kprintDec(n)
			kprint(" interrupts taken between the idle STI and HLT\n")
		}
	}
}

// checkIdleHalt verifies that stiHlt starts with STI (0xFB) and HLT
// (0xF4), where hltShadowFixup expects them.
func checkIdleHalt() {
	if p := stiHltAddr(); *(*uint8)(ptr(p)) != 0xFB || *(*uint8)(ptr(p + 1)) != 0xF4 {
		kpanic("stiHlt does not start with STI; HLT")
	}
}

// rflagsIF is the interrupt-enable flag in RFLAGS.
const rflagsIF = 1 << 9

// maskedInterrupt stops the machine on an external interrupt that arrived
// while interrupts were disabled, which the CPU never does: the interrupt
// stack it shares with the one being handled has just been overwritten.
func maskedInterrupt(f *trapFrame) {
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
	outl(bootabi.DebugExitPort, bootabi.ExitFault)
	for {
		hlt()
	}
}
