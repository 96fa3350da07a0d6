package kernel

import "testing"

// TestFPUComponents checks which XSAVE components the kernel enables for
// what CPUs offer (CPUID 0xD.0 EDX:EAX) and what xsave= allows.
func TestFPUComponents(t *testing.T) {
	const (
		tcgMax  = 0x21f // QEMU 7.2 TCG -cpu max: x87, SSE, AVX, MPX, PKRU
		avx512  = 0x2ff // Skylake-SP: adds MPX, AVX-512, PKRU
		sseOnly = 0x3
	)
	for _, c := range []struct {
		name string
		sup  uint64
		avx  bool
		want string
		xcr0 uint64
	}{
		{"tcg max", tcgMax, true, "", 0x7},
		{"tcg max, xsave=avx", tcgMax, true, "avx", 0x7},
		{"avx-512", avx512, true, "", 0xe7},
		{"avx-512, xsave=avx", avx512, true, "avx", 0x7},
		{"avx in xcr0 but not in cpuid", tcgMax, false, "", 0x3},
		{"no avx", sseOnly, false, "", 0x3},
		{"partial avx-512", 0x67, true, "", 0x7},
	} {
		if got := fpuComponents(c.sup, c.avx, c.want); got != c.xcr0 {
			t.Errorf("%s: fpuComponents(%#x, %v, %q) = %#x, want %#x", c.name, c.sup, c.avx, c.want, got, c.xcr0)
		}
	}
}
