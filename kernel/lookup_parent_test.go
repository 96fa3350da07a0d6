package kernel

import "testing"

// TestLookupParentRedirect checks that the directory lookup of the calls
// that create or remove a name (lookupParent) redirects where a link on
// the way leads into another file system, with the name still on the
// path, and that the last name, never followed, does not. (A link of
// /tmp needs its target in a page, which the hosted tests do not have:
// TestPaths covers those.)
func TestLookupParentRedirect(t *testing.T) {
	tmpDir, _ := setupResolve(t)
	for _, tc := range []struct {
		path string
		to   string // the redirection, or ""
		dir  int
		last string
		e    int64
	}{
		{path: "/tmp/work/../../proc/new", to: "/proc/new"},
		{path: "/tmp/work/../../dev/null/x", to: "/dev/null/x"},
		{path: "/tmp/work/new", dir: tmpDir, last: "new"},
		{path: "/tmp/work/../work/../../tmp/new", dir: tmpRoot, last: "new"},
		{path: "/etc/tmp/work/new", dir: tmpDir, last: "new"}, // a link of the tree into /tmp
		{path: "/etc/tmp/new", dir: tmpRoot, last: "new"},
		{path: "/etc/null/x", to: "/dev/null/x"},
		{path: "/etc/mtab", e: -EROFS}, // the last name, a link, is not followed
		{path: "/etc/new", e: -EROFS},
		{path: "/etc/loop/x", e: -ELOOP},
	} {
		var bufs lookupBufs
		ref, last, e := resolveIn(&bufs, atFDCWD, tc.path, false, true, true)
		switch {
		case tc.e != 0:
			if e != tc.e {
				t.Errorf("lookupParent(%q) = %d, want %d", tc.path, e, tc.e)
			}
		case tc.to != "":
			if e != -errRedirect || bufs.redir.path() != tc.to {
				t.Errorf("lookupParent(%q) = %d to %q; want a redirection to %q", tc.path, e, bufs.redir.path(), tc.to)
			}
		case e != 0 || !ref.tmp || ref.idx != tc.dir || last != tc.last:
			t.Errorf("lookupParent(%q) = %+v %q, %d; want /tmp node %d, %q", tc.path, ref, last, e, tc.dir, tc.last)
		}
	}
}

// TestUnderFile checks which paths name a file below a device or a
// built-in file (ENOTDIR to mkdir and unlink, as Linux).
func TestUnderFile(t *testing.T) {
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"/dev/null/x", true},
		{"/dev/zero/a", true},
		{"/dev/x", false},
		{"/dev/null", false},
		{"/tmp/x", false},
		{"null/x", false}, // relative: the walk answers
		{"/", false},
	} {
		if got := underFile(tc.path); got != tc.want {
			t.Errorf("underFile(%q) = %v, want %v", tc.path, got, tc.want)
		}
	}
}
