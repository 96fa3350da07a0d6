#include "textflag.h"

// Offsets into the clock struct (clock.go; checked by TestClockLayout).
#define CLOCK_TSC0      0
#define CLOCK_MULT      16
#define CLOCK_EPOCH     24
#define CLOCK_KVM       32
#define CLOCK_KVM0      40
#define CLOCK_LAST      48
#define CLOCK_KVMSTABLE 56

// The core number, GS:72 (bootabi.CPUIDOffset): mov r10, gs:[72].
#define GS_LOAD_ID_R10 BYTE $0x65; BYTE $0x4C; BYTE $0x8B; BYTE $0x14; BYTE $0x25; LONG $72
#define GS_LOAD_ID_R11 BYTE $0x65; BYTE $0x4C; BYTE $0x8B; BYTE $0x1C; BYTE $0x25; LONG $72

// vdsoClockGettime is the guest's __vdso_clock_gettime: C calling
// convention (DI = clock id, SI = *timespec), called by the Go runtime
// without a system call. It uses only caller-saved registers and no stack.
// Clocks other than the real-time and monotonic ones take the system call.
//
// With the TSC as the clock: ns = (TSC - tsc0) * mult >> 32. With kvmclock
// (clock.go, kvmclock.go): the running core's pvclock time information,
// read under its version; the core number is read again at the end, and a
// thread that moved to another core meanwhile reads again. Unless the host
// marks the reading stable, the latest reading any core handed out
// (clock.last) bounds it from below, as in kvmclockNow.
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
	MOVQ	·clock+CLOCK_KVM(SB), R9
	TESTQ	R9, R9
	JNZ	kvm
	RDTSC
	SHLQ	$32, DX
	ORQ	DX, AX
	SUBQ	·clock+CLOCK_TSC0(SB), AX
	MOVQ	·clock+CLOCK_MULT(SB), CX
	MULQ	CX            // DX:AX = delta * mult
	SHRQ	$32, DX, AX   // AX = (DX:AX) >> 32
	JMP	done
kvm:
	GS_LOAD_ID_R10
	MOVQ	R10, DI
	SHLQ	$6, DI        // pvclockSlot = 64 bytes per core
	ADDQ	R9, DI        // DI = this core's time information
	MOVL	0(DI), R11    // version
	TESTL	$1, R11
	JNZ	busy
	LFENCE
	RDTSC
	SHLQ	$32, DX
	ORQ	DX, AX
	SUBQ	8(DI), AX     // tsc - tsc_timestamp
	MOVBQSX	28(DI), CX    // tsc_shift
	TESTQ	CX, CX
	JS	right
	SHLQ	CX, AX
	JMP	scale
right:
	NEGQ	CX
	SHRQ	CX, AX
scale:
	MOVL	24(DI), CX    // tsc_to_system_mul
	MULQ	CX
	SHRQ	$32, DX, AX
	ADDQ	16(DI), AX    // + system_time
	MOVBLZX	29(DI), CX    // flags
	CMPL	0(DI), R11
	JNE	kvm
	GS_LOAD_ID_R11
	CMPQ	R11, R10
	JNE	kvm
	ANDQ	·clock+CLOCK_KVMSTABLE(SB), CX
	JNZ	kvmdone
	// Monotonic across cores: take the larger of this reading (DX) and
	// clock.last (AX, as CMPXCHG wants), raising clock.last to it.
	MOVQ	AX, DX
	MOVQ	·clock+CLOCK_LAST(SB), AX
guard:
	CMPQ	DX, AX
	JLS	kvmdone       // unsigned DX <= AX: hand out clock.last
	LOCK
	CMPXCHGQ	DX, ·clock+CLOCK_LAST(SB)
	JNE	guard         // AX = the newer clock.last
	MOVQ	DX, AX
kvmdone:
	SUBQ	·clock+CLOCK_KVM0(SB), AX
done:
	ADDQ	R8, AX
	XORL	DX, DX
	MOVQ	$1000000000, CX
	DIVQ	CX            // AX = seconds, DX = nanoseconds
	MOVQ	AX, 0(SI)
	MOVQ	DX, 8(SI)
	XORL	AX, AX
	RET
busy:
	PAUSE
	JMP	kvm

// vdsoClockGettimeAddr returns the address of vdsoClockGettime.
TEXT ·vdsoClockGettimeAddr(SB),NOSPLIT,$0-8
	LEAQ	·vdsoClockGettime(SB), AX
	MOVQ	AX, ret+0(FP)
	RET
