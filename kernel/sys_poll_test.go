package kernel

import "testing"

// TestSelectTimeoutNs checks select's timeval as Linux reads it: whole
// seconds in usec count as seconds, and only what is negative after that
// is EINVAL.
func TestSelectTimeoutNs(t *testing.T) {
	for _, tc := range []struct {
		tv     timeval
		ns, en int64
	}{
		{timeval{0, 0}, 0, 0},
		{timeval{2, 500}, 2_000_500_000, 0},
		{timeval{0, 999_999}, 999_999_000, 0},
		{timeval{0, 1_000_000}, 1e9, 0},
		{timeval{0, 1_500_000}, 1_500_000_000, 0},
		{timeval{1, -1_000_000}, 0, 0},
		{timeval{0, -1}, 0, -EINVAL},
		{timeval{-1, 0}, 0, -EINVAL},
		{timeval{-1, 2_000_000}, 1e9, 0},
		{timeval{1 << 40, 0}, 1 << 62, 0},
	} {
		ns, en := selectTimeoutNs(tc.tv)
		if ns != tc.ns || en != tc.en {
			t.Errorf("selectTimeoutNs(%+v) = %d, %d; want %d, %d", tc.tv, ns, en, tc.ns, tc.en)
		}
	}
}
