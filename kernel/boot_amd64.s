#include "textflag.h"

// Leaves the kernel's boot runs once, in assembly because QEMU's TCG
// translates each of them as one or two blocks where the Go versions
// (a call per port write, a loop and its test) take several.

// consoleInit (console.go): COM1's registers written in one block.
// Offsets from com1 (0x3f8): 1 interrupt enable (0 while the divisor
// latch is off, the divisor's high byte while on), 3 line control, 0 the
// divisor's low byte while the latch is on, 2 FIFO control.
TEXT ·consoleInit(SB),NOSPLIT,$0-0
	MOVW	$0x3f9, DX
	MOVB	$0x00, AX
	OUTB			// no interrupts
	MOVW	$0x3fb, DX
	MOVB	$0x80, AX
	OUTB			// DLAB: the divisor latch on
	MOVW	$0x3f8, DX
	MOVB	$0x01, AX
	OUTB			// divisor 1: 115200 baud
	MOVW	$0x3f9, DX
	MOVB	$0x00, AX
	OUTB			// the divisor's high byte
	MOVW	$0x3fb, DX
	MOVB	$0x03, AX
	OUTB			// 8N1, the latch off
	MOVW	$0x3fa, DX
	MOVB	$0xC7, AX
	OUTB			// FIFO on, cleared, 14-byte trigger
	RET

// cString returns the NUL-terminated string at p ("" for p == 0) without
// copying it (kmain: the command line).
TEXT ·cString(SB),NOSPLIT,$0-24
	MOVQ	p+0(FP), DI
	MOVQ	DI, ret_base+8(FP)
	XORL	CX, CX
	TESTQ	DI, DI
	JZ	done
	XORL	AX, AX
	MOVQ	$-1, CX
	CLD
	REPN;	SCASB
	NOTQ	CX
	DECQ	CX	// the bytes before the NUL
done:
	MOVQ	CX, ret_len+16(FP)
	RET
