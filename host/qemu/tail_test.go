package qemu

import "testing"

func TestTailBuffer(t *testing.T) {
	tb := &tailBuffer{max: 16}
	tb.Write([]byte("first line\nsecond\n"))
	tb.Write([]byte("third\n"))
	if got := tb.lastLines(5); got != "second\nthird" {
		t.Errorf("lastLines(5) = %q", got)
	}
	if got := tb.lastLines(1); got != "third" {
		t.Errorf("lastLines(1) = %q", got)
	}
	empty := &tailBuffer{max: 16}
	if got := empty.lastLines(3); got != "" {
		t.Errorf("empty lastLines = %q", got)
	}
}
