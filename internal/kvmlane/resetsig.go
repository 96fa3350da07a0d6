package main

import (
	"fmt"
	"slices"
	"sync"

	"github.com/gotoro/gotoro/internal/bootcase"
)

// L0's reset signatures (docs/kvm.md, "Resets without a report"). A gotoro
// guest under the lane now and then resets its machine with every kernel
// table intact, in one of two ways seen many times, both at a point where
// QEMU's emulated SVM (L0) has just loaded the guest's state on a VMRUN:
//
//  1. a shutdown exit at the kernel's idle HLT while an external
//     interrupt that wakes an idle core is being delivered: vector 0xF0
//     (the wake IPI), or 0x20 (the local APIC timer; seen first in the
//     CI of 2e5b797, virtio-fs, with every table intact);
//  2. a shutdown exit while a page fault for an instruction fetch of a
//     not-present page (error code 0x10) is being delivered, at a RIP in
//     the image's text, which is identity-mapped and never unmapped: the
//     page the fault names is present and executable in the kernel's
//     tables when they are walked afterwards.
//
// classifyReset takes a reset for L0's only when the host's own records
// say so in every part: KVM's shutdown exit (one, on a vCPU KVM
// re-initialized), its RIP and the event being delivered, the image's
// text and idle halt from its symbols, and ResetState's checks of the
// IDT, GDTs, TSSs, stacks and mappings with nothing found wrong. The
// guest's console plays no part.

// SVM's EXITINTINFO of the two signatures: valid (bit 31), type (bits
// 8-10: 0 external interrupt, 3 exception), error code valid (bit 11),
// vector (bits 0-7).
const (
	intrWakeIPI  = 0x800000f0 // external interrupt, vector 0xF0
	intrTimer    = 0x80000020 // external interrupt, vector 0x20 (bootabi.VecTimer)
	intrFetchPF  = 0x80000b0e // exception 14 (#PF) with an error code
	pfFetchNotPr = 0x10       // #PF error code: instruction fetch, page not present, ring 0
)

// resetVerdict is the classifier's answer for one reset.
type resetVerdict struct {
	sig int    // 1 or 2: L0's signature; 0: a real failure
	why string // the numbers that matched, or why it is not L0's
}

// String is the verdict as a RETRY or FAIL line gives it.
func (v resetVerdict) String() string {
	if v.sig == 0 {
		return "a reset that is not L0's signature (" + v.why + ")"
	}
	return fmt.Sprintf("L0's reset signature %d (%s)", v.sig, v.why)
}

// classifyReset decides whether a reset report shows one of L0's
// signatures (above); anything not matching in every part is not.
func classifyReset(r bootcase.ResetReport) resetVerdict {
	no := func(format string, args ...any) resetVerdict {
		return resetVerdict{why: fmt.Sprintf(format, args...)}
	}
	switch n := len(r.Host.Exits); {
	case !r.Host.Traced:
		return no("no trace of KVM's shutdown exits")
	case n == 0:
		return no("KVM traced no shutdown exit")
	case n > 1:
		return no("%d shutdown exits in one boot", n)
	}
	x := r.Host.Exits[0]
	if len(r.Problems) > 0 {
		more := ""
		if len(r.Problems) > 1 {
			more = fmt.Sprintf(", and %d more", len(r.Problems)-1)
		}
		return no("the report found %s%s", r.Problems[0], more)
	}
	if !slices.Contains(r.Reinitialized, x.VCPU) {
		return no("vCPU %d shut down but the vCPUs KVM re-initialized are %v", x.VCPU, r.Reinitialized)
	}
	if !r.InText(x.RIP) {
		return no("rip %#x outside the image's text %#x-%#x", x.RIP, r.TextStart, r.TextEnd)
	}
	fetch, walked := r.Fetch[x.RIP]
	switch {
	case !walked:
		return no("rip %#x: its page was not walked", x.RIP)
	case fetch != "":
		return no("rip %#x: %s", x.RIP, fetch)
	}
	switch {
	case x.IntrInfo == intrWakeIPI || x.IntrInfo == intrTimer:
		// The vCPU halted in stiHlt: RIP at its HLT (the interrupt
		// taken in STI's shadow) or right after it (halted; KVM has
		// stepped over the HLT it intercepted).
		what := "wake IPI 0xf0"
		if x.IntrInfo == intrTimer {
			what = "timer interrupt 0x20"
		}
		if r.IdleHLT == 0 || (x.RIP != r.IdleHLT && x.RIP != r.IdleHLT+1) {
			return no("%s being delivered at rip %#x, not at the idle HLT %#x", what, x.RIP, r.IdleHLT)
		}
		return resetVerdict{sig: 1, why: fmt.Sprintf("%s being delivered at the idle HLT, rip %#x; tables intact", what, x.RIP)}
	case x.IntrInfo == intrFetchPF && x.ErrorCode == pfFetchNotPr:
		return resetVerdict{sig: 2, why: fmt.Sprintf("fetch #PF err %#x at %#x in text, its page present and executable; tables intact", x.ErrorCode, x.RIP)}
	}
	return no("intr_info %#x error_code %#x at rip %#x", x.IntrInfo, x.ErrorCode, x.RIP)
}

// resetBox holds the verdict on the last reset of the running case, from
// the guest's boot (bootcase.Env.OnReset) until the case's result takes
// it (runOne).
type resetBox struct {
	mu   sync.Mutex
	v    resetVerdict
	full bool
}

var resetSeen resetBox

// set classifies report and keeps its verdict; a second reset in the
// same run of a case is never L0's.
func (b *resetBox) set(report bootcase.ResetReport) {
	v := classifyReset(report)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.full {
		v = resetVerdict{why: "a second reset in the same run of the case, after " + b.v.String()}
	}
	b.v, b.full = v, true
}

// take returns the verdict kept, if any, and empties the box.
func (b *resetBox) take() (resetVerdict, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.v, b.full
	b.v, b.full = resetVerdict{}, false
	return v, ok
}

// resetRetry returns whether a case whose run ended in a reset with
// verdict v runs again, and the text of its RETRY or FAIL line. Only L0's
// signature is retried, within the bounds of t, and only once per case
// (resets: the case's earlier runs that reset): the same case resetting
// twice is not L0's window met by chance, and fails.
func resetRetry(v resetVerdict, t try, resets int) (bool, string) {
	switch {
	case v.sig == 0:
		return false, v.String()
	case resets > 0:
		return false, v.String() + ", but the case had reset in an earlier run too: a second reset fails it"
	case !t.mayRetry():
		return false, fmt.Sprintf("%s, but no rerun is left (run %d of at most %d, %d reruns of at most %d in this lane run)", v, t.run, artefactRuns, t.reruns, runReruns)
	}
	return true, v.String()
}
