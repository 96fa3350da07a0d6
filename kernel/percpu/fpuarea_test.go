package percpu

import (
	"testing"
	"unsafe"
)

// TestFPUAreaAddr checks that Addr is 64-byte aligned and that FPUAreaMax
// bytes from it stay inside the block, wherever the block starts.
func TestFPUAreaAddr(t *testing.T) {
	var blocks struct {
		buf [64 + unsafe.Sizeof(FPUArea{})]byte
	}
	for shift := uintptr(0); shift < 64; shift++ {
		a := (*FPUArea)(unsafe.Pointer(&blocks.buf[shift]))
		start := uintptr(unsafe.Pointer(a))
		got := a.Addr()
		if got%64 != 0 {
			t.Errorf("start %#x: Addr %#x is not 64-byte aligned", start, got)
		}
		if got < start || got+FPUAreaMax > start+unsafe.Sizeof(*a) {
			t.Errorf("start %#x: [%#x, %#x) leaves the block [%#x, %#x)", start, got, got+FPUAreaMax, start, start+unsafe.Sizeof(*a))
		}
	}
}
