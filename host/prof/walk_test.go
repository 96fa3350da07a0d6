package prof

import (
	"regexp"
	"testing"

	"github.com/gotoro/gotoro/host/qmp"
)

func TestWalker(t *testing.T) {
	s := testSymbols(t)
	a, b := fn(t, s, leafA), fn(t, s, midB)
	fm := newFakeMem()
	fm.put(0x10000, b.entry+5)
	fm.put(0x10100, 0)
	fm.put(0x10108, 0)
	w := NewWalker(s)
	st := w.Stack(fm, qmp.Regs{CPU: 2, RIP: a.entry + 1, RSP: 0x10000, RBP: 0x10100})
	if len(st) != 2 {
		t.Fatalf("stack %v, want leafA and midB", st)
	}
	tests := []struct {
		f    Frame
		want string
	}{
		{st[0], `^prof\.leafA\+0x1 prof/helpers_test\.go:\d+$`},
		{st[1], `^prof\.midB\+0x4 prof/helpers_test\.go:\d+$`},
		{Frame{Kernel: IdleFrame}, "^" + regexp.QuoteMeta(IdleFrame) + "$"},
		{Frame{PC: 0x7}, `^0x7$`},
	}
	for _, tc := range tests {
		if got := w.FrameString(tc.f); !regexp.MustCompile(tc.want).MatchString(got) {
			t.Errorf("FrameString(%v) = %q, want %s", tc.f, got, tc.want)
		}
	}
}
