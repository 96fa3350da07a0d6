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

// TestSnapshotUnplant: the snapshot point's trap puts main.main's first
// byte back and rewinds the instruction pointer onto it, and leaves every
// other breakpoint (the program's own INT3, a second hit) alone.
func TestSnapshotUnplant(t *testing.T) {
	const addr, orig = 0x40_1000, 0x49 // a REX.WB prefix, as Go's prologue starts
	for _, c := range []struct {
		name     string
		addr     uint64
		rip      uint64
		code     byte
		taken    bool
		wantRIP  uint64
		wantCode byte
	}{
		{"the snapshot point", addr, addr + 1, int3, true, addr, orig},
		{"another INT3 of the program", addr, addr + 0x40, int3, false, addr + 0x40, int3},
		{"the byte was already restored", addr, addr + 1, orig, false, addr + 1, orig},
		{"no snapshot point", 0, 1, int3, false, 1, int3},
	} {
		f := trapFrame{rip: c.rip}
		code := c.code
		if got := snapshotUnplant(&f, c.addr, orig, &code, func(p *byte, b byte) { *p = b }); got != c.taken || f.rip != c.wantRIP || code != c.wantCode {
			t.Errorf("%s: taken %v rip %#x code %#x; want %v %#x %#x", c.name, got, f.rip, code, c.taken, c.wantRIP, c.wantCode)
		}
	}
	b := byte(orig)
	if got := plantBreak(&b); got != orig || b != int3 {
		t.Errorf("plantBreak: returned %#x, left %#x; want %#x, %#x", got, b, orig, int3)
	}
}
