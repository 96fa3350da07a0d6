#include "textflag.h"

// Thin wrappers around privileged instructions. Each is a leaf, allocates
// nothing and touches no Go state.

TEXT ·outb(SB),NOSPLIT,$0-3
	MOVW	port+0(FP), DX
	MOVB	val+2(FP), AX
	OUTB
	RET

TEXT ·inb(SB),NOSPLIT,$0-9
	MOVW	port+0(FP), DX
	INB
	MOVB	AX, ret+8(FP)
	RET

TEXT ·outl(SB),NOSPLIT,$0-8
	MOVW	port+0(FP), DX
	MOVL	val+4(FP), AX
	OUTL
	RET

TEXT ·rdmsr(SB),NOSPLIT,$0-16
	MOVL	msr+0(FP), CX
	RDMSR
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, ret+8(FP)
	RET

TEXT ·wrmsr(SB),NOSPLIT,$0-16
	MOVL	msr+0(FP), CX
	MOVQ	val+8(FP), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	WRMSR
	RET

TEXT ·cpuid(SB),NOSPLIT,$0-24
	MOVL	leaf+0(FP), AX
	MOVL	sub+4(FP), CX
	CPUID
	MOVL	AX, a+8(FP)
	MOVL	BX, b+12(FP)
	MOVL	CX, c+16(FP)
	MOVL	DX, d+20(FP)
	RET

TEXT ·readCR2(SB),NOSPLIT,$0-8
	MOVQ	CR2, AX
	MOVQ	AX, ret+0(FP)
	RET

TEXT ·readCR3(SB),NOSPLIT,$0-8
	MOVQ	CR3, AX
	MOVQ	AX, ret+0(FP)
	RET

TEXT ·writeCR3(SB),NOSPLIT,$0-8
	MOVQ	v+0(FP), AX
	MOVQ	AX, CR3
	RET

TEXT ·invlpg(SB),NOSPLIT,$0-8
	MOVQ	addr+0(FP), AX
	INVLPG	(AX)
	RET

TEXT ·lgdt(SB),NOSPLIT,$0-8
	MOVQ	p+0(FP), AX
	LGDT	(AX)
	RET

TEXT ·lidt(SB),NOSPLIT,$0-8
	MOVQ	p+0(FP), AX
	LIDT	(AX)
	RET

TEXT ·ltr(SB),NOSPLIT,$0-2
	MOVW	sel+0(FP), AX
	LTR	AX
	RET

// reloadSegments reloads CS with 0x08 (far return) and the data segments
// with 0x10 after a new GDT is loaded.
TEXT ·reloadSegments(SB),NOSPLIT,$0-0
	MOVL	$0x10, AX
	BYTE $0x8E; BYTE $0xD8 // mov ds, eax
	BYTE $0x8E; BYTE $0xC0 // mov es, eax
	BYTE $0x8E; BYTE $0xD0 // mov ss, eax
	POPQ	AX              // return address
	PUSHQ	$0x08
	PUSHQ	AX
	BYTE $0x48; BYTE $0xCB // retfq
	
TEXT ·hlt(SB),NOSPLIT,$0-0
	HLT
	RET

// stiHlt enables interrupts and halts in one step (sti's interrupt shadow
// covers hlt), then disables them again once an interrupt was handled.
// First it stores its stack pointer in the core's haltSP (cpu.haltSP, at
// GS:80; 9 bytes), where kintr finds the halt's context when an interrupt
// was delivered twice (idle.go). No frame: the STI is at stiHlt+9 and the
// HLT at stiHlt+10, which kintr checks (stiHltSTI).
TEXT ·stiHlt(SB),NOSPLIT|NOFRAME,$0-0
	BYTE $0x65; BYTE $0x48; BYTE $0x89; BYTE $0x24; BYTE $0x25; LONG $80 // movq %rsp, %gs:80
	STI
	HLT
	CLI
	RET

// stiHltAddr returns the address of stiHlt's first instruction (the STI).
TEXT ·stiHltAddr(SB),NOSPLIT,$0-8
	LEAQ	·stiHlt(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

TEXT ·pause(SB),NOSPLIT,$0-0
	PAUSE
	RET

TEXT ·fxsave(SB),NOSPLIT,$0-8
	MOVQ	p+0(FP), AX
	FXSAVE64 (AX)
	RET

// rdrand returns a hardware random number and whether the CPU delivered one.
TEXT ·rdrand(SB),NOSPLIT,$0-9
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

// getFP returns the caller's frame pointer (BP), for stack dumps.
TEXT ·getFP(SB),NOSPLIT,$0-8
	MOVQ	BP, AX
	MOVQ	AX, ret+0(FP)
	RET

// func thisCPU() *cpu
TEXT ·thisCPU(SB),NOSPLIT|NOFRAME,$0-8
	BYTE $0x65; BYTE $0x48; BYTE $0x8B; BYTE $0x04; BYTE $0x25; LONG $0 // mov rax, gs:0
	MOVQ	AX, ret+0(FP)
	RET

// mfence orders every earlier load and store before every later one, and
// (LFENCE) before later instructions such as WRMSR, which is not
// serializing for the x2APIC and TSC-deadline MSRs.
TEXT ·mfence(SB),NOSPLIT,$0-0
	MFENCE
	LFENCE
	RET
