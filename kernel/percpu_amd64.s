#include "textflag.h"

// Assembly that works on the per-CPU block at GS (percpu.go), kept with
// the cpu struct whose offsets it uses (TestLayouts).

// func thisCPU() *cpu
TEXT ·thisCPU(SB),NOSPLIT|NOFRAME,$0-8
	BYTE $0x65; BYTE $0x48; BYTE $0x8B; BYTE $0x04; BYTE $0x25; LONG $0 // mov rax, gs:0
	MOVQ	AX, ret+0(FP)
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
