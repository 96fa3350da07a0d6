#include "textflag.h"

// Debug-register access for boot tracing (boottrace.go). Leaves; they
// allocate nothing and touch no Go state.

TEXT ·readDR6(SB),NOSPLIT,$0-8
	MOVQ	DR6, AX
	MOVQ	AX, ret+0(FP)
	RET

TEXT ·writeDR6(SB),NOSPLIT,$0-8
	MOVQ	v+0(FP), AX
	MOVQ	AX, DR6
	RET

TEXT ·readDR7(SB),NOSPLIT,$0-8
	MOVQ	DR7, AX
	MOVQ	AX, ret+0(FP)
	RET

TEXT ·writeDR7(SB),NOSPLIT,$0-8
	MOVQ	v+0(FP), AX
	MOVQ	AX, DR7
	RET

TEXT ·writeDR0(SB),NOSPLIT,$0-8
	MOVQ	v+0(FP), AX
	MOVQ	AX, DR0
	RET

// Go's assembler does not encode moves to DR1 (Go 1.26), so the second
// breakpoint is DR2.
TEXT ·writeDR2(SB),NOSPLIT,$0-8
	MOVQ	v+0(FP), AX
	MOVQ	AX, DR2
	RET
