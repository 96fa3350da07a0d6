package percpu

import (
	"testing"
	"unsafe"
)

// TestKernelGLayout pins the offsets compiled prologues and the entry
// assembly read.
func TestKernelGLayout(t *testing.T) {
	var g KernelG
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"StackLo", unsafe.Offsetof(g.StackLo), 0},
		{"StackHi", unsafe.Offsetof(g.StackHi), 8},
		{"StackGuard0", unsafe.Offsetof(g.StackGuard0), 16},
		{"StackGuard1", unsafe.Offsetof(g.StackGuard1), 24},
		{"size", unsafe.Sizeof(g), 16 * 8},
	} {
		if c.got != c.want {
			t.Errorf("KernelG.%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}

func TestSetStack(t *testing.T) {
	var g KernelG
	g.SetStack(0x10000, 0x18000)
	want := KernelG{StackLo: 0x10000, StackHi: 0x18000, StackGuard0: 0x10000 + KGuard, StackGuard1: 0x10000 + KGuard}
	if g != want {
		t.Errorf("SetStack(0x10000, 0x18000) = %+v, want %+v", g, want)
	}
	if g.StackGuard0 >= g.StackHi {
		t.Errorf("guard %#x not below the stack top %#x", g.StackGuard0, g.StackHi)
	}
}
