package kernel

import "testing"

func TestMemLimitEnv(t *testing.T) {
	for _, c := range []struct {
		free uint64
		want string
	}{
		{59652, "GOMEMLIMIT=203MiB"}, // a 256 MiB guest: 233 MiB free
		{0, "GOMEMLIMIT=1MiB"},
		{1, "GOMEMLIMIT=1MiB"},
		{256, "GOMEMLIMIT=1MiB"},           // 1 MiB free: 7/8 of it rounds down to 0
		{1 << 30, "GOMEMLIMIT=3670016MiB"}, // 4 TiB free
	} {
		buf := memLimitBuf
		if got := memLimitEnv(&buf, memLimitMiB(c.free)); got != c.want {
			t.Errorf("free %d pages: %q, want %q", c.free, got, c.want)
		}
	}
	buf := memLimitBuf
	if got, want := memLimitEnv(&buf, ^uint64(0)), "GOMEMLIMIT=18446744073709551615MiB"; got != want {
		t.Errorf("largest: %q, want %q", got, want)
	}
	if got := string(memLimitBuf[:len(memLimitKey)]); got != memLimitKey {
		t.Errorf("memLimitBuf starts with %q, want %q", got, memLimitKey)
	}
}
