package kernel

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gotoro/gotoro/internal/imagefs"
)

// Path resolution across the packed tree and /tmp (resolve.go), hosted: a
// packed tree built from a temporary directory, a /tmp tree made with
// tmpCreate. (Following /tmp symlinks reads their target from mapped pages
// and is covered by the boot tests.)

func setupResolve(t *testing.T) (tmpDir, tmpFile int) {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"etc", "src/a/b", "tmp/packed"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"etc/hosts", "src/a/b/file.go", "tmp/packed/data"} {
		if err := os.WriteFile(filepath.Join(root, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		"src/link": "a/b",
		// Links the packed tree's own walk cannot follow (imageLinkOut).
		"etc/mtab":  "/proc/self/mounts",
		"etc/tmp":   "/tmp",
		"etc/work":  "tmp/work",
		"etc/null":  "../dev/null",
		"etc/inner": "../src/link",
		"etc/loop":  "loop",
	} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	img, err := imagefs.Pack(root, "/")
	if err != nil {
		t.Fatal(err)
	}
	fs, err := imagefs.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	savedFS, savedCwd, savedLen := rootFS, cwdBuf, cwdLen
	rootFS = fs
	t.Cleanup(func() { rootFS, cwdBuf, cwdLen = savedFS, savedCwd, savedLen })
	resetTmp(t)
	tmpDir = mustCreate(t, tmpRoot, "work", tmpModeDir|0o755)
	tmpFile = mustCreate(t, tmpDir, "out.txt", tmpModeFile|0o644)
	setCwd("/src/a")
	return tmpDir, tmpFile
}

func TestResolve(t *testing.T) {
	tmpDir, tmpFile := setupResolve(t)
	image := func(p string) nodeRef {
		i, errno := rootFS.Walk(rootFS.Root(), p, true)
		if errno != 0 {
			t.Fatalf("the packed tree lacks %s", p)
		}
		return nodeRef{idx: i}
	}
	tests := []struct {
		path   string
		follow bool
		want   nodeRef
		e      int64
	}{
		{path: "/etc/hosts", want: image("/etc/hosts")},
		{path: "b/file.go", want: image("/src/a/b/file.go")}, // relative to the working directory
		{path: "../a/./b//file.go", want: image("/src/a/b/file.go")},
		{path: "/src/link/file.go", want: image("/src/a/b/file.go")}, // a packed symlink inside a path
		{path: "/src/link", follow: true, want: image("/src/a/b")},
		{path: "/src/link/../b/file.go", want: image("/src/a/b/file.go")}, // ".." after a packed link: its target's parent
		{path: "/etc/nope", e: -ENOENT},
		{path: "/etc/hosts/x", e: -ENOTDIR},
		{path: "", e: -ENOENT},
		{path: "/tmp/work/out.txt", want: nodeRef{tmp: true, idx: tmpFile}},
		{path: "/tmp/work/", want: nodeRef{tmp: true, idx: tmpDir}},
		{path: "/tmp/work/../work/out.txt", want: nodeRef{tmp: true, idx: tmpFile}},
		{path: "/tmp/work/../../etc/hosts", want: image("/etc/hosts")}, // ".." out of /tmp
		{path: "/tmp/packed/data", want: image("/tmp/packed/data")},    // packed under /tmp, still visible
		{path: "/tmp/work/nope", e: -ENOENT},
		{path: "/tmp/work/out.txt/", e: -ENOTDIR},
	}
	var bufs lookupBufs
	for _, tc := range tests {
		got, _, e := resolveIn(&bufs, atFDCWD, tc.path, tc.follow, false, false)
		if e != tc.e || e == 0 && got != tc.want {
			t.Errorf("resolve(%q) = %+v, %d; want %+v, %d", tc.path, got, e, tc.want, tc.e)
		}
	}
}

// TestImageLinkOut: a symlink of the packed tree that leads into /tmp or
// another file system is followed there; a chain that ends in the tree
// gives the path left for the tree's walk. The resolution goes on into
// /tmp.
func TestImageLinkOut(t *testing.T) {
	_, tmpFile := setupResolve(t)
	var out [pathMax]byte
	for _, tc := range []struct {
		path   string
		follow bool
		want   string // "" for none
		links  int    // the links followed
	}{
		{"/etc/mtab", true, "/proc/self/mounts", 1},
		{"/etc/mtab", false, "", 0}, // the link itself
		{"/etc/mtab/", false, "/proc/self/mounts/", 1},
		{"/etc/tmp/work/out.txt", false, "/tmp/work/out.txt", 1},
		{"/etc/work/out.txt", true, "/tmp/work/out.txt", 2}, // a chain: work -> tmp/work -> /tmp
		{"/etc/null", true, "/dev/null", 1},                 // relative
		{"/etc/inner/file.go", true, "/src/a/b/file.go", 2}, // back in the tree: its walk again
		{"/etc/loop", true, "", 0},
		{"/etc/nope", true, "", 0},
		{"/etc/hosts/x", true, "", 0},
	} {
		got, n := imageLinkOut(out[:], tc.path, tc.follow)
		if n != tc.links || n > 0 && got != tc.want {
			t.Errorf("imageLinkOut(%q, %v) = %q, %d links; want %q, %d", tc.path, tc.follow, got, n, tc.want, tc.links)
		}
	}
	var bufs lookupBufs
	for _, p := range []string{"/etc/tmp/work/out.txt", "/etc/work/out.txt", "/etc/tmp/work/../work/out.txt"} {
		got, _, e := resolveIn(&bufs, atFDCWD, p, true, false, false)
		if e != 0 || got != (nodeRef{tmp: true, idx: tmpFile}) {
			t.Errorf("resolve(%q) = %+v, %d; want /tmp/work/out.txt", p, got, e)
		}
	}
	// Without redirection a link into another file system is the
	// tree's answer, as before.
	if _, _, e := resolveIn(&bufs, atFDCWD, "/etc/mtab", true, false, false); e != -ENOENT {
		t.Errorf("resolve(/etc/mtab) without redirection: %d, want ENOENT", e)
	}
	if _, _, e := resolveIn(&bufs, atFDCWD, "/etc/loop", true, false, false); e != -ELOOP {
		t.Errorf("resolve(/etc/loop): %d, want ELOOP", e)
	}
}

// TestResolveRedirect: a lookup that may redirect stops where a ".." out
// of /tmp or a link of the packed tree leads into another file system,
// with that path; one that may not answers from the packed tree, as
// before; paths that stay in /tmp and the tree do not redirect.
func TestResolveRedirect(t *testing.T) {
	_, tmpFile := setupResolve(t)
	file, _ := rootFS.Walk(rootFS.Root(), "/src/a/b/file.go", true)
	mtab, _ := rootFS.Walk(rootFS.Root(), "/etc/mtab", false)
	for _, tc := range []struct {
		path   string
		follow bool
		to     string  // the redirection, or ""
		want   nodeRef // without one
		e      int64   // without redirection
	}{
		{path: "/tmp/work/../../proc/self/comm", to: "/proc/self/comm", e: -ENOENT},
		{path: "/etc/mtab", follow: true, to: "/proc/self/mounts", e: -ENOENT},
		{path: "/etc/mtab", want: nodeRef{idx: mtab}},
		{path: "/etc/null", follow: true, to: "/dev/null", e: -ENOENT},
		{path: "/etc/tmp/../proc/cpuinfo", to: "/proc/cpuinfo", e: -ENOENT}, // /tmp's parent
		{path: "/tmp/work/../../src/a/b/file.go", want: nodeRef{idx: file}},
		{path: "/tmp/work/../../etc/hosts", to: "/etc/hosts"}, // a built-in file's name: the dispatch looks again (without redirection: the tree's)
		{path: "/etc/tmp/work/out.txt", want: nodeRef{tmp: true, idx: tmpFile}},
	} {
		for _, redir := range []bool{false, true} {
			var bufs lookupBufs
			got, _, e := resolveIn(&bufs, atFDCWD, tc.path, tc.follow, false, redir)
			switch {
			case redir && tc.to != "":
				if e != -errRedirect || bufs.redir.path() != tc.to {
					t.Errorf("resolve(%q) = %d to %q; want a redirection to %q", tc.path, e, bufs.redir.path(), tc.to)
				}
			case tc.to != "":
				if e != tc.e {
					t.Errorf("resolve(%q) without redirection = %d; want %d", tc.path, e, tc.e)
				}
			case e != 0 || got != tc.want:
				t.Errorf("resolve(%q, redirect %v) = %+v, %d; want %+v", tc.path, redir, got, e, tc.want)
			}
		}
	}
}

func TestResolveParent(t *testing.T) {
	tmpDir, _ := setupResolve(t)
	tests := []struct {
		path  string
		dir   int
		last  string
		e     int64
		inTmp bool
	}{
		{path: "/tmp/work/new", dir: tmpDir, last: "new", inTmp: true},
		{path: "/tmp/new", dir: tmpRoot, last: "new", inTmp: true},
		{path: "/tmp/work/sub/new", e: -ENOENT},
		{path: "/etc/new", e: -EROFS},     // the packed tree is read-only
		{path: "/nodir/new", e: -ENOENT},  // a missing parent is reported as such
		{path: "/src/a/b/new", e: -EROFS}, // also through the working directory
	}
	var bufs lookupBufs
	for _, tc := range tests {
		ref, last, e := resolveIn(&bufs, atFDCWD, tc.path, false, true, false)
		if e != tc.e {
			t.Errorf("resolveParent(%q): error %d, want %d", tc.path, e, tc.e)
			continue
		}
		if e == 0 && (ref.tmp != tc.inTmp || ref.idx != tc.dir || last != tc.last) {
			t.Errorf("resolveParent(%q) = %+v %q, want dir %d, last %q", tc.path, ref, last, tc.dir, tc.last)
		}
	}
}

func TestAbsPath(t *testing.T) {
	setupResolve(t)
	var buf [pathMax]byte
	for _, tc := range []struct{ in, want string }{
		{"x", "/src/a/x"},
		{"../../y", "/y"},
		{"/abs//p/", "/abs/p/"},
	} {
		got, e := absPath(buf[:], atFDCWD, tc.in)
		if e != 0 || got != tc.want {
			t.Errorf("absPath(%q) = %q, %d; want %q", tc.in, got, e, tc.want)
		}
	}
	if _, e := absPath(buf[:], 999, "rel"); e != -EBADF {
		t.Errorf("relative to a closed descriptor: %d, want EBADF", e)
	}
}
