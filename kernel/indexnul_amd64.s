#include "textflag.h"

// indexNUL returns the index of the first NUL byte among the n bytes at p,
// or -1 if there is none (resolve.go, userPath). One REPNE SCASB: under
// TCG a single instruction to translate, however far the NUL is.
TEXT ·indexNUL(SB),NOSPLIT,$0-24
	MOVQ	p+0(FP), DI
	MOVQ	n+8(FP), CX
	MOVQ	$-1, ret+16(FP)
	TESTQ	CX, CX
	JZ	done
	MOVQ	DI, DX
	XORL	AX, AX
	CLD
	REPN;	SCASB
	JNE	done	// ZF clear: the n bytes hold no NUL
	SUBQ	DX, DI
	DECQ	DI	// SCASB stepped past the NUL
	MOVQ	DI, ret+16(FP)
done:
	RET
