package bootabi

import "testing"

func TestCmdlineRoundTrip(t *testing.T) {
	in := []Param{
		{KeyArg, "/bin/hello"},
		{KeyArg, "two words"},
		{KeyArg, ""},
		{KeyArg, "100%\x00\xff=é"},
		{KeyEnv, "GODEBUG=x=1,y=2"},
		{KeyTSCHz, "2700000000"},
	}
	s := EncodeCmdline(in)
	var got []Param
	rest := s + " virtio_mmio.device=4K@0xfeb00e00:12"
	for {
		k, raw, r, ok := NextParam(rest)
		if !ok {
			break
		}
		rest = r
		buf := make([]byte, len(raw))
		got = append(got, Param{k, string(buf[:Unescape(buf, raw)])})
	}
	if len(got) != len(in)+1 {
		t.Fatalf("got %d params from %q, want %d", len(got), s, len(in)+1)
	}
	for i, p := range in {
		if got[i] != p {
			t.Errorf("param %d: got %q, want %q", i, got[i], p)
		}
	}
	if last := got[len(in)]; last.Key != "virtio_mmio.device" || last.Value != "4K@0xfeb00e00:12" {
		t.Errorf("VMM param: got %q", last)
	}
}

func TestUnescapeMalformed(t *testing.T) {
	for _, raw := range []string{"%", "%4", "%zz", "a%"} {
		buf := make([]byte, len(raw))
		if got := string(buf[:Unescape(buf, raw)]); got != raw {
			t.Errorf("Unescape(%q) = %q, want it unchanged", raw, got)
		}
	}
}

func TestUnescapedLen(t *testing.T) {
	for _, raw := range []string{
		"", "a", "%", "%4", "%41", "%zz", "a%", "%%41", "%41%", "%4%41",
		"%41%42%43", "x%2", "%2%2", "%%%", "%e9%E9%eG", "100%25%00%FF=%C3%A9",
	} {
		buf := make([]byte, len(raw))
		if got, want := UnescapedLen(raw), Unescape(buf, raw); got != want {
			t.Errorf("UnescapedLen(%q) = %d, Unescape writes %d", raw, got, want)
		}
	}
}

func TestNextParam(t *testing.T) {
	type tok struct{ key, raw string }
	for _, c := range []struct {
		in   string
		want []tok
	}{
		{"", nil},
		{"   ", nil},
		{"a=1", []tok{{"a", "1"}}},
		{"  a=1   b=  c d==x= e=f=g ", []tok{{"a", "1"}, {"b", ""}, {"c", ""}, {"d", "=x="}, {"e", "f=g"}}},
		{"=v k", []tok{{"", "v"}, {"k", ""}}},
	} {
		var got []tok
		for rest := c.in; ; {
			k, raw, r, ok := NextParam(rest)
			if !ok {
				if r != "" {
					t.Errorf("%q: no token but rest %q", c.in, r)
				}
				break
			}
			if len(r) >= len(rest) {
				t.Fatalf("%q: NextParam(%q) did not advance", c.in, rest)
			}
			rest = r
			got = append(got, tok{k, raw})
		}
		if len(got) != len(c.want) {
			t.Errorf("%q: tokens %q, want %q", c.in, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%q: tokens %q, want %q", c.in, got, c.want)
				break
			}
		}
	}
}
