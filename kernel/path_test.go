package kernel

import "testing"

func TestCleanJoin(t *testing.T) {
	tests := []struct{ base, rel, want string }{
		{"/", "a", "/a"},
		{"/src", "testdata/x.json", "/src/testdata/x.json"},
		{"/src", "/abs//path/", "/abs/path/"},
		{"/a/b", "../c", "/a/c"},
		{"/a/b", "../../..", "/"},
		{"/", "..", "/"},
		{"/a", ".", "/a/"},
		{"/a", "./b/./c/..", "/a/b/"},
		{"/a", "./b/./c", "/a/b/c"},
		{"/a", "b/", "/a/b/"},
		{"/tmp", "x//y///z", "/tmp/x/y/z"},
		{"/tmp", "file/.", "/tmp/file/"},
		{"/a/b", "c/..", "/a/b/"},
		{"/", ".", "/"},
		{"/tmp/a", "../b", "/tmp/a/../b"},
		{"/tmp", "..", "/"},
		{"/tmp", "../etc", "/etc"},
		{"/src/a", "../b", "/src/b"},
	}
	for _, tc := range tests {
		var buf [pathMax]byte
		got, ok := cleanJoin(buf[:], tc.base, tc.rel)
		if !ok || got != tc.want {
			t.Errorf("cleanJoin(%q, %q) = %q, %v; want %q", tc.base, tc.rel, got, ok, tc.want)
		}
	}
	var small [8]byte
	if _, ok := cleanJoin(small[:], "/", "a-long-name"); ok {
		t.Error("cleanJoin into a short buffer succeeded")
	}
}

func TestInTmp(t *testing.T) {
	tests := []struct {
		p, rest string
		ok      bool
	}{
		{"/tmp", "", true},
		{"/tmp/a/b", "/a/b", true},
		{"/tmpx", "", false},
		{"/src/tmp", "", false},
		{"/", "", false},
	}
	for _, tc := range tests {
		rest, ok := inTmp(tc.p)
		if ok != tc.ok || rest != tc.rest {
			t.Errorf("inTmp(%q) = %q, %v; want %q, %v", tc.p, rest, ok, tc.rest, tc.ok)
		}
	}
}

func TestParentOf(t *testing.T) {
	for in, want := range map[string]string{"/a/b": "/a", "/a": "/", "/a/b/": "/a", "/": "/"} {
		if got := parentOf(in); got != want {
			t.Errorf("parentOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseUint(t *testing.T) {
	for in, want := range map[string]uint64{"0": 0, "2700000000": 2700000000, "12x": 0, "": 0} {
		if got := parseUint(in); got != want {
			t.Errorf("parseUint(%q) = %d, want %d", in, got, want)
		}
	}
}
