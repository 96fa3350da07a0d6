// Host only: these tests use the packer or the option parser (not in a
// guest build).

//go:build !gotoro

package imagefs

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestPackContents packs the fixture at "/" and at a deep guest directory
// and checks every host item against its entry.
func TestPackContents(t *testing.T) {
	items := fixture()
	root := makeTree(t, items)
	for _, guestDir := range []string{"/", "/usr/local/go/src/strings", "/usr/local/go/src/strings/"} {
		t.Run(guestDir, func(t *testing.T) {
			fs := mustPack(t, root, guestDir)
			base := path.Clean(guestDir)
			if got, want := fs.Len(), len(items)+strings.Count(base, "/")+boolInt(base != "/"); got != want {
				t.Errorf("Len = %d, want %d", got, want)
			}
			for _, it := range items {
				checkItem(t, fs, root, path.Join(base, it.path), it)
			}
			// The mount point and its parents are directories.
			for p := base; ; p = path.Dir(p) {
				i, ok := fs.Lookup(p)
				if !ok || !fs.IsDir(i) {
					t.Errorf("Lookup(%q) = %d, %v; want a directory", p, i, ok)
				}
				if p == "/" {
					break
				}
			}
			checkTreeShape(t, fs)
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// checkItem checks that the entry at guest path p matches host item it.
func checkItem(t *testing.T, fs FS, root, p string, it item) {
	t.Helper()
	i, ok := fs.Lookup(p)
	if !ok {
		t.Errorf("Lookup(%q) failed", p)
		return
	}
	if fs.Path(i) != p || fs.Name(i) != path.Base(p) {
		t.Errorf("%s: Path, Name = %q, %q", p, fs.Path(i), fs.Name(i))
	}
	info, err := os.Lstat(filepath.Join(root, it.path))
	if err != nil {
		t.Fatal(err)
	}
	if it.kind != 'l' && fs.ModTimeNs(i) != info.ModTime().UnixNano() {
		t.Errorf("%s: ModTimeNs = %d, want %d", p, fs.ModTimeNs(i), info.ModTime().UnixNano())
	}
	perm := uint32(info.Mode().Perm())
	switch it.kind {
	case 'f':
		if fs.Mode(i) != ModeRegular|perm || !fs.IsRegular(i) {
			t.Errorf("%s: Mode = %o, want %o", p, fs.Mode(i), ModeRegular|perm)
		}
		if string(fs.Data(i)) != it.content || fs.Size(i) != int64(len(it.content)) {
			t.Errorf("%s: Data has %d bytes (Size %d), want %d", p, len(fs.Data(i)), fs.Size(i), len(it.content))
		}
		if d := fs.Data(i); cap(d) != len(d) {
			t.Errorf("%s: cap(Data) = %d > len %d", p, cap(d), len(d))
		}
		if fs.LinkTarget(i) != "" || fs.NumChildren(i) != 0 {
			t.Errorf("%s: file has a link target or children", p)
		}
	case 'd':
		if fs.Mode(i) != ModeDir|perm || !fs.IsDir(i) || fs.Size(i) != 0 || fs.Data(i) != nil {
			t.Errorf("%s: Mode = %o Size = %d, want %o, 0", p, fs.Mode(i), fs.Size(i), ModeDir|perm)
		}
	case 'l':
		if fs.Mode(i) != ModeSymlink|0o777 || !fs.IsSymlink(i) {
			t.Errorf("%s: Mode = %o, want %o", p, fs.Mode(i), ModeSymlink|0o777)
		}
		if fs.LinkTarget(i) != it.content || string(fs.Data(i)) != it.content ||
			fs.Size(i) != int64(len(it.content)) {
			t.Errorf("%s: LinkTarget = %q, want %q", p, fs.LinkTarget(i), it.content)
		}
	}
	if parent, ok := fs.Lookup(path.Dir(p)); !ok || fs.Parent(i) != parent {
		t.Errorf("%s: Parent = %d, want %d", p, fs.Parent(i), parent)
	}
}

// checkTreeShape checks the invariants the reader promises: the root, the
// parent links, the children runs sorted by name, and aligned data.
func checkTreeShape(t *testing.T, fs FS) {
	t.Helper()
	if fs.Root() != 0 || fs.Path(0) != "/" || fs.Name(0) != "/" || fs.Parent(0) != 0 || !fs.IsDir(0) {
		t.Errorf("root: path %q name %q parent %d", fs.Path(0), fs.Name(0), fs.Parent(0))
	}
	seen := 0
	for d := 0; d < fs.Len(); d++ {
		if !fs.IsDir(d) {
			if fs.NumChildren(d) != 0 || fs.Child(d, 0) != -1 {
				t.Errorf("%s: non-directory has children", fs.Path(d))
			}
			if off := uintptrOf(fs.Data(d)) - uintptrOf(fs.b); len(fs.Data(d)) > 0 && off%8 != 0 {
				t.Errorf("%s: data at offset %d, not 8-aligned", fs.Path(d), off)
			}
			continue
		}
		prev := ""
		for k := 0; k < fs.NumChildren(d); k++ {
			c := fs.Child(d, k)
			seen++
			if fs.Parent(c) != d || (k > 0 && fs.Name(c) <= prev) {
				t.Errorf("%s: child %d = %q out of order or wrong parent", fs.Path(d), k, fs.Name(c))
			}
			if got, ok := fs.LookupChild(d, fs.Name(c)); !ok || got != c {
				t.Errorf("LookupChild(%s, %q) = %d, %v; want %d", fs.Path(d), fs.Name(c), got, ok, c)
			}
			prev = fs.Name(c)
		}
		if fs.Child(d, fs.NumChildren(d)) != -1 || fs.Child(d, -1) != -1 {
			t.Errorf("%s: Child out of range is not -1", fs.Path(d))
		}
		if _, ok := fs.LookupChild(d, "no such name"); ok {
			t.Errorf("%s: LookupChild found a missing name", fs.Path(d))
		}
	}
	if seen != fs.Len()-1 {
		t.Errorf("%d children in all, want %d", seen, fs.Len()-1)
	}
}

// TestPackSkipsSpecialFiles checks that sockets and named pipes are left
// out without an error.
func TestPackSkipsSpecialFiles(t *testing.T) {
	root := makeTree(t, []item{{path: "f", kind: 'f', content: "f"}})
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Unix socket paths are limited to ~108 bytes: listen from inside root.
	wd, _ := os.Getwd()
	if err := os.Chdir(root); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", "sock")
	os.Chdir(wd)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	fs := mustPack(t, root, "/")
	if fs.Len() != 2 {
		t.Errorf("Len = %d, want 2 (/ and /f)", fs.Len())
	}
	for _, p := range []string{"/fifo", "/sock"} {
		if _, ok := fs.Lookup(p); ok {
			t.Errorf("%s was packed", p)
		}
	}
}

// TestPackDeterministic checks that packing twice gives the same bytes.
func TestPackDeterministic(t *testing.T) {
	root := makeTree(t, fixture())
	a, err := Pack(root, "/srv")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Pack(root, "/srv")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two packs of one tree differ")
	}
	if len(a)%8 != 0 {
		t.Errorf("image size %d is not a multiple of 8", len(a))
	}
}

// TestPackMulti packs two trees, one nested in the other, and checks that
// directories merge and other clashes fail.
func TestPackMulti(t *testing.T) {
	app := makeTree(t, []item{
		{path: "usr", kind: 'd', perm: 0o700},
		{path: "usr/bin", kind: 'd'},
		{path: "usr/bin/app", kind: 'f', content: "elf"},
		{path: "etc", kind: 'f', content: "not a dir"},
	})
	src := makeTree(t, []item{{path: "strings.go", kind: 'f', content: "package strings"}})
	img, err := PackMulti([]Mount{{HostDir: app, GuestDir: "/"}, {HostDir: src, GuestDir: "/usr/local/go/src/strings"}})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Open(img)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/usr/bin/app", "/usr/local/go/src/strings/strings.go"} {
		if i, errno := fs.Walk(0, p, true); errno != 0 || !fs.IsRegular(i) {
			t.Errorf("Walk(%q) = %d, %d", p, i, errno)
		}
	}
	// /usr comes from the first mount, /usr/local is implied.
	if i, _ := fs.Lookup("/usr"); fs.Mode(i) != ModeDir|0o700 {
		t.Errorf("/usr mode %o, want %o", fs.Mode(i), ModeDir|0o700)
	}
	if i, _ := fs.Lookup("/usr/local"); fs.Mode(i) != ModeDir|0o755 || fs.ModTimeNs(i) != 0 {
		t.Errorf("/usr/local mode %o mtime %d, want implied 0755, 0", fs.Mode(i), fs.ModTimeNs(i))
	}
	checkTreeShape(t, fs)

	// A mount below a file, or a file provided twice, is a conflict.
	for _, ms := range [][]Mount{
		{{HostDir: app, GuestDir: "/"}, {HostDir: src, GuestDir: "/etc/x"}},
		{{HostDir: app, GuestDir: "/"}, {HostDir: app, GuestDir: "/"}},
	} {
		if _, err := PackMulti(ms); !errors.Is(err, errConflict) {
			t.Errorf("PackMulti(%v) = %v, want a conflict", ms, err)
		}
	}
}

// TestPackErrors checks that bad arguments fail with the culprit named.
func TestPackErrors(t *testing.T) {
	root := makeTree(t, []item{{path: "f", kind: 'f'}})
	file := filepath.Join(root, "f")
	tests := []struct {
		root, guest, want string
	}{
		{root, "relative", "not absolute"},
		{filepath.Join(root, "missing"), "/", "missing"},
		{file, "/", "not a directory"},
		{root, "/" + strings.Repeat("x", MaxName+1), "longer than"},
		{root, strings.Repeat("/abcdefgh", MaxPath/9+1), "longer than"},
		{root, "/a\x00b", "NUL"},
	}
	for _, tc := range tests {
		_, err := Pack(tc.root, tc.guest)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Pack(%q, %.20q) = %v, want an error containing %q", tc.root, tc.guest, err, tc.want)
		}
	}
}

// TestPackUnreadable checks that an unreadable file fails the pack, naming
// the file. Root reads everything, so it makes a directory vanish instead.
func TestPackUnreadable(t *testing.T) {
	root := makeTree(t, []item{{path: "d", kind: 'd'}, {path: "d/f", kind: 'f', content: "abc"}})
	tr := newTree()
	if err := tr.addHostTree(root, "/", nil); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(root, "d")); err != nil {
		t.Fatal(err)
	}
	_, err := tr.encode()
	if err == nil || !strings.Contains(err.Error(), filepath.Join(root, "d", "f")) {
		t.Errorf("encode after removal = %v, want an error naming d/f", err)
	}
	// A file that changes size between listing and reading is caught too.
	for _, content := range []string{"ab", "abcd"} {
		if err := os.MkdirAll(filepath.Join(root, "d"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "d", "f"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := tr.encode(); err == nil || !strings.Contains(err.Error(), "while packing") {
			t.Errorf("encode with %d bytes instead of 3 = %v", len(content), err)
		}
	}
}

// TestPackLinkAndSkip checks symlink mounts (one tree at two paths) and
// the Skip filter.
func TestPackLinkAndSkip(t *testing.T) {
	mod := makeTree(t, []item{
		{path: "go.mod", kind: 'f', content: "module m"},
		{path: ".git", kind: 'd'},
		{path: ".git/HEAD", kind: 'f', content: "ref"},
		{path: "pkg", kind: 'd'},
		{path: "pkg/a.go", kind: 'f', content: "package pkg"},
	})
	skip := func(hostPath string, isDir bool) bool { return isDir && filepath.Base(hostPath) == ".git" }
	img, err := PackMulti([]Mount{
		{HostDir: mod, GuestDir: "/cache/m@v1", Skip: skip},
		{GuestDir: "/view/m@v1", Link: "/cache/m@v1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Open(img)
	if err != nil {
		t.Fatal(err)
	}
	if i, errno := fs.Walk(0, "/view/m@v1/pkg/a.go", true); errno != 0 || string(fs.Data(i)) != "package pkg" {
		t.Errorf("through the link: Walk = %d, %d", i, errno)
	}
	if i, ok := fs.Lookup("/view/m@v1"); !ok || !fs.IsSymlink(i) || fs.LinkTarget(i) != "/cache/m@v1" {
		t.Errorf("/view/m@v1 is not a symlink to /cache/m@v1")
	}
	if _, ok := fs.Lookup("/cache/m@v1/.git"); ok {
		t.Errorf(".git was packed despite Skip")
	}
	if _, ok := fs.Lookup("/cache/m@v1/go.mod"); !ok {
		t.Errorf("go.mod is missing")
	}
	// A link where a directory is is a conflict.
	if _, err := PackMulti([]Mount{{HostDir: mod, GuestDir: "/m"}, {GuestDir: "/m", Link: "/x"}}); !errors.Is(err, errConflict) {
		t.Errorf("link over a directory: %v, want a conflict", err)
	}
}
