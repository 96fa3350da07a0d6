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
	if _, ok := cleanJoin(small[:], "/", "/a-long-name"); ok {
		t.Error("cleanJoin of a clean absolute path into a short buffer succeeded")
	}
	if got, ok := cleanJoin(small[:], "/", "/8-bytes"); !ok || got != "/8-bytes" {
		t.Errorf("cleanJoin of a clean absolute path as long as the buffer = %q, %v", got, ok)
	}
}

// TestCleanAbsFastPath: the paths isCleanAbs passes are those cleaning
// leaves unchanged, so cleanJoin's shortcut gives what the component walk
// gives; the usual absolute paths take it.
func TestCleanAbsFastPath(t *testing.T) {
	for p, clean := range map[string]bool{
		"/":                 true,
		"/proc/self/cgroup": true,
		"/sys/kernel/mm/transparent_hugepage/hpage_pmd_size": true,
		"/a-b/c.d/e..": true,
		"/tmp/x":       true,
		"":             false,
		"rel/path":     false,
		"//":           false,
		"/a//b":        false,
		"/a/":          false,
		"/a/.":         false,
		"/a/..":        false,
		"/a/../b":      false,
		"/tmp/a/../b":  false,
		"/.hidden":     false,
		"/a/./b":       false,
	} {
		if got := isCleanAbs(p); got != clean {
			t.Errorf("isCleanAbs(%q) = %v, want %v", p, got, clean)
		}
		for _, base := range []string{"/", "/tmp/d", "/src"} {
			var b1, b2 [pathMax]byte
			got, ok := cleanJoin(b1[:], base, p)
			want, wantOK := cleanJoinWalk(b2[:], base, p)
			if got != want || ok != wantOK {
				t.Errorf("cleanJoin(%q, %q) = %q, %v; the component walk gives %q, %v", base, p, got, ok, want, wantOK)
			}
		}
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
