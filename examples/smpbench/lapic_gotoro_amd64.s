//go:build gotoro

#include "textflag.h"

// func xapicID() uint32
TEXT ·xapicID(SB),NOSPLIT,$0-4
	MOVL	$0xFEE00020, BX
	MOVL	(BX), AX
	SHRL	$24, AX
	MOVL	AX, ret+0(FP)
	RET

// func rdmsr(msr uint32) uint64
TEXT ·rdmsr(SB),NOSPLIT,$0-16
	MOVL	msr+0(FP), CX
	RDMSR
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, ret+8(FP)
	RET

// func cpuidAPICID() uint32
TEXT ·cpuidAPICID(SB),NOSPLIT,$0-4
	MOVL	$1, AX
	XORL	CX, CX
	CPUID
	SHRL	$24, BX
	MOVL	BX, ret+0(FP)
	RET
