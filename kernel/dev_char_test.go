package kernel

import "testing"

// TestDeviceKind: the built-in devices are found by their absolute paths
// in /dev, and nothing else is one of them.
func TestDeviceKind(t *testing.T) {
	for _, tc := range []struct {
		path string
		want fileKind
		dev  bool // isDevPath
	}{
		{"/dev/null", fkNull, true},
		{"/dev/zero", fkZero, true},
		{"/dev/urandom", fkRandom, true},
		{"/dev/random", fkRandom, true},
		{"/dev/tty", fkConsole, true},
		{"/dev/stdin", fkConsole, true},
		{"/dev/vda", fkNone, true},
		{"/dev/netctl", fkNone, true},
		{"/dev/nul", fkNone, true},
		{"/dev/", fkNone, false},
		{"/dev", fkNone, false},
		{"/devnull", fkNone, false},
		{"dev/null", fkNone, false},
		{"/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", fkNone, false},
		{"", fkNone, false},
	} {
		if got := deviceKind(tc.path); got != tc.want {
			t.Errorf("deviceKind(%q) = %d, want %d", tc.path, got, tc.want)
		}
		if got := isDevPath(tc.path); got != tc.dev {
			t.Errorf("isDevPath(%q) = %v, want %v", tc.path, got, tc.dev)
		}
	}
}
