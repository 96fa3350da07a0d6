//go:build gotoro

#include "textflag.h"

// CPU_ID is the offset of the core number in the kernel's per-core data
// (kernel/percpu.go, bootabi.CPUIDOffset; checked by the kernel's tests).
#define CPU_ID 72

// func CoreID() int
TEXT ·CoreID(SB), NOSPLIT|NOFRAME, $0-8
	// MOVQ GS:CPU_ID, AX, hand-encoded: the Go assembler has no GS override.
	BYTE $0x65; BYTE $0x48; BYTE $0x8B; BYTE $0x04; BYTE $0x25; LONG $CPU_ID
	MOVQ AX, ret+0(FP)
	RET
