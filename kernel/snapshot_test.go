package kernel

import "testing"

func TestParseResume(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"gotoro-resume:1796571414451239047", 1796571414451239047, true},
		{"gotoro-resume:1", 1, true},
		{"gotoro-resume:", 0, false},
		{"gotoro-resume:0", 0, false},
		{"gotoro-resume:12x", 0, false},
		{"gotoro-resume:99999999999999999999", 0, false},
		{"gotoro-resumx:1", 0, false},
		{"hello", 0, false},
		{"", 0, false},
	} {
		got, ok := parseResume([]byte(c.in))
		if got != c.want || ok != c.ok {
			t.Errorf("parseResume(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
