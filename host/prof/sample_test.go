package prof

import "testing"

func TestIsKernelFunc(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"github.com/gotoro/gotoro/kernel.trap", true},
		{"github.com/gotoro/gotoro/kernel/arch.Pause", true},
		{"github.com/gotoro/gotoro/kernel/acpi.Parse", true},
		{"github.com/gotoro/gotoro/kernel.", false},
		{"github.com/gotoro/gotoro/kernelx.f", false},
		{"github.com/gotoro/gotoro/internal/rdtsc.Read", false},
		{"runtime.mallocgc", false},
		{"main.main", false},
	} {
		if got := isKernelFunc(tc.name); got != tc.want {
			t.Errorf("isKernelFunc(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}
