package kernel

import "testing"

// The recognition of an interrupt delivered twice (idle.go); the recovery
// itself runs under nested KVM only (docs/kvm.md).

func TestSecondDelivery(t *testing.T) {
	const stubs = 0x214440
	for _, c := range []struct {
		name                  string
		rip, rsp, vector, top uint64
		want                  bool
	}{
		{"wake IPI, aligned top", stubs + 16*0xF0, 0x6914e0 - 40, 0xF0, 0x6914e0, true},
		// The IST top 8 bytes off 16: the CPU pushed below the aligned top
		// (core 0 of the lane's guests; the first check missed it).
		{"top 8 bytes off", stubs + 16*0xF0, 0x6914e0 - 40, 0xF0, 0x6914e8, true},
		{"unaligned top taken as is", stubs + 16*0xF0, 0x6914e8 - 40, 0xF0, 0x6914e8, false},
		{"timer", stubs + 16*0x20, 0x6914e0 - 40, 0x20, 0x6914e0, true},
		{"another vector's stub", stubs + 16*0x20, 0x6914e0 - 40, 0xF0, 0x6914e0, false},
		{"inside the stub", stubs + 16*0xF0 + 2, 0x6914e0 - 40, 0xF0, 0x6914e0, false},
		{"deeper on the stack", stubs + 16*0xF0, 0x6914e0 - 80, 0xF0, 0x6914e0, false},
		{"the idle halt itself", 0x213142, 0x45fff8, 0xF0, 0x6914e0, false},
	} {
		if got := secondDelivery(c.rip, c.rsp, c.vector, stubs, c.top); got != c.want {
			t.Errorf("%s: secondDelivery = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestStubEntry(t *testing.T) {
	const stubs = 0x214440
	for _, c := range []struct {
		rip    uint64
		vector uint64
		ok     bool
	}{
		{stubs, 0, true},
		{stubs + 16*0xF0, 0xF0, true},
		{stubs + 16*255, 255, true},
		{stubs + 16*256, 0, false}, // past the last stub
		{stubs + 16*14 + 2, 0, false},
		{stubs - 16, 0, false},
		{0x4a3260, 0, false}, // Go code
	} {
		v, ok := stubEntry(c.rip, stubs)
		if v != c.vector || ok != c.ok {
			t.Errorf("stubEntry(%#x) = %d, %v, want %d, %v", c.rip, v, ok, c.vector, c.ok)
		}
	}
}

func TestMaskedFromGo(t *testing.T) {
	const syscallEntry = 0x215000
	for _, c := range []struct {
		name           string
		vector, rflags uint64
		rip            uint64
		want           bool
	}{
		{"wake IPI over Go code", vecWake, 0x202, 0x4a3260, false},
		{"wake IPI with IF clear in intrCommon", vecWake, 0x2, 0x2146a0, true},
		{"timer with IF clear in trapReturn", vecTimer, 0x6, 0x214700, true},
		{"at syscallEntry (SYSCALL cleared IF)", vecWake, 0x2, syscallEntry, false},
		{"page fault with IF clear", vecPageFault, 0x2, 0x2146a0, false},
		{"system call frame", vecSyscall, 0x2, 0x2146a0, false},
		{"system call frame, FPU reload", vecSyscallFX, 0x2, 0x2146a0, false},
	} {
		if got := maskedFromGo(c.vector, c.rflags, c.rip, syscallEntry); got != c.want {
			t.Errorf("%s: maskedFromGo = %v, want %v", c.name, got, c.want)
		}
	}
}
