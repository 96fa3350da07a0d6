package kernel

import (
	"testing"
	"unsafe"
)

// TestUnsafeSlice: unsafeSlice's header is the memory asked for (data at
// addr, length and capacity n), empty for a zero n and nil for a zero
// address, and its bytes alias the memory.
func TestUnsafeSlice(t *testing.T) {
	var mem [64]byte
	for _, tc := range []struct {
		off, n uintptr
	}{{0, 64}, {3, 5}, {63, 1}, {8, 0}} {
		addr := uintptr(unsafe.Pointer(&mem[0])) + tc.off
		s := unsafeSlice(addr, tc.n)
		if uintptr(len(s)) != tc.n || uintptr(cap(s)) != tc.n || s == nil {
			t.Errorf("unsafeSlice(mem+%d, %d): len %d cap %d nil %v", tc.off, tc.n, len(s), cap(s), s == nil)
			continue
		}
		if tc.n == 0 {
			continue
		}
		if got := uintptr(unsafe.Pointer(&s[0])); got != addr {
			t.Errorf("unsafeSlice(mem+%d, %d) starts at %#x, want %#x", tc.off, tc.n, got, addr)
		}
		s[tc.n-1] = byte(tc.off + tc.n)
		if mem[tc.off+tc.n-1] != byte(tc.off+tc.n) {
			t.Errorf("unsafeSlice(mem+%d, %d): a write did not reach the memory", tc.off, tc.n)
		}
	}
	if s := unsafeSlice(0, 0); s != nil {
		t.Errorf("unsafeSlice(0, 0) = %v, want nil", s)
	}
}

// TestUnsafeString: unsafeString's string is b's bytes, without a copy,
// and empty for an empty or nil b.
func TestUnsafeString(t *testing.T) {
	b := []byte("/proc/self/cgroup")
	s := unsafeString(b[6:10])
	if s != "self" {
		t.Errorf("unsafeString = %q, want %q", s, "self")
	}
	if unsafe.StringData(s) != &b[6] {
		t.Errorf("unsafeString copied the bytes")
	}
	for _, e := range [][]byte{nil, {}, b[3:3]} {
		if s := unsafeString(e); s != "" || len(s) != 0 {
			t.Errorf("unsafeString(%v) = %q, want empty", e, s)
		}
	}
}
