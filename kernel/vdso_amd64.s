#include "textflag.h"

// Offsets into the clock struct (time.go; checked by TestLayouts).
#define CLOCK_TSC0  0
#define CLOCK_MULT  16
#define CLOCK_EPOCH 24

// vdsoClockGettime is the guest's __vdso_clock_gettime: C calling
// convention (DI = clock id, SI = *timespec), called by the Go runtime
// without a system call. It uses only caller-saved registers and no stack.
// Clocks other than the real-time and monotonic ones take the system call.
TEXT ·vdsoClockGettime(SB),NOSPLIT|NOFRAME,$0
	CMPL	DI, $0 // CLOCK_REALTIME
	JEQ	realtime
	CMPL	DI, $5 // CLOCK_REALTIME_COARSE
	JEQ	realtime
	CMPL	DI, $1 // CLOCK_MONOTONIC
	JEQ	monotonic
	CMPL	DI, $4 // CLOCK_MONOTONIC_RAW
	JEQ	monotonic
	CMPL	DI, $6 // CLOCK_MONOTONIC_COARSE
	JEQ	monotonic
	CMPL	DI, $7 // CLOCK_BOOTTIME
	JEQ	monotonic
	MOVL	$228, AX // SYS_clock_gettime
	SYSCALL
	RET
monotonic:
	XORL	R8, R8
	JMP	now
realtime:
	MOVQ	·clock+CLOCK_EPOCH(SB), R8
now:
	RDTSC
	SHLQ	$32, DX
	ORQ	DX, AX
	SUBQ	·clock+CLOCK_TSC0(SB), AX
	MOVQ	·clock+CLOCK_MULT(SB), CX
	MULQ	CX            // DX:AX = delta * mult
	SHRQ	$32, DX, AX   // AX = (DX:AX) >> 32
	ADDQ	R8, AX
	XORL	DX, DX
	MOVQ	$1000000000, CX
	DIVQ	CX            // AX = seconds, DX = nanoseconds
	MOVQ	AX, 0(SI)
	MOVQ	DX, 8(SI)
	XORL	AX, AX
	RET

// vdsoClockGettimeAddr returns the address of vdsoClockGettime.
TEXT ·vdsoClockGettimeAddr(SB),NOSPLIT,$0-8
	LEAQ	·vdsoClockGettime(SB), AX
	MOVQ	AX, ret+0(FP)
	RET
