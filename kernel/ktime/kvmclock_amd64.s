#include "textflag.h"

// func pvclockRead(pv uintptr) (ns uint64, flags uint8)
//
// Layout of pvclock_vcpu_time_info: version 0, tsc_timestamp 8,
// system_time 16, tsc_to_system_mul 24, tsc_shift 28, flags 29. The host
// makes version odd while it updates the rest; LFENCE keeps RDTSC after
// the loads before it.
TEXT ·pvclockRead(SB),NOSPLIT,$0-17
	MOVQ	pv+0(FP), R9
retry:
	MOVL	0(R9), R11
	TESTL	$1, R11
	JNZ	busy
	LFENCE
	RDTSC
	SHLQ	$32, DX
	ORQ	DX, AX
	SUBQ	8(R9), AX
	MOVBQSX	28(R9), CX
	TESTQ	CX, CX
	JS	right
	SHLQ	CX, AX
	JMP	scale
right:
	NEGQ	CX
	SHRQ	CX, AX
scale:
	MOVL	24(R9), CX
	MULQ	CX
	SHRQ	$32, DX, AX
	ADDQ	16(R9), AX
	MOVBLZX	29(R9), CX
	CMPL	0(R9), R11
	JNE	retry
	MOVQ	AX, ns+8(FP)
	MOVB	CX, flags+16(FP)
	RET
busy:
	PAUSE
	JMP	retry
