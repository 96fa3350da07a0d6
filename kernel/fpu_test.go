package kernel

import (
	"testing"

	"github.com/gotoro/gotoro/kernel/arch"
)

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
		{"avx-512 without avx in cpuid", avx512, false, "", 0x3},
		{"avx-512 without avx in xcr0's offer", 0xe3, true, "", 0x3},
	} {
		if got := fpuComponents(c.sup, c.avx, fpuAllow(c.want)); got != c.xcr0 {
			t.Errorf("%s: fpuComponents(%#x, %v, fpuAllow(%q)) = %#x, want %#x", c.name, c.sup, c.avx, c.want, got, c.xcr0)
		}
	}
	// xsave=off allows nothing: fpuSetup keeps FXSAVE.
	for want, allow := range map[string]uint64{"off": 0, "avx": 0x7, "": 0xe7, "all": 0xe7} {
		if got := fpuAllow(want); got != allow {
			t.Errorf("fpuAllow(%q) = %#x, want %#x", want, got, allow)
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

// TestFPUAreaSize checks the XSAVE area's size computed from the
// components' ends (fpuSetup no longer reads CPUID 0xD.0 after setting
// XCR0): for known layouts, and against this machine's CPUID for the
// XCR0 its kernel set, when that holds only components the guest kernel
// manages.
func TestFPUAreaSize(t *testing.T) {
	type ends = [len(fpu.compEnd)]uint32
	for _, c := range []struct {
		name string
		end  ends
		want uintptr
	}{
		{"x87 and SSE", ends{160, 512}, 576},
		{"AVX", ends{160, 512, 832}, 832},
		{"AVX-512", ends{160, 512, 832, 0, 0, 1152, 1664, 2688}, 2688},
		{"AVX-512 without AVX", ends{160, 512, 0, 0, 0, 1152, 1664, 2688}, 2688},
	} {
		if got := fpuAreaSize(&c.end); got != c.want {
			t.Errorf("%s: fpuAreaSize = %d, want %d", c.name, got, c.want)
		}
	}
	if _, _, c1, _ := arch.CPUID(1, 0); c1&(1<<27) == 0 {
		t.Skip("this machine's kernel has not enabled XSAVE (no OSXSAVE)")
	}
	xcr0 := arch.Xgetbv(0)
	if xcr0&^0xff != 0 {
		t.Skipf("this machine's XCR0 %#x enables components beyond the guest kernel's", xcr0)
	}
	end := ends{160, 512}
	for i := uint32(2); i < uint32(len(end)); i++ {
		if xcr0&(1<<i) != 0 {
			sz, off, _, _ := arch.CPUID(0xD, i)
			end[i] = off + sz
		}
	}
	if _, size, _, _ := arch.CPUID(0xD, 0); fpuAreaSize(&end) != uintptr(size) {
		t.Errorf("XCR0 %#x: fpuAreaSize = %d, CPUID 0xD.0 says %d", xcr0, fpuAreaSize(&end), size)
	}
}

// TestFPUInitArea: a new program's vector state as on Linux (x87 control
// word 0x37F, MXCSR 0x1F80, the rest zero), from any area with
// fpuInitArea and from a zero one (a new thread's) with fpuInitZeroed.
func TestFPUInitArea(t *testing.T) {
	saved := fpu
	defer func() { fpu = saved }()
	fpu.size = 832
	var a, b [832 + 64]byte
	for i := range a {
		a[i] = 0xA5
	}
	pa, pb := align16(a[:]), align16(b[:])
	fpuInitArea(pa)
	fpuInitZeroed(pb)
	for _, c := range []struct {
		name string
		p    uintptr
	}{{"fpuInitArea", pa}, {"fpuInitZeroed", pb}} {
		area := unsafeSlice(c.p, fpu.size)
		want := make([]byte, fpu.size)
		want[fxFCW], want[fxFCW+1] = 0x7F, 0x03
		want[fxMXCSR], want[fxMXCSR+1] = 0x80, 0x1F
		if string(area) != string(want) {
			t.Errorf("%s: FCW %#x MXCSR %#x, want 0x37f 0x1f80 and the rest zero", c.name,
				*(*uint16)(ptr(c.p + fxFCW)), *(*uint32)(ptr(c.p + fxMXCSR)))
		}
	}
}
