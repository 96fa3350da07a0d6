package kernel

import "testing"

// The layouts of assembly the kernel finds by address. The test binary
// holds the same assembled bytes as an image (the stubs' jumps leave their
// symbols in the 5-byte rel32 form, whatever the link), so these are
// checked here rather than at every boot.

// TestVectorStubs checks that interrupt stub n starts at vectors+16n with
// "push imm32 n" after its two-byte error-code slot, where setupIDT points
// vector n and secondDelivery looks for it.
func TestVectorStubs(t *testing.T) {
	stubs := vectorsAddr()
	for v := 0; v < 256; v++ {
		p := stubs + 16*uintptr(v)
		if op, imm := *(*uint8)(ptr(p + 2)), *(*uint32)(ptr(p + 3)); op != 0x68 || imm != uint32(v) {
			t.Fatalf("stub %d at vectors+%d: %#x %#x, want push imm32 %d (0x68): regenerate vectors_amd64.s (go generate ./kernel)", v, 16*v, op, imm, v)
		}
	}
}

// TestIdleHaltBytes checks that stiHlt holds STI (0xFB), HLT (0xF4) and
// CLI (0xFA) where hltShadowFixup and idleDoubleDelivery expect them
// (idleHLTAddr).
func TestIdleHaltBytes(t *testing.T) {
	p := idleHLTAddr()
	got := [3]uint8{*(*uint8)(ptr(p - 1)), *(*uint8)(ptr(p)), *(*uint8)(ptr(p + 1))}
	if got != [3]uint8{0xFB, 0xF4, 0xFA} {
		t.Errorf("stiHlt around idleHLTAddr: % x, want fb f4 fa (STI; HLT; CLI)", got[:])
	}
}
