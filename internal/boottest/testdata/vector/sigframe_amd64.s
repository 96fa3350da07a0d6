#include "textflag.h"

// sigHandler is a raw signal handler (C ABI: DI = signal, SI = siginfo,
// DX = ucontext). It copies the ucontext and the fpstate to savedUC and
// savedFP; for SIGILL it steps over the UD2 and inverts X2 and the upper
// half of Y1 (if the frame is in XSAVE format) in the frame, then clobbers
// X1 and X2 itself.
TEXT ·sigHandler(SB),NOSPLIT|NOFRAME,$0
	MOVQ	DI, ·savedSig(SB)
	MOVQ	DX, R8
	MOVQ	DX, SI
	LEAQ	·savedUC(SB), DI
	MOVQ	$128, CX
	CLD
	REP;	MOVSQ
	MOVQ	224(R8), R9 // uc_mcontext.fpstate
	MOVQ	R9, ·savedFPAddr(SB)
	MOVQ	$512, CX
	TESTQ	$1, 0(R8)   // UC_FP_XSTATE
	JZ	copyfp
	MOVL	480(R9), CX // sw_reserved.xstate_size
	ADDQ	$4, CX
	CMPQ	CX, $4096
	JLE	copyfp
	MOVQ	$4096, CX
copyfp:
	MOVQ	CX, ·savedFPLen(SB)
	MOVQ	R9, SI
	LEAQ	·savedFP(SB), DI
	REP;	MOVSB
	CMPQ	·savedSig(SB), $4 // SIGILL
	JNE	done
	ADDQ	$2, 168(R8) // uc_mcontext.rip: skip UD2
	NOTQ	192(R9)     // X2
	NOTQ	200(R9)
	TESTQ	$1, 0(R8)
	JZ	clobber
	NOTQ	592(R9)     // upper half of Y1
	NOTQ	600(R9)
	CMPB	·clearMagic(SB), $0
	JEQ	clobber
	MOVL	$0, 464(R9) // sw_reserved.magic1: a legacy-format frame
clobber:
	PXOR	X1, X1
	PXOR	X2, X2
done:
	RET

// sigRestorer is sa_restorer: rt_sigreturn.
TEXT ·sigRestorer(SB),NOSPLIT|NOFRAME,$0
	MOVQ	$15, AX
	SYSCALL
	INT	$3

TEXT ·sigHandlerAddr(SB),NOSPLIT,$0-8
	LEAQ	·sigHandler(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

TEXT ·sigRestorerAddr(SB),NOSPLIT,$0-8
	LEAQ	·sigRestorer(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func faultY(in, out *[16][32]byte, mxcsr uint32, gotMXCSR *uint32)
// loads Y0-Y15 and MXCSR, executes UD2 (the SIGILL handler steps over
// it), and stores what the registers hold afterwards.
TEXT ·faultY(SB),NOSPLIT,$8-32
	STMXCSR	0(SP)
	MOVQ	in+0(FP), SI
	MOVQ	out+8(FP), DI
	VMOVDQU	0(SI), Y0
	VMOVDQU	32(SI), Y1
	VMOVDQU	64(SI), Y2
	VMOVDQU	96(SI), Y3
	VMOVDQU	128(SI), Y4
	VMOVDQU	160(SI), Y5
	VMOVDQU	192(SI), Y6
	VMOVDQU	224(SI), Y7
	VMOVDQU	256(SI), Y8
	VMOVDQU	288(SI), Y9
	VMOVDQU	320(SI), Y10
	VMOVDQU	352(SI), Y11
	VMOVDQU	384(SI), Y12
	VMOVDQU	416(SI), Y13
	VMOVDQU	448(SI), Y14
	VMOVDQU	480(SI), Y15
	LDMXCSR	mxcsr+16(FP)
	BYTE $0x0F; BYTE $0x0B // ud2
	VMOVDQU	Y0, 0(DI)
	VMOVDQU	Y1, 32(DI)
	VMOVDQU	Y2, 64(DI)
	VMOVDQU	Y3, 96(DI)
	VMOVDQU	Y4, 128(DI)
	VMOVDQU	Y5, 160(DI)
	VMOVDQU	Y6, 192(DI)
	VMOVDQU	Y7, 224(DI)
	VMOVDQU	Y8, 256(DI)
	VMOVDQU	Y9, 288(DI)
	VMOVDQU	Y10, 320(DI)
	VMOVDQU	Y11, 352(DI)
	VMOVDQU	Y12, 384(DI)
	VMOVDQU	Y13, 416(DI)
	VMOVDQU	Y14, 448(DI)
	VMOVDQU	Y15, 480(DI)
	MOVQ	gotMXCSR+24(FP), DI
	STMXCSR	(DI)
	LDMXCSR	0(SP)
	VPXOR	X15, X15, X15
	VZEROUPPER
	RET

// func faultX(in, out *[16][32]byte, mxcsr uint32, gotMXCSR *uint32)
// is faultY with X0-X15.
TEXT ·faultX(SB),NOSPLIT,$8-32
	STMXCSR	0(SP)
	MOVQ	in+0(FP), SI
	MOVQ	out+8(FP), DI
	MOVOU	0(SI), X0
	MOVOU	32(SI), X1
	MOVOU	64(SI), X2
	MOVOU	96(SI), X3
	MOVOU	128(SI), X4
	MOVOU	160(SI), X5
	MOVOU	192(SI), X6
	MOVOU	224(SI), X7
	MOVOU	256(SI), X8
	MOVOU	288(SI), X9
	MOVOU	320(SI), X10
	MOVOU	352(SI), X11
	MOVOU	384(SI), X12
	MOVOU	416(SI), X13
	MOVOU	448(SI), X14
	MOVOU	480(SI), X15
	LDMXCSR	mxcsr+16(FP)
	BYTE $0x0F; BYTE $0x0B // ud2
	MOVOU	X0, 0(DI)
	MOVOU	X1, 32(DI)
	MOVOU	X2, 64(DI)
	MOVOU	X3, 96(DI)
	MOVOU	X4, 128(DI)
	MOVOU	X5, 160(DI)
	MOVOU	X6, 192(DI)
	MOVOU	X7, 224(DI)
	MOVOU	X8, 256(DI)
	MOVOU	X9, 288(DI)
	MOVOU	X10, 320(DI)
	MOVOU	X11, 352(DI)
	MOVOU	X12, 384(DI)
	MOVOU	X13, 416(DI)
	MOVOU	X14, 448(DI)
	MOVOU	X15, 480(DI)
	MOVQ	gotMXCSR+24(FP), DI
	STMXCSR	(DI)
	LDMXCSR	0(SP)
	PXOR	X15, X15
	RET

// func tgkillMXCSR(pid, tid, sig int, mxcsr uint32, gotMXCSR *uint32)
// sets MXCSR, sends sig to the thread itself with tgkill (so it is
// delivered on the way out of that system call), and stores MXCSR after.
TEXT ·tgkillMXCSR(SB),NOSPLIT,$8-40
	STMXCSR	0(SP)
	LDMXCSR	mxcsr+24(FP)
	MOVQ	pid+0(FP), DI
	MOVQ	tid+8(FP), SI
	MOVQ	sig+16(FP), DX
	MOVQ	$234, AX // tgkill
	SYSCALL
	MOVQ	gotMXCSR+32(FP), DI
	STMXCSR	(DI)
	LDMXCSR	0(SP)
	RET
