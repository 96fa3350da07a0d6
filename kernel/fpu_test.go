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

// TestFPUComponentsWithin: the components wholly inside the first size
// bytes of a standard-format area; all enabled ones for a whole area.
func TestFPUComponentsWithin(t *testing.T) {
	saved := fpu
	defer func() { fpu = saved }()
	fpu.xcr0 = xfeatX87 | xfeatSSE | xfeatAVX
	fpu.size = 832
	fpu.compEnd = [len(fpu.compEnd)]uint32{160, fxLegacySize, 576 + 256}
	for _, tc := range []struct {
		size uintptr
		want uint64
	}{
		{fxLegacySize, xfeatX87 | xfeatSSE},
		{xsaveMinSize, xfeatX87 | xfeatSSE},
		{831, xfeatX87 | xfeatSSE},
		{832, xfeatX87 | xfeatSSE | xfeatAVX},
		{4096, xfeatX87 | xfeatSSE | xfeatAVX},
	} {
		if got := fpuComponentsWithin(tc.size); got != tc.want {
			t.Errorf("fpuComponentsWithin(%d) = %#x, want %#x", tc.size, got, tc.want)
		}
	}
}
