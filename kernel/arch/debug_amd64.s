#include "textflag.h"

// Debug-register access (declared in arch.go; boot tracing uses it).
// Leaves; they allocate nothing and touch no Go state.

TEXT ·ReadDR6(SB),NOSPLIT,$0-8
	MOVQ	DR6, AX
	MOVQ	AX, ret+0(FP)
	RET

TEXT ·WriteDR6(SB),NOSPLIT,$0-8
	MOVQ	v+0(FP), AX
	MOVQ	AX, DR6
	RET

// ClearDebug disables the four breakpoints (DR7), then clears their
// status (DR6): one function, where WriteDR7(0) and WriteDR6(0) are a
// call and a return each.
TEXT ·ClearDebug(SB),NOSPLIT,$0-0
	XORL	AX, AX
	MOVQ	AX, DR7
	MOVQ	AX, DR6
	RET

TEXT ·ReadDR7(SB),NOSPLIT,$0-8
	MOVQ	DR7, AX
	MOVQ	AX, ret+0(FP)
	RET

TEXT ·WriteDR7(SB),NOSPLIT,$0-8
	MOVQ	v+0(FP), AX
	MOVQ	AX, DR7
	RET

TEXT ·WriteDR0(SB),NOSPLIT,$0-8
	MOVQ	v+0(FP), AX
	MOVQ	AX, DR0
	RET

// Go's assembler does not encode moves to DR1 (Go 1.26), so the second
// breakpoint is DR2.
TEXT ·WriteDR2(SB),NOSPLIT,$0-8
	MOVQ	v+0(FP), AX
	MOVQ	AX, DR2
	RET
