#include "go_asm.h"
#include "textflag.h"

// Thin wrappers around privileged instructions, declared in arch.go. Each
// is a leaf, allocates nothing and touches no Go state.

TEXT ·Outb(SB),NOSPLIT,$0-3
	MOVW	port+0(FP), DX
	MOVB	val+2(FP), AX
	OUTB
	RET

TEXT ·Inb(SB),NOSPLIT,$0-9
	MOVW	port+0(FP), DX
	INB
	MOVB	AX, ret+8(FP)
	RET

TEXT ·Outl(SB),NOSPLIT,$0-8
	MOVW	port+0(FP), DX
	MOVL	val+4(FP), AX
	OUTL
	RET

TEXT ·Rdmsr(SB),NOSPLIT,$0-16
	MOVL	msr+0(FP), CX
	RDMSR
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, ret+8(FP)
	RET

TEXT ·Wrmsr(SB),NOSPLIT,$0-16
	MOVL	msr+0(FP), CX
	MOVQ	val+8(FP), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	WRMSR
	RET

TEXT ·CPUID(SB),NOSPLIT,$0-24
	MOVL	leaf+0(FP), AX
	MOVL	sub+4(FP), CX
	CPUID
	MOVL	AX, a+8(FP)
	MOVL	BX, b+12(FP)
	MOVL	CX, c+16(FP)
	MOVL	DX, d+20(FP)
	RET

TEXT ·ReadCR2(SB),NOSPLIT,$0-8
	MOVQ	CR2, AX
	MOVQ	AX, ret+0(FP)
	RET

TEXT ·ReadCR3(SB),NOSPLIT,$0-8
	MOVQ	CR3, AX
	MOVQ	AX, ret+0(FP)
	RET

TEXT ·WriteCR3(SB),NOSPLIT,$0-8
	MOVQ	v+0(FP), AX
	MOVQ	AX, CR3
	RET

TEXT ·WriteProtect(SB),NOSPLIT,$0-1
	MOVQ	CR0, AX
	ANDQ	$~0x10000, AX // WP is bit 16
	MOVBQZX	on+0(FP), CX
	SHLQ	$16, CX
	ORQ	CX, AX
	MOVQ	AX, CR0
	RET

TEXT ·Invlpg(SB),NOSPLIT,$0-8
	MOVQ	addr+0(FP), AX
	INVLPG	(AX)
	RET

TEXT ·LoadCPU(SB),NOSPLIT,$0-8
	MOVQ	s+0(FP), BX
	LGDT	CPUSetup_GDTLimit(BX)
	MOVL	$0x10, AX
	BYTE $0x8E; BYTE $0xD8 // mov ds, eax
	BYTE $0x8E; BYTE $0xC0 // mov es, eax
	// CS and SS at once by an IRETQ to the instruction after it (a MOV
	// to SS ends a translated block under TCG, and so does the one
	// instruction after it). The frame is pushed as bytes: the
	// assembler refuses pushes a function does not pop itself, and the
	// LEA's displacement (3) spans the last push and the IRETQ.
	MOVQ	SP, CX
	BYTE $0x6A; BYTE $0x10                      // push 0x10 (SS)
	BYTE $0x51                                  // push rcx (RSP)
	BYTE $0x9C                                  // pushfq
	BYTE $0x6A; BYTE $0x08                      // push 0x08 (CS)
	BYTE $0x48; BYTE $0x8D; BYTE $0x05; LONG $3 // lea rax, [rip+3]
	BYTE $0x50                                  // push rax (RIP)
	BYTE $0x48; BYTE $0xCF                      // iretq
	MOVQ	CPUSetup_TR(BX), AX
	LTR	AX
	LIDT	CPUSetup_IDTLimit(BX)
	LEAQ	CPUSetup_MSRs(BX), SI
	MOVQ	$const_CPUSetupMSRs, DI
msr:
	MOVL	MSRWrite_Index(SI), CX
	MOVQ	MSRWrite_Value(SI), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	WRMSR
	ADDQ	$MSRWrite__size, SI
	DECQ	DI
	JNZ	msr
	RET

TEXT ·Hlt(SB),NOSPLIT,$0-0
	HLT
	RET

TEXT ·Breakpoint(SB),NOSPLIT,$0-0
	BYTE	$0xCC // int3
	RET

TEXT ·TestInterrupt(SB),NOSPLIT,$0-0
	BYTE	$0xCD; BYTE $0xEE // int 0xee
	RET

TEXT ·TestNMI(SB),NOSPLIT,$0-0
	BYTE	$0xCD; BYTE $0x02 // int 2
	RET

TEXT ·Pause(SB),NOSPLIT,$0-0
	PAUSE
	RET

TEXT ·MXCSRMask(SB),NOSPLIT,$0-12
	MOVQ	p+0(FP), AX
	FXSAVE64 (AX)
	MOVL	28(AX), CX // MXCSR_MASK
	MOVL	$0xFFBF, DX
	TESTL	CX, CX
	CMOVLEQ	DX, CX
	MOVL	CX, ret+8(FP)
	RET

// Rdrand returns a hardware random number and whether the CPU delivered one.
TEXT ·Rdrand(SB),NOSPLIT,$0-9
	MOVL	$10, CX
retry:
	RDRANDQ	AX
	JCS	ok
	DECL	CX
	JNZ	retry
	MOVB	$0, ok+8(FP)
	RET
ok:
	MOVQ	AX, v+0(FP)
	MOVB	$1, ok+8(FP)
	RET

// FramePointer returns the caller's frame pointer (BP), for stack dumps.
TEXT ·FramePointer(SB),NOSPLIT,$0-8
	MOVQ	BP, AX
	MOVQ	AX, ret+0(FP)
	RET

// Mfence orders every earlier load and store before every later one, and
// (LFENCE) before later instructions such as WRMSR, which is not
// serializing for the x2APIC and TSC-deadline MSRs.
TEXT ·Mfence(SB),NOSPLIT,$0-0
	MFENCE
	LFENCE
	RET

// func CoreID() int64: mov rax, gs:[72] (bootabi.CPUIDOffset).
TEXT ·CoreID(SB),NOSPLIT|NOFRAME,$0-8
	BYTE $0x65; BYTE $0x48; BYTE $0x8B; BYTE $0x04; BYTE $0x25; LONG $72
	MOVQ	AX, ret+0(FP)
	RET
