#include "textflag.h"

// Boot stack size; must match bootStackSize in boot.go.
#define BOOTSTACK 65536
// Room kept free below a kernel g's stack guard (percpu.KGuard: the
// linker's nosplit budget and a second nosplit chain started by an
// indirect call).
#define KGUARD 2048

// LOAD_SEGMENTS loads the flat data selector (0x10) into DS, ES and SS and
// the null selector into FS and GS (their bases come from MSRs).
#define LOAD_SEGMENTS \
	MOVL	$0x10, AX; \
	BYTE $0x8E; BYTE $0xD8; \
	BYTE $0x8E; BYTE $0xC0; \
	BYTE $0x8E; BYTE $0xD0; \
	MOVL	$0, AX; \
	BYTE $0x8E; BYTE $0xE0; \
	BYTE $0x8E; BYTE $0xE8

// entry64 is the 64-bit entry point the PVH trampoline jumps to, with
// EBX = hvm_start_info and ESI = the image's boot block. Interrupts are off,
// paging identity-maps the first 4 GiB. It sets up a boot stack and a kernel
// g (see kg.go) so that ordinary Go code can run, and calls kmain.
TEXT ·entry64(SB),NOSPLIT|NOFRAME,$0
	LOAD_SEGMENTS
	MOVL	BX, BX
	MOVL	SI, SI
	MOVQ	BX, ·startInfoPA(SB)
	MOVQ	SI, ·bootBlockPA(SB)
	LEAQ	·bootStack(SB), AX
	MOVQ	AX, ·bootKG+0(SB)
	LEAQ	BOOTSTACK(AX), SP
	MOVQ	SP, ·bootKG+8(SB)
	ADDQ	$KGUARD, AX
	MOVQ	AX, ·bootKG+16(SB)
	MOVQ	AX, ·bootKG+24(SB)
	// TLS: FS base points one word past bootTLS[0] = &bootKG, so that the
	// g slot at FS:-8 holds the boot kernel g.
	LEAQ	·bootKG(SB), AX
	MOVQ	AX, ·bootTLS+0(SB)
	LEAQ	·bootTLS+8(SB), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	MOVL	$0xC0000100, CX
	WRMSR
	BYTE $0x31; BYTE $0xED // xor ebp, ebp: end of the frame-pointer chain
	CALL	·kmain(SB)
hang:
	HLT
	JMP	hang

// rt0Addr returns the address of the Go runtime's Linux entry point.
TEXT ·rt0Addr(SB),NOSPLIT,$0-8
	LEAQ	_rt0_amd64_linux(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// apEntry64 is where an application processor arrives from the trampoline
// (trampoline.go) in 64-bit mode, on the idle stack the boot CPU gave it,
// with interrupts off. Like entry64 it sets the segments and a TLS whose g
// slot holds a kernel g (the core's idleKG), then calls apMain.
TEXT ·apEntry64(SB),NOSPLIT|NOFRAME,$0
	LOAD_SEGMENTS
	MOVQ	·apBoot+8(SB), AX // apBoot.fsBase
	MOVQ	AX, DX
	SHRQ	$32, DX
	MOVL	$0xC0000100, CX
	WRMSR
	BYTE $0x31; BYTE $0xED // xor ebp, ebp
	CALL	·apMain(SB)
aphang:
	HLT
	JMP	aphang

// apEntryAddr returns the address of apEntry64.
TEXT ·apEntryAddr(SB),NOSPLIT,$0-8
	LEAQ	·apEntry64(SB), AX
	MOVQ	AX, ret+0(FP)
	RET
