#include "textflag.h"

// Saving and restoring FPU/vector state in the mode fpuSetup chose
// (fpu.go): FXSAVE64, XSAVE64 or XSAVEOPT64, and FXRSTOR64 or XRSTOR64.
// The XSAVE family takes the requested-feature bitmap in EDX:EAX; all ones
// means every component XCR0 enables.

// Offsets in fpu (fpu.go; checked by TestLayouts).
#define FPU_MODE 0
#define FPU_AVX  1

// fpuSaveDI saves the state to the 64-byte aligned area at DI. It is called
// from the entry paths with the registers already saved, and clobbers AX
// and DX only.
TEXT ·fpuSaveDI(SB),NOSPLIT|NOFRAME,$0
	CMPB	·fpu+FPU_MODE(SB), $2
	JEQ	xsaveopt
	CMPB	·fpu+FPU_MODE(SB), $1
	JEQ	xsave
	FXSAVE64 (DI)
	RET
xsaveopt:
	MOVL	$-1, AX
	MOVL	$-1, DX
	XSAVEOPT64 (DI)
	RET
xsave:
	MOVL	$-1, AX
	MOVL	$-1, DX
	XSAVE64	(DI)
	RET

// fpuRestoreDI loads the state from the area at DI; clobbers AX and DX.
TEXT ·fpuRestoreDI(SB),NOSPLIT|NOFRAME,$0
	CMPB	·fpu+FPU_MODE(SB), $0
	JNE	xrstor
	FXRSTOR64 (DI)
	RET
xrstor:
	MOVL	$-1, AX
	MOVL	$-1, DX
	XRSTOR64 (DI)
	RET

// fpuCleanUpper zeroes the upper halves of the vector registers when AVX is
// on (VZEROUPPER). The system-call return path, which restores no vector
// state, calls it: the registers may hold another thread's AVX state, and
// dirty upper halves slow down the SSE code Go compiles to. Clobbers no
// general register.
TEXT ·fpuCleanUpper(SB),NOSPLIT|NOFRAME,$0
	CMPB	·fpu+FPU_AVX(SB), $0
	JEQ	noavx
	VZEROUPPER
noavx:
	RET

// func fpuSave(p uintptr)
TEXT ·fpuSave(SB),NOSPLIT,$0-8
	MOVQ	p+0(FP), DI
	CALL	·fpuSaveDI(SB)
	RET

// func fpuRestore(p uintptr)
TEXT ·fpuRestore(SB),NOSPLIT,$0-8
	MOVQ	p+0(FP), DI
	CALL	·fpuRestoreDI(SB)
	RET
