#include "textflag.h"

// CR4 and the extended control registers (XCR0), declared in arch.go.

// func ReadCR4() uint64
TEXT ·ReadCR4(SB),NOSPLIT,$0-8
	MOVQ	CR4, AX
	MOVQ	AX, ret+0(FP)
	RET

// func WriteCR4(v uint64)
TEXT ·WriteCR4(SB),NOSPLIT,$0-8
	MOVQ	v+0(FP), AX
	MOVQ	AX, CR4
	RET

// func Xsetbv(reg uint32, v uint64)
TEXT ·Xsetbv(SB),NOSPLIT,$0-16
	MOVL	reg+0(FP), CX
	MOVQ	v+8(FP), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	XSETBV
	RET

// func Xgetbv(reg uint32) uint64
TEXT ·Xgetbv(SB),NOSPLIT,$0-16
	MOVL	reg+0(FP), CX
	XGETBV
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, ret+8(FP)
	RET

// func EnableXSAVE(xcr0 uint64) bool
TEXT ·EnableXSAVE(SB),NOSPLIT,$0-9
	MOVQ	CR4, AX
	ORQ	$(1<<18), AX // OSXSAVE
	MOVQ	AX, CR4
	MOVQ	xcr0+0(FP), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	XORL	CX, CX
	XSETBV
	XORL	AX, AX
	XORL	CX, CX
	CPUID // a VM exit: a hypervisor that does not keep XCR0 loads its own
	XORL	CX, CX
	XGETBV
	SHLQ	$32, DX
	ORQ	DX, AX
	CMPQ	AX, xcr0+0(FP)
	SETEQ	ret+8(FP)
	RET
