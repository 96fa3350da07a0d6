package kernel

import (
	"github.com/gotoro/gotoro/kernel/arch"
	"github.com/gotoro/gotoro/kernel/percpu"
)

// The FPU and vector register state (x87, SSE, AVX, AVX-512) of threads.
//
// When the CPU has XSAVE, every core sets CR4.OSXSAVE and XCR0 to the state
// components the kernel manages, so that the Go runtime (internal/cpu reads
// OSXSAVE and XCR0) sees AVX and AVX2, and AVX-512 where the CPU offers it,
// and uses its vector code paths. A thread's state is saved in its own area
// in the standard (non-compacted) XSAVE format, sized from CPUID leaf 0xD:
// with XSAVEOPT where the CPU has it, else XSAVE, and restored with XRSTOR.
// Without XSAVE the kernel falls back to FXSAVE64/FXRSTOR64 (x87 and SSE).
// The standard format keeps the legacy 512-byte region first, so the FXSAVE
// fallback and the XSAVE modes share every offset the kernel touches (FCW
// at 0, MXCSR at 24), and a signal frame is a plain copy of the area.
//
// Which components: x87, SSE and AVX whenever offered; the three AVX-512
// components (opmask, ZMM_Hi256, Hi16_ZMM) when all three are offered, as
// Linux does (Go 1.26's garbage collector and crypto use AVX-512 where the
// runtime sees it). Not enabled: MPX (obsolete, Go never uses it), PKRU (no
// use in ring 0, where gotoro's Go code runs) and AMX (Linux hands it out
// only on request; the Go runtime does not ask). The kernel command line
// can lower the set: xsave=off (FXSAVE: x87 and SSE only, as before the
// kernel enabled XSAVE) or xsave=avx (no AVX-512). There is no "XSAVE
// without AVX" setting: with OSXSAVE set the runtime uses FMA whenever
// CPUID offers it, and FMA's VEX instructions fault unless XCR0 enables
// AVX.

// fpuMode says how thread state is saved (read by the assembly).
const (
	fpuFXSAVE   = 0
	fpuXSAVE    = 1
	fpuXSAVEOPT = 2
)

// XSAVE state components (bits of XCR0).
const (
	xfeatX87      = 1 << 0
	xfeatSSE      = 1 << 1
	xfeatAVX      = 1 << 2
	xfeatOpmask   = 1 << 5
	xfeatZMMHi256 = 1 << 6
	xfeatHi16ZMM  = 1 << 7
	xfeatAVX512   = xfeatOpmask | xfeatZMMHi256 | xfeatHi16ZMM
)

// Offsets in the legacy region and the XSAVE header.
const (
	fxFCW        = 0
	fxMXCSR      = 24
	fxSwReserved = 464 // software-reserved bytes, where signal frames put the XSAVE description
	fxLegacySize = 512
	xsaveHdrSize = 64
	xsaveMinSize = fxLegacySize + xsaveHdrSize // legacy region and header
)

// fpu describes the state the kernel saves. It is set on the boot CPU
// before any thread exists and not changed afterwards.
var fpu struct {
	mode      uint8   // fpuFXSAVE, fpuXSAVE or fpuXSAVEOPT (fpu+0 in the assembly)
	avx       uint8   // 1 if XCR0 enables AVX (fpu+1 in the assembly)
	xcr0      uint64  // components enabled (0 in FXSAVE mode)
	size      uintptr // bytes of state in a thread's area (512 for FXSAVE)
	mxcsrMask uint32  // MXCSR bits the CPU accepts
	// lost is set when XCR0 did not keep its value (fpuEnable): the
	// kernel then runs with FXSAVE, and -ktrace says so.
	lost bool
	// compEnd[i] is the end offset of component i in the standard format
	// (0 if not enabled), to tell which components a shorter signal frame
	// holds.
	compEnd [8]uint32
}

// fpuSetup chooses the state components on the boot CPU and enables them.
// allow is the set the kernel command line allows (fpuAllow: xsave=off
// or avx), fpuAllowAll for the default. kmain calls it first with
// fpuAllowAll and again, before any thread exists, with what the command
// line asks, which can only lower the set. Its choices are made with as
// few branches as they can be: under TCG each ends a translated block.
//
//go:nosplit
func fpuSetup(allow uint64) {
	fpu.mode = fpuFXSAVE
	fpu.avx = 0
	fpu.size = fxLegacySize
	fpu.xcr0 = 0
	fpu.compEnd = [len(fpu.compEnd)]uint32{}
	fpu.lost = false
	fpu.mxcsrMask = probeMXCSRMask()
	c1 := arch.Features1()
	const (
		cpuidXSAVE = 1 << 26
		cpuidAVX   = 1 << 28
	)
	if c1&cpuidXSAVE == 0 {
		return
	}
	if allow == 0 {
		fpuDisable() // a first call may have enabled it
		return
	}
	maxLeaf, _, _, _ := arch.CPUID(0, 0)
	if maxLeaf < 0xD {
		return
	}
	supLo, _, _, supHi := arch.CPUID(0xD, 0)
	sup := uint64(supLo) | uint64(supHi)<<32
	xcr0 := fpuComponents(sup, c1&cpuidAVX != 0, allow)
	// Where each component lies in the standard format (CPUID 0xD.i, the
	// same whatever XCR0 holds): the area's size follows from them, so
	// 0xD.0 is not read again once XCR0 is set (under KVM each CPUID is
	// a VM exit). AVX-512's three components come together
	// (fpuComponents), so two tests, not a loop over the components.
	end := [len(fpu.compEnd)]uint32{160, fxLegacySize}
	if xcr0&xfeatAVX != 0 {
		end[2] = fpuComponentEnd(2)
	}
	if xcr0&xfeatAVX512 != 0 {
		end[5], end[6], end[7] = fpuComponentEnd(5), fpuComponentEnd(6), fpuComponentEnd(7)
	}
	// Drop the largest components until the state fits.
	for fpuAreaSize(&end) > percpu.FPUAreaMax {
		switch {
		case xcr0&xfeatAVX512 != 0:
			xcr0 &^= xfeatAVX512
			end[5], end[6], end[7] = 0, 0, 0
		case xcr0&xfeatAVX != 0:
			xcr0 &^= xfeatAVX
			end[2] = 0
		default:
			kpanic("the CPU's XSAVE area for x87 and SSE is too large")
		}
	}
	if !fpuEnable(xcr0) {
		fpuDisable()
		fpu.lost = true
		return
	}
	fpu.size = fpuAreaSize(&end)
	fpu.xcr0 = xcr0
	fpu.compEnd = end
	fpu.avx = uint8(xcr0 >> 2 & 1) // xfeatAVX
	// XSAVEOPT where CPUID 0xD.1 offers it (EAX bit 0).
	a, _, _, _ := arch.CPUID(0xD, 1)
	fpu.mode = fpuXSAVE + uint8(a&1)
}

// fpuComponentEnd returns where state component i ends in the standard
// format (CPUID 0xD.i: its size plus its offset).
//
//go:nosplit
func fpuComponentEnd(i uint32) uint32 {
	sz, off, _, _ := arch.CPUID(0xD, i)
	return off + sz
}

// What fpuSetup may enable: everything it manages (the default), no
// AVX-512 (xsave=avx), nothing, so FXSAVE (xsave=off).
const (
	fpuAllowAll  = xfeatX87 | xfeatSSE | xfeatAVX | xfeatAVX512
	fpuAllowAVX  = xfeatX87 | xfeatSSE | xfeatAVX
	fpuAllowNone = 0
)

// fpuAllow returns what the command line's xsave= value allows: "off"
// nothing (FXSAVE), "avx" no AVX-512, anything else everything.
func fpuAllow(want string) uint64 {
	switch want {
	case "off":
		return fpuAllowNone
	case "avx":
		return fpuAllowAVX
	}
	return fpuAllowAll
}

// fpuAreaSize returns the bytes of a standard-format XSAVE area for the
// components whose ends are given (0 for one not enabled): the legacy
// region and the header, then up to the end of the last component. That
// is what CPUID 0xD.0's EBX reports once XCR0 enables them.
func fpuAreaSize(end *[len(fpu.compEnd)]uint32) uintptr {
	return uintptr(max(xsaveMinSize, end[2], end[3], end[4], end[5], end[6], end[7]))
}

// fpuComponents returns the XCR0 value for the components sup (CPUID
// 0xD.0 EDX:EAX) offers, given whether CPUID reports AVX and what the
// command line allows (fpuAllow): x87 and SSE, AVX where both CPUID
// leaves offer it, AVX-512 with AVX when all three of its components are
// offered. Without branches (fpuSetup).
func fpuComponents(sup uint64, avx bool, allow uint64) uint64 {
	a := uint64(0)
	if avx {
		a = 1
	}
	a &= sup >> 2 // AVX offered in both places
	z := a & (sup >> 5) & (sup >> 6) & (sup >> 7) & 1
	return (sup&(xfeatX87|xfeatSSE) | (a&1)<<2 | z*xfeatAVX512) & (allow | xfeatX87 | xfeatSSE)
}

// fpuModeName names the save instruction in use (for -ktrace).
func fpuModeName() string {
	if fpu.lost {
		return "fxsave(XCR0-lost-on-VM-exit)"
	}
	switch fpu.mode {
	case fpuXSAVEOPT:
		return "xsaveopt"
	case fpuXSAVE:
		return "xsave"
	}
	return "fxsave"
}

// fpuInitCPU enables on an AP what fpuSetup chose on the boot CPU.
func fpuInitCPU() {
	if fpu.mode != fpuFXSAVE && !fpuEnable(fpu.xcr0) {
		kpanic("XCR0 did not keep its value on an application processor")
	}
}

const cr4OSXSAVE = 1 << 18

// fpuEnable sets CR4.OSXSAVE and XCR0 on this core and reports whether
// XCR0 keeps its value across a VM exit. A hypervisor that does not
// intercept XSETBV (QEMU 7.2's emulated SVM, running KVM nested) loads its
// own idea of XCR0 again on the next VM entry; CPUID always exits.
//
//go:nosplit
func fpuEnable(xcr0 uint64) bool {
	return arch.EnableXSAVE(xcr0)
}

// fpuDisable clears CR4.OSXSAVE again: the runtime must not see OSXSAVE
// without AVX in XCR0 (it would use FMA, whose VEX encoding then faults).
func fpuDisable() {
	arch.WriteCR4(arch.ReadCR4() &^ cr4OSXSAVE)
}

// fxProbe is probeMXCSRMask's FXSAVE area (boot only, one core): not on
// the stack, so that the boot functions' frames stay within the nosplit
// budget (docs/kernel.md).
var fxProbe [fxLegacySize + 15]byte

// probeMXCSRMask returns the MXCSR bits this CPU accepts (FXSAVE's
// MXCSR_MASK field; 0 there means the architectural default 0xFFBF).
//
//go:nosplit
func probeMXCSRMask() uint32 {
	return arch.MXCSRMask(align16(fxProbe[:]))
}

// fpuInitArea fills the area at p with the initial state a new program
// gets on Linux: x87 control word 0x37F, MXCSR 0x1F80, all registers zero,
// and (XSAVE header all zero) every other component in its initial state.
func fpuInitArea(p uintptr) {
	clear(unsafeSlice(p, fpu.size))
	fpuInitZeroed(p)
}

// fpuInitZeroed is fpuInitArea for an area that is all zero already (a
// thread's, which threadAlloc cleared with the rest of the thread): the
// two fields whose initial state is not zero.
func fpuInitZeroed(p uintptr) {
	*(*uint16)(ptr(p + fxFCW)) = 0x37F
	*(*uint32)(ptr(p + fxMXCSR)) = 0x1F80
}

// xsaveHeader is the 64-byte header after the legacy region.
type xsaveHeader struct {
	xstateBV uint64 // components whose state the area holds (others are initial)
	xcompBV  uint64 // 0: standard format
	_        [6]uint64
}

func (p fpuPtr) header() *xsaveHeader { return (*xsaveHeader)(ptr(uintptr(p) + fxLegacySize)) }

// fpuPtr is the address of a state area.
type fpuPtr uintptr

// sanitize makes the area at p acceptable to XRSTOR/FXRSTOR whatever a
// program wrote into its signal frame: MXCSR bits the CPU rejects are
// cleared, and the header names only enabled components in the standard
// format. XRSTOR raises #GP otherwise, in the kernel. keep is the set of
// components the frame holds.
func (p fpuPtr) sanitize(keep uint64) {
	*(*uint32)(ptr(uintptr(p) + fxMXCSR)) &= fpu.mxcsrMask
	if fpu.mode == fpuFXSAVE {
		return
	}
	h := p.header()
	bv := h.xstateBV & keep & fpu.xcr0
	*h = xsaveHeader{}
	h.xstateBV = bv
}

// fpuComponentsWithin returns the enabled components that lie wholly in
// the first size bytes of a standard-format area.
func fpuComponentsWithin(size uintptr) uint64 {
	if size >= fpu.size {
		// A whole area (the frames the kernel writes) holds every
		// enabled component; no loop to translate under TCG.
		return fpu.xcr0
	}
	m := uint64(0)
	for i, end := range fpu.compEnd {
		if end != 0 && uintptr(end) <= size {
			m |= 1 << uint(i)
		}
	}
	return m
}

// fpuSaveLive saves this core's registers to the area at p of the thread
// running a system call, keeping the x87 control word and MXCSR that the
// entry path stored there (trap_amd64.s, syscallfx).
//
//go:nosplit
func fpuSaveLive(p uintptr) {
	fcw := *(*uint16)(ptr(p + fxFCW))
	mxcsr := *(*uint32)(ptr(p + fxMXCSR))
	fpuSave(p)
	*(*uint32)(ptr(p + fxMXCSR)) = mxcsr // XRSTOR loads MXCSR whatever the header says
	if *(*uint16)(ptr(p + fxFCW)) == fcw {
		return
	}
	if fpu.mode != fpuFXSAVE {
		if h := fpuPtr(p).header(); h.xstateBV&xfeatX87 == 0 {
			// x87 was in its initial state, so its region was not
			// written: write that state, with the thread's control word.
			clear(unsafeSlice(p, 160))
			*(*uint32)(ptr(p + fxMXCSR)) = mxcsr
			h.xstateBV |= xfeatX87
		}
	}
	*(*uint16)(ptr(p + fxFCW)) = fcw
}

// fpuSave saves this core's FPU/vector state to the area at p.
func fpuSave(p uintptr)

// fpuRestore loads this core's FPU/vector state from the area at p.
func fpuRestore(p uintptr)
