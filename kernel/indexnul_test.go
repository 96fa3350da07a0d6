package kernel

import (
	"strings"
	"testing"
	"unsafe"
)

func TestIndexNUL(t *testing.T) {
	buf := []byte("abc\x00def\x00" + strings.Repeat("x", 300) + "\x00")
	p := uintptr(unsafe.Pointer(&buf[0]))
	for _, tc := range []struct {
		off, n uintptr
		want   int
	}{
		{0, 0, -1},
		{0, 3, -1}, // the NUL just past the range
		{0, 4, 3},  // the NUL the range's last byte
		{0, uintptr(len(buf)), 3},
		{3, 1, 0}, // the first byte
		{4, 3, -1},
		{4, 4, 3},
		{8, 300, -1},
		{8, 301, 300},
		{1, uintptr(len(buf)) - 1, 2},
	} {
		if got := indexNUL(p+tc.off, tc.n); got != tc.want {
			t.Errorf("indexNUL(buf+%d, %d) = %d, want %d", tc.off, tc.n, got, tc.want)
		}
		if want := strings.IndexByte(string(buf[tc.off:tc.off+tc.n]), 0); want != tc.want {
			t.Fatalf("case %+v: strings.IndexByte says %d", tc, want)
		}
	}
}
