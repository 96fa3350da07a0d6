package kernel

import "testing"

// TestDR6Cause: which DR6 bits make a debug exception real, given DR7.
func TestDR6Cause(t *testing.T) {
	for _, c := range []struct {
		name     string
		dr6, dr7 uint64
		real     bool
	}{
		{"nothing set (a stale breakpoint of an emulator)", 0xffff0ff0, 0x400, false},
		{"B0 hit but DR7 disables it", 0xffff0ff1, 0x400, false},
		{"B0 hit, L0 enabled", 0xffff0ff1, 0x401, true},
		{"B2 hit, G2 enabled", 0xffff0ff4, 0x420, true},
		{"B2 hit, only breakpoint 0 enabled", 0xffff0ff4, 0x401, false},
		{"B3 hit, L3 enabled", 0xffff0ff8, 0x440, true},
		{"single step", 0xffff4ff0, 0x400, true},
		{"debug-register access", 0xffff2ff0, 0x400, true},
		{"task switch", 0xffff8ff0, 0x400, true},
	} {
		if got := c.dr6&dr6Cause(c.dr7) != 0; got != c.real {
			t.Errorf("%s: DR6 %#x DR7 %#x: real %v, want %v", c.name, c.dr6, c.dr7, got, c.real)
		}
	}
}
