#include "textflag.h"

// func tripleFault()
TEXT ·tripleFault(SB),NOSPLIT,$16-0
	MOVQ	$0, 0(SP)
	MOVQ	$0, 8(SP)
	BYTE $0x0F; BYTE $0x01; BYTE $0x1C; BYTE $0x24 // lidt (sp): limit 0, base 0
	BYTE $0x0F; BYTE $0x0B                         // ud2
	RET
