#include "textflag.h"

// Kernel entry and exit: system calls, interrupts, exceptions, thread switch.
//
// Every entry from Go code ("user" context, even though it runs in ring 0)
// ends up on the current thread's kernel stack with a trapFrame (trap.go) on
// top, the thread's FPU/vector state saved (fpu_amd64.s), and the TLS g
// slot (FS:-8) pointing at the thread's kernelG so that ordinary Go code
// can run. Interrupts that arrive while kernel code runs (only possible in
// the idle halt, or a fault in the kernel itself) are handled on the
// interrupt stacks with their own kernelG and return to where they came
// from.
//
// Offsets into the per-CPU struct (percpu.go), reached through GS.
#define CPU_SCRATCH  8
#define CPU_SCRATCH2 16
#define CPU_KSTACK   24
#define CPU_KG       32
#define CPU_FX       40
#define CPU_KDEPTH   48
#define CPU_ISTKG    56
#define CPU_ISTFX    64

// Offset of trapFrame.vector (trap.go).
#define FRAME_VECTOR 128

// GS-relative moves, hand-encoded (the Go assembler has no GS override).
#define GS_STORE_SP(off) BYTE $0x65; BYTE $0x48; BYTE $0x89; BYTE $0x24; BYTE $0x25; LONG $off
#define GS_LOAD_SP(off)  BYTE $0x65; BYTE $0x48; BYTE $0x8B; BYTE $0x24; BYTE $0x25; LONG $off
#define GS_PUSH(off)     BYTE $0x65; BYTE $0xFF; BYTE $0x34; BYTE $0x25; LONG $off
#define GS_LOAD_AX(off)  BYTE $0x65; BYTE $0x48; BYTE $0x8B; BYTE $0x04; BYTE $0x25; LONG $off
#define GS_STORE_AX(off) BYTE $0x65; BYTE $0x48; BYTE $0x89; BYTE $0x04; BYTE $0x25; LONG $off
#define GS_LOAD_BX(off)  BYTE $0x65; BYTE $0x48; BYTE $0x8B; BYTE $0x1C; BYTE $0x25; LONG $off
#define GS_STORE_BX(off) BYTE $0x65; BYTE $0x48; BYTE $0x89; BYTE $0x1C; BYTE $0x25; LONG $off
#define GS_CMP0(off)     BYTE $0x65; BYTE $0x48; BYTE $0x83; BYTE $0x3C; BYTE $0x25; LONG $off; BYTE $0x00
#define GS_SETQ(off, v)  BYTE $0x65; BYTE $0x48; BYTE $0xC7; BYTE $0x04; BYTE $0x25; LONG $off; LONG $v

#define PUSH_GPRS \
	PUSHQ AX; PUSHQ BX; PUSHQ CX; PUSHQ DX; PUSHQ SI; PUSHQ DI; PUSHQ BP; \
	PUSHQ R8; PUSHQ R9; PUSHQ R10; PUSHQ R11; PUSHQ R12; PUSHQ R13; PUSHQ R14; PUSHQ R15

// LOAD_KERNEL_SS loads the kernel's data selector (0x10, as syscallEntry's
// frame and LOAD_SEGMENTS in entry_amd64.s) into SS; it clobbers AX.
#define LOAD_KERNEL_SS \
	MOVL	$0x10, AX; \
	BYTE $0x8E; BYTE $0xD0

#define POP_GPRS_BUT_AX \
	POPQ R15; POPQ R14; POPQ R13; POPQ R12; POPQ R11; POPQ R10; POPQ R9; POPQ R8; \
	POPQ BP; POPQ DI; POPQ SI; POPQ DX; POPQ CX; POPQ BX

// syscallEntry is the target of SYSCALL (MSR_LSTAR). SYSCALL left the return
// address in CX and the flags in R11 and cleared IF; the stack is still the
// caller's.
TEXT ·syscallEntry(SB),NOSPLIT|NOFRAME,$0
	GS_STORE_SP(CPU_SCRATCH)
	GS_LOAD_SP(CPU_KSTACK)
	PUSHQ	$0x10          // ss
	GS_PUSH(CPU_SCRATCH)   // rsp
	PUSHQ	R11            // rflags
	PUSHQ	$0x08          // cs
	PUSHQ	CX             // rip
	PUSHQ	$0             // error code
	PUSHQ	$256           // vector: system call
	GS_SETQ(CPU_KDEPTH, 1)
	JMP	·trapCommon(SB)

// trapCommon finishes the trapFrame on the kernel stack, enters the kernel
// and calls trap; trapReturn goes back.
TEXT ·trapCommon(SB),NOSPLIT|NOFRAME,$0
	PUSH_GPRS
	MOVQ	(TLS), AX
	PUSHQ	AX             // the thread's own g slot value
	GS_LOAD_AX(CPU_KG)
	MOVQ	AX, (TLS)
	// System calls skip the FPU/vector save: the Go ABI treats every
	// vector register (X, and with AVX the upper halves of Y and Z, and
	// the AVX-512 mask registers) as clobbered across them; X15, which
	// must be zero, is kept zero by kernel code. Interrupts and exceptions
	// save everything.
	GS_LOAD_AX(CPU_FX)
	CMPQ	FRAME_VECTOR(SP), $256
	JEQ	syscallfx
	MOVQ	AX, DI
	CALL	·fpuSaveDI(SB)
	JMP	fxdone
syscallfx:
	// The control registers are the thread's own settings, not scratch
	// state: keep them (FXSAVE layout: FCW at 0, MXCSR at 24).
	BYTE $0x0F; BYTE $0xAE; BYTE $0x58; BYTE $0x18 // stmxcsr 24(ax)
	BYTE $0xD9; BYTE $0x38                         // fnstcw (ax)
fxdone:
	MOVQ	SP, AX
	SUBQ	$8, SP
	MOVQ	AX, 0(SP)
	CALL	·trap(SB)
	ADDQ	$8, SP
	JMP	·trapReturn(SB)

// trapReturn restores the state in the trapFrame at SP and returns to it.
// Interrupts are off; IRETQ restores the caller's flags. The FPU/vector
// state is reloaded unless the frame is a plain system call's (vector 256).
TEXT ·trapReturn(SB),NOSPLIT|NOFRAME,$0
	GS_LOAD_AX(CPU_FX)
	CMPQ	FRAME_VECTOR(SP), $256
	JEQ	syscallfxr
	MOVQ	AX, DI
	CALL	·fpuRestoreDI(SB)
	JMP	fxrdone
syscallfxr:
	BYTE $0x0F; BYTE $0xAE; BYTE $0x50; BYTE $0x18 // ldmxcsr 24(ax)
	BYTE $0xD9; BYTE $0x28                         // fldcw (ax)
	CALL	·fpuCleanUpper(SB)
fxrdone:
	POPQ	AX
	MOVQ	AX, (TLS)
	POP_GPRS_BUT_AX
	GS_SETQ(CPU_KDEPTH, 0)
	POPQ	AX
	ADDQ	$16, SP        // vector, error code
	IRETQ

// intrCommon is reached from the vector stubs on an interrupt stack with
// [vector, error, rip, cs, rflags, rsp, ss] at SP. Delivery through an IST
// loaded SS with the null selector; both paths load the kernel's data
// selector into it (clobbering AX, saved by then), so that kernel code runs
// with the same SS whether a system call, an interrupt or an exception
// entered it. The CPU ignores SS's attributes in 64-bit mode, but QEMU's
// TCG keys its translations by them (HF_SS32): with the null SS every
// kernel function an interrupt or a fault runs was translated a second
// time (about 240 blocks of a hello boot, docs/boot.md). IRETQ restores
// the interrupted SS from the frame.
TEXT ·intrCommon(SB),NOSPLIT|NOFRAME,$0
	GS_CMP0(CPU_KDEPTH)
	JNE	kernelmode
	// From Go code: move the hardware frame to the thread's kernel stack
	// and continue as for a system call.
	GS_STORE_AX(CPU_SCRATCH)
	LOAD_KERNEL_SS
	GS_STORE_BX(CPU_SCRATCH2)
	GS_LOAD_AX(CPU_KSTACK)
	SUBQ	$56, AX
	MOVQ	0(SP), BX
	MOVQ	BX, 0(AX)
	MOVQ	8(SP), BX
	MOVQ	BX, 8(AX)
	MOVQ	16(SP), BX
	MOVQ	BX, 16(AX)
	MOVQ	24(SP), BX
	MOVQ	BX, 24(AX)
	MOVQ	32(SP), BX
	MOVQ	BX, 32(AX)
	MOVQ	40(SP), BX
	MOVQ	BX, 40(AX)
	MOVQ	48(SP), BX
	MOVQ	BX, 48(AX)
	MOVQ	AX, SP
	GS_LOAD_AX(CPU_SCRATCH)
	GS_LOAD_BX(CPU_SCRATCH2)
	GS_SETQ(CPU_KDEPTH, 1)
	JMP	·trapCommon(SB)
kernelmode:
	PUSH_GPRS
	LOAD_KERNEL_SS
	MOVQ	(TLS), AX
	PUSHQ	AX
	GS_LOAD_AX(CPU_ISTKG)
	MOVQ	AX, (TLS)
	GS_LOAD_AX(CPU_ISTFX)
	MOVQ	AX, DI
	CALL	·fpuSaveDI(SB)
	MOVQ	SP, AX
	SUBQ	$8, SP
	MOVQ	AX, 0(SP)
	CALL	·kintr(SB)
	ADDQ	$8, SP
	GS_LOAD_AX(CPU_ISTFX)
	MOVQ	AX, DI
	CALL	·fpuRestoreDI(SB)
	POPQ	AX
	MOVQ	AX, (TLS)
	POP_GPRS_BUT_AX
	POPQ	AX
	ADDQ	$16, SP
	IRETQ

// swtch saves the kernel stack pointer of the running thread in *save and
// resumes the thread whose kernel stack pointer is sp, loading its FS base.
// Go code calling an assembly function assumes every register clobbered, so
// only BP and SP need saving; the ABI wrapper reloads the g register from
// the new thread's TLS on return.
TEXT ·swtch(SB),NOSPLIT,$0-32
	MOVQ	save+0(FP), AX
	MOVQ	sp+8(FP), BX
	MOVQ	fsbase+16(FP), R8
	MOVQ	done+24(FP), R9
	PUSHQ	BP
	MOVQ	SP, (AX)
	MOVQ	BX, SP
	// Off the old stack: another core may now resume that context.
	MOVL	$0, (R9)
	MOVQ	R8, AX
	MOVQ	R8, DX
	SHRQ	$32, DX
	MOVL	$0xC0000100, CX
	WRMSR
	POPQ	BP
	RET

// threadStart is where a new thread's first swtch returns: its kernel stack
// holds only the trapFrame to return to.
TEXT ·threadStart(SB),NOSPLIT|NOFRAME,$0
	JMP	·trapReturn(SB)

// threadStartAddr returns the address of threadStart.
TEXT ·threadStartAddr(SB),NOSPLIT,$0-8
	LEAQ	·threadStart(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// syscallEntryAddr returns the address of syscallEntry.
TEXT ·syscallEntryAddr(SB),NOSPLIT,$0-8
	LEAQ	·syscallEntry(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// vectorsAddr returns the address of the interrupt stubs.
TEXT ·vectorsAddr(SB),NOSPLIT,$0-8
	LEAQ	·vectors(SB), AX
	MOVQ	AX, ret+0(FP)
	RET
