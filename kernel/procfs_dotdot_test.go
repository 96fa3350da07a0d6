package kernel

import "testing"

// TestProcDotDotClean checks which ".." in /proc the cleaning keeps for
// the lookup: after a file, a link out of /proc, mounts or a missing
// name; not after a directory of /proc or self. (A last ".." leaves a
// trailing slash: it names a directory.)
func TestProcDotDotClean(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/proc/self/status/..", "/proc/self/status/../"},
		{"/proc/self/status/../..", "/proc/self/status/../../"},
		{"/proc/self/status/../x", "/proc/self/status/../x"},
		{"/proc/self/cwd/..", "/proc/self/cwd/../"},
		{"/proc/self/root/../tmp", "/proc/self/root/../tmp"},
		{"/proc/self/exe/..", "/proc/self/exe/../"},
		{"/proc/mounts/..", "/proc/mounts/../"},
		{"/proc/nosuch/..", "/proc/nosuch/../"},
		{"/proc/self/fd/..", "/proc/self/"},
		{"/proc/self/net/../status", "/proc/self/status"},
		{"/proc/self/..", "/proc/"},
		{"/proc/1/../self", "/proc/self"},
		{"/proc/..", "/"},
		{"/proc/../tmp", "/tmp"},
		{"/proc/self/../../tmp/x", "/tmp/x"},
		{"/proc/self/./status/../", "/proc/self/status/../"},
		{"/proc/self/status", "/proc/self/status"},
		{"/procx/a/..", "/procx/"},
	} {
		var buf [pathMax]byte
		got, ok := cleanJoin(buf[:], "/", c.in)
		if !ok || got != c.want {
			t.Errorf("cleanJoin(/, %q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
}

// TestProcLookupDotDot checks procLookup's ".." (which the cleaning
// leaves only after what is not a directory of /proc, but the walk
// resolves any).
func TestProcLookupDotDot(t *testing.T) {
	for _, c := range []struct {
		rest string
		want procRef
		e    int64
	}{
		{"/self/status/..", procRef{}, -ENOTDIR},
		{"/self/status/../", procRef{}, -ENOTDIR},
		{"/mounts/..", procRef{}, -ENOTDIR},
		{"/nosuch/..", procRef{}, -ENOENT},
		{"/self/..", procRef{ent: peRoot}, 0},
		{"/self/task/../status", procRef{ent: pePidStatus}, 0},
		{"/self/net/../../self/net/dev", procRef{ent: pePidNetDev}, 0},
	} {
		r, e := procLookup(&lookupBufs{}, c.rest, true)
		if r != c.want || e != c.e {
			t.Errorf("procLookup(%q) = %v, %d; want %v, %d", c.rest, r, e, c.want, c.e)
		}
	}
}
