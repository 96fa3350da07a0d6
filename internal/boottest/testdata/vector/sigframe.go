package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/cpu"

	"github.com/gotoro/gotoro/internal/vectorwork"
)

// The signal-frame check: a raw handler (sigHandler, in assembly) for
// SIGILL and SIGUSR2 copies the ucontext and the fpstate the kernel built,
// and for SIGILL steps over the faulting UD2 and changes X2 and the upper
// half of Y1 in the frame. Go code then checks the frame against Linux's
// x86-64 layout (the XSAVE description in the software-reserved bytes,
// FP_XSTATE_MAGIC1/2, UC_FP_XSTATE) and that rt_sigreturn loaded the
// changed registers. The same program run natively checks the test itself
// against Linux.

// Filled by sigHandler.
var (
	savedUC     [1024]byte
	savedFP     [4096]byte
	savedFPLen  uint64
	savedFPAddr uint64
	savedSig    uint64
	clearMagic  bool // the SIGILL handler turns the frame into a legacy one
)

func sigHandler()
func sigRestorer()
func sigHandlerAddr() uintptr
func sigRestorerAddr() uintptr
func faultY(in, out *[16][32]byte, mxcsr uint32, gotMXCSR *uint32)
func faultX(in, out *[16][32]byte, mxcsr uint32, gotMXCSR *uint32)
func tgkillMXCSR(pid, tid, sig int, mxcsr uint32, gotMXCSR *uint32)

const (
	ucFPXstate = 1
	magic1     = 0x46505853
	magic2     = 0x46505845
	ucFlagsOff = 0
	fpstateOff = 40 + 23*8 // uc_mcontext.fpstate
	mxcsrOff   = 24
	xmmOff     = 160
	ymmHiOff   = 576
	swOff      = 464
)

type rawSigaction struct{ handler, flags, restorer, mask uint64 }

func setAction(sig int, act *rawSigaction) rawSigaction {
	var old rawSigaction
	_, _, e := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(act)), uintptr(unsafe.Pointer(&old)), 8, 0, 0)
	if e != 0 {
		panic(fmt.Sprintf("rt_sigaction(%d): %v", sig, e))
	}
	return old
}

func sigframe() bool {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const (
		saSiginfo  = 0x4
		saOnstack  = 0x08000000
		saRestorer = 0x04000000
	)
	act := rawSigaction{handler: uint64(sigHandlerAddr()), flags: saSiginfo | saOnstack | saRestorer, restorer: uint64(sigRestorerAddr()), mask: ^uint64(0)}
	oldILL := setAction(int(syscall.SIGILL), &act)
	oldUSR2 := setAction(int(syscall.SIGUSR2), &act)
	defer setAction(int(syscall.SIGILL), &oldILL)
	defer setAction(int(syscall.SIGUSR2), &oldUSR2)

	ok := true
	fail := func(format string, args ...any) {
		ok = false
		fmt.Printf("FAIL: sigframe: "+format+"\n", args...)
	}
	wide := cpu.X86.HasAVX
	var in, out [16][32]byte
	r := vectorwork.RNG(0x5eed)
	for i := range in {
		r.Fill(in[i][:])
	}
	const mxcsr = 0x1F80 | 0x2000 // round down
	var gotMXCSR uint32
	if wide {
		faultY(&in, &out, mxcsr, &gotMXCSR)
	} else {
		faultX(&in, &out, mxcsr, &gotMXCSR)
	}
	le := binary.LittleEndian
	if savedSig != uint64(syscall.SIGILL) {
		fail("handler ran for signal %d, want SIGILL", savedSig)
		return false
	}
	fp := savedFP[:savedFPLen]
	flags := le.Uint64(savedUC[ucFlagsOff:])
	xstate := flags&ucFPXstate != 0
	fmt.Printf("sigframe: uc_flags=%#x fpstate %d bytes, 64-byte aligned=%v", flags, len(fp), savedFPAddr%64 == 0)
	if savedFPAddr%64 != 0 {
		fail("fpstate at %#x is not 64-byte aligned", savedFPAddr)
	}
	if xstate != cpu.X86.HasOSXSAVE {
		fail("UC_FP_XSTATE=%v but OSXSAVE=%v", xstate, cpu.X86.HasOSXSAVE)
	}
	var xfeatures uint64
	if xstate {
		m1, ext, size := le.Uint32(fp[swOff:]), le.Uint32(fp[swOff+4:]), le.Uint32(fp[swOff+16:])
		xfeatures = le.Uint64(fp[swOff+8:])
		fmt.Printf(" magic1=%#x extended_size=%d xfeatures=%#x xstate_size=%d", m1, ext, xfeatures, size)
		if m1 != magic1 || ext != size+4 || int(ext) != len(fp) || size < 576 {
			fail("bad XSAVE description in the fpstate")
		} else if m2 := le.Uint32(fp[size:]); m2 != magic2 {
			fail("FP_XSTATE_MAGIC2 is %#x", m2)
		}
		if xfeatures != xgetbv0() {
			fail("xfeatures %#x, XCR0 %#x", xfeatures, xgetbv0())
		}
		bv := le.Uint64(fp[512:])
		fmt.Printf(" xstate_bv=%#x", bv)
		if wide && bv&4 == 0 {
			fail("the frame's XSAVE header says the AVX state is initial")
		}
	}
	fmt.Println()
	if m := le.Uint32(fp[mxcsrOff:]); m != mxcsr {
		fail("frame MXCSR %#x, want %#x", m, mxcsr)
	}
	for i := range in {
		if !bytes.Equal(fp[xmmOff+16*i:xmmOff+16*i+16], in[i][:16]) {
			fail("frame X%d differs from the register at the fault", i)
		}
		if wide && !bytes.Equal(fp[ymmHiOff+16*i:ymmHiOff+16*i+16], in[i][16:]) {
			fail("frame upper half of Y%d differs from the register at the fault", i)
		}
	}
	// After rt_sigreturn: the registers the handler changed in the frame
	// are loaded, the others are as they were.
	want := in
	for j := 0; j < 16; j++ {
		want[2][j] = ^want[2][j]
		if wide {
			want[1][16+j] = ^want[1][16+j]
		}
	}
	n := 16
	if wide {
		n = 32
	}
	for i := range in {
		if !bytes.Equal(out[i][:n], want[i][:n]) {
			fail("after rt_sigreturn register %d is %x, want %x", i, out[i][:n], want[i][:n])
		}
	}
	if gotMXCSR != mxcsr {
		fail("after rt_sigreturn MXCSR %#x, want %#x", gotMXCSR, mxcsr)
	}

	// A frame whose XSAVE markers the handler cleared is restored as the
	// legacy FXSAVE region: X registers from the frame, the upper halves
	// of the Y registers initial (zero).
	if wide && xstate {
		clearMagic = true
		faultY(&in, &out, mxcsr, &gotMXCSR)
		clearMagic = false
		for i := range in {
			var zero [16]byte
			if !bytes.Equal(out[i][:16], want[i][:16]) || !bytes.Equal(out[i][16:], zero[:]) {
				fail("after rt_sigreturn of a legacy frame Y%d is %x, want %x and a zero upper half", i, out[i][:], want[i][:16])
			}
		}
	}

	// A signal delivered on the way out of a system call: the frame holds
	// the thread's MXCSR.
	savedSig = 0
	tgkillMXCSR(syscall.Getpid(), syscall.Gettid(), int(syscall.SIGUSR2), mxcsr, &gotMXCSR)
	if savedSig != uint64(syscall.SIGUSR2) {
		fail("SIGUSR2 handler did not run")
	} else {
		if m := le.Uint32(savedFP[mxcsrOff:]); m != mxcsr {
			fail("SIGUSR2 frame MXCSR %#x, want %#x", m, mxcsr)
		}
		if gotMXCSR != mxcsr {
			fail("after SIGUSR2 MXCSR %#x, want %#x", gotMXCSR, mxcsr)
		}
	}
	if ok {
		fmt.Println("sigframe ok")
	}
	return ok
}
