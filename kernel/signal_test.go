package kernel

import "testing"

// TestOnSigStack: a stack pointer is on the alternate stack from just
// above its base to its top inclusive (a push moves below the top), never
// with no stack set.
func TestOnSigStack(t *testing.T) {
	const base, size = 0x7000_0000, 0x8000
	for _, tc := range []struct {
		sp, altSP, altSize uintptr
		want               bool
	}{
		{base + size, base, size, true},
		{base + size - 8, base, size, true},
		{base + 1, base, size, true},
		{base, base, size, false},
		{base - 8, base, size, false},
		{base + size + 1, base, size, false},
		{0, base, size, false},
		{^uintptr(0), base, size, false},
		{base + 8, 0, 0, false},
		{0, 0, 0, false},
	} {
		if got := onSigStack(tc.sp, tc.altSP, tc.altSize); got != tc.want {
			t.Errorf("onSigStack(%#x, %#x, %#x) = %v, want %v", tc.sp, tc.altSP, tc.altSize, got, tc.want)
		}
	}
}
