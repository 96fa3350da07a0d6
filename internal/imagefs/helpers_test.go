// Host only: these tests use the packer or the option parser (not in a
// guest build).

//go:build !gotoro

package imagefs

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// item describes one host file system object for makeTree.
type item struct {
	path    string      // slash-separated, relative to the tree root
	kind    byte        // 'f' file, 'd' dir, 'l' symlink
	content string      // file content, or symlink target
	perm    os.FileMode // 0 means 0644 for files, 0755 for dirs
}

// fixedTime is the modification time makeTree gives everything.
var fixedTime = time.Date(2024, 2, 29, 12, 34, 56, 789012345, time.UTC)

// makeTree creates items below a new temporary directory and returns it.
// Parents must precede their children.
func makeTree(t testing.TB, items []item) string {
	t.Helper()
	root := t.TempDir()
	for _, it := range items {
		p := filepath.Join(root, filepath.FromSlash(it.path))
		var err error
		switch it.kind {
		case 'f':
			err = os.WriteFile(p, []byte(it.content), 0o644)
			if err == nil && it.perm != 0 {
				err = os.Chmod(p, it.perm)
			}
		case 'd':
			err = os.Mkdir(p, 0o755)
			if err == nil && it.perm != 0 {
				err = os.Chmod(p, it.perm)
			}
		case 'l':
			err = os.Symlink(it.content, p)
		default:
			t.Fatalf("bad kind %q", it.kind)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// Set times children first, so that creating entries does not bump
	// the directories' times again.
	for i := len(items) - 1; i >= 0; i-- {
		it := items[i]
		if it.kind == 'l' {
			continue
		}
		if err := os.Chtimes(filepath.Join(root, it.path), fixedTime, fixedTime); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// chain returns symlinks prefix0 -> prefix1 -> ... -> prefix(n-1) -> target.
func chain(prefix string, n int, target string) []item {
	var items []item
	for i := 0; i < n; i++ {
		next := target
		if i+1 < n {
			next = prefix + strconv.Itoa(i+1)
		}
		items = append(items, item{path: prefix + strconv.Itoa(i), kind: 'l', content: next})
	}
	return items
}

// pattern returns n bytes of recognisable content.
func pattern(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		b.WriteString(strconv.Itoa(i))
		b.WriteByte(' ')
	}
	return b.String()[:n]
}

// fixture is the tree most tests pack: files of several sizes, nested and
// oddly named directories, and symlinks of every kind, including ones
// aimed outside the tree that must stay inside the image.
func fixture() []item {
	items := []item{
		{path: "empty", kind: 'f'},
		{path: "one", kind: 'f', content: "x"},
		{path: "big", kind: 'f', content: pattern(70001)},
		{path: "exec", kind: 'f', content: "#!/bin/sh\n", perm: 0o755},
		{path: strings.Repeat("n", 255), kind: 'f', content: "long"},
		{path: "dir", kind: 'd', perm: 0o750},
		{path: "dir/sub", kind: 'd'},
		{path: "dir/sub/deep", kind: 'd'},
		{path: "dir/sub/deep/file.txt", kind: 'f', content: "deep"},
		{path: "dir/sub/ln-up", kind: 'l', content: "../../one"},
		{path: "dir/sub/ln-top", kind: 'l', content: "../../../../../../one"},
		{path: "dir/a", kind: 'f', content: "a"},
		{path: "dir/b", kind: 'f', content: "bb"},
		{path: "a", kind: 'd'},
		{path: "a/x", kind: 'f', content: "ax"},
		{path: "a-b", kind: 'f', content: "dash"},
		{path: "a.b", kind: 'f', content: "dot"},
		{path: "etc", kind: 'd'},
		{path: "etc/passwd", kind: 'f', content: "root:x:0:0::/:/bin/sh\n"},
		{path: "ln-file", kind: 'l', content: "one"},
		{path: "ln-dir", kind: 'l', content: "dir"},
		{path: "ln-abs", kind: 'l', content: "/dir/sub"},
		{path: "ln-abs-root", kind: 'l', content: "/"},
		{path: "ln-out", kind: 'l', content: "../../../../etc/passwd"},
		{path: "ln-host", kind: 'l', content: "/proc/self"},
		{path: "ln-dotdot", kind: 'l', content: "dir/../dir/sub/../../one"},
		{path: "ln-dangling", kind: 'l', content: "nowhere"},
		{path: "ln-trailing", kind: 'l', content: "dir/"},
		{path: "ln-file-slash", kind: 'l', content: "one/"},
		{path: "ln-loop1", kind: 'l', content: "ln-loop2"},
		{path: "ln-loop2", kind: 'l', content: "ln-loop1"},
		{path: "ln-self", kind: 'l', content: "ln-self"},
		{path: "ln-to-ln-dir", kind: 'l', content: "ln-dir/sub"},
	}
	items = append(items, chain("ok", MaxSymlinks, "one")...)
	items = append(items, chain("bad", MaxSymlinks+1, "one")...)
	return items
}

// mustPack packs host dir root at guestDir and opens the image.
func mustPack(t testing.TB, root, guestDir string) FS {
	t.Helper()
	img, err := Pack(root, guestDir)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Open(img)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}
