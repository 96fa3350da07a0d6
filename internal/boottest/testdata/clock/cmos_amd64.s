#include "textflag.h"

// func cmos(r byte) byte
TEXT ·cmos(SB),NOSPLIT,$0-9
	MOVB	r+0(FP), AX
	OUTB	$0x70
	INB	$0x71
	MOVB	AX, ret+8(FP)
	RET
