package main

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/gotoro/gotoro/internal/guestcheck"
)

const (
	renameNoreplace = 1
	renameExchange  = 2
)

// testRenameExchange checks renameat2's RENAME_EXCHANGE in dir: two
// files, a file and a directory, two directories (the moved one's ".."
// is its new parent), a missing name on either side, NOREPLACE with it,
// a directory with its own descendant, a name with itself, a trailing
// slash on a file, an open file across the swap, and another file system.
func testRenameExchange(dir string) {
	in := func(name string) string { return filepath.Join(dir, name) }
	clean := func() {
		for _, n := range []string{"ex-a", "ex-b", "ex-d", "ex-e"} {
			os.RemoveAll(in(n))
		}
	}
	clean()
	defer clean()
	read := func(p string) string { b, _ := os.ReadFile(p); return string(b) }
	guestcheck.Must("write ex-a", os.WriteFile(in("ex-a"), []byte("a"), 0o644))
	guestcheck.Must("write ex-b", os.WriteFile(in("ex-b"), []byte("b"), 0o600))
	f, err := os.Open(in("ex-a"))
	guestcheck.Must("open ex-a", err)
	defer f.Close()
	guestcheck.Expect("RENAME_EXCHANGE of two files", renameat2(in("ex-a"), in("ex-b"), renameExchange), nil)
	guestcheck.Check("RENAME_EXCHANGE swapped the files' data", read(in("ex-a")) == "b" && read(in("ex-b")) == "a", "%q %q", read(in("ex-a")), read(in("ex-b")))
	fi, err := os.Stat(in("ex-a"))
	guestcheck.Check("RENAME_EXCHANGE swapped the files' modes", err == nil && fi.Mode().Perm() == 0o600, "%v, %v", fi, err)
	var fst, bst syscall.Stat_t
	guestcheck.Must("fstat the open ex-a", syscall.Fstat(int(f.Fd()), &fst))
	guestcheck.Must("stat ex-b", syscall.Stat(in("ex-b"), &bst))
	guestcheck.Check("RENAME_EXCHANGE: the open file is the one now named ex-b", fst.Ino == bst.Ino, "ino %d, ex-b's %d", fst.Ino, bst.Ino)
	link, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(f.Fd())))
	guestcheck.Check("RENAME_EXCHANGE: /proc/self/fd names the open file's new name", err == nil && link == in("ex-b"), "%q, %v", link, err)

	guestcheck.Must("mkdir ex-d", os.Mkdir(in("ex-d"), 0o755))
	guestcheck.Must("write ex-d/in", os.WriteFile(in("ex-d/in"), []byte("in"), 0o644))
	guestcheck.Expect("RENAME_EXCHANGE of a directory and a file", renameat2(in("ex-d"), in("ex-a"), renameExchange), nil)
	fi, err = os.Stat(in("ex-a"))
	guestcheck.Check("RENAME_EXCHANGE made the file's name the directory", err == nil && fi.IsDir() && read(in("ex-a/in")) == "in", "%v, %v", fi, err)
	fi, err = os.Stat(in("ex-d"))
	guestcheck.Check("RENAME_EXCHANGE made the directory's name the file", err == nil && fi.Mode().IsRegular() && read(in("ex-d")) == "b", "%v, %v", fi, err)

	// ex-a is the directory: swap ex-a/sub with the directory ex-e.
	guestcheck.Must("mkdir ex-a/sub", os.Mkdir(in("ex-a/sub"), 0o755))
	guestcheck.Must("mkdir ex-e", os.Mkdir(in("ex-e"), 0o755))
	guestcheck.Must("write ex-e/mark", os.WriteFile(in("ex-e/mark"), []byte("e"), 0o644))
	guestcheck.Expect("RENAME_EXCHANGE of two directories", renameat2(in("ex-a/sub"), in("ex-e"), renameExchange), nil)
	guestcheck.Check("RENAME_EXCHANGE moved the directory's content", read(in("ex-a/sub/mark")) == "e", "%q", read(in("ex-a/sub/mark")))
	sameDir := func(name, a, b string) {
		var sa, sb syscall.Stat_t
		ea, eb := syscall.Stat(a, &sa), syscall.Stat(b, &sb)
		guestcheck.Check(name, ea == nil && eb == nil && sa.Ino == sb.Ino && sa.Dev == sb.Dev, "%v, %v, ino %d want %d", ea, eb, sa.Ino, sb.Ino)
	}
	sameDir("RENAME_EXCHANGE: the moved-down directory's .. is its new parent", in("ex-a/sub/.."), in("ex-a"))
	sameDir("RENAME_EXCHANGE: the moved-up directory's .. is its new parent", in("ex-e/.."), dir)
	var ast syscall.Stat_t
	guestcheck.Must("stat ex-a", syscall.Stat(in("ex-a"), &ast))
	guestcheck.Check("RENAME_EXCHANGE of two directories kept the parent's link count", ast.Nlink == 3, "nlink %d", ast.Nlink)

	guestcheck.Expect("RENAME_EXCHANGE with a missing old name", renameat2(in("ex-none"), in("ex-b"), renameExchange), syscall.ENOENT)
	guestcheck.Expect("RENAME_EXCHANGE with a missing new name", renameat2(in("ex-b"), in("ex-none"), renameExchange), syscall.ENOENT)
	guestcheck.Expect("RENAME_EXCHANGE with RENAME_NOREPLACE", renameat2(in("ex-b"), in("ex-d"), renameExchange|renameNoreplace), syscall.EINVAL)
	guestcheck.Expect("RENAME_EXCHANGE of a directory with its descendant", renameat2(in("ex-a"), in("ex-a/sub"), renameExchange), syscall.EINVAL)
	guestcheck.Expect("RENAME_EXCHANGE of a descendant with its ancestor", renameat2(in("ex-a/sub"), in("ex-a"), renameExchange), syscall.EINVAL)
	guestcheck.Expect("RENAME_EXCHANGE of a name with itself", renameat2(in("ex-b"), in("ex-b"), renameExchange), nil)
	guestcheck.Expect("RENAME_EXCHANGE of a file named with a trailing slash", renameat2(in("ex-b")+"/", in("ex-a"), renameExchange), syscall.ENOTDIR)
	guestcheck.Expect("RENAME_EXCHANGE of a directory with a trailing slash", renameat2(in("ex-e")+"/", in("ex-b"), renameExchange), nil)
	fi, err = os.Stat(in("ex-b"))
	guestcheck.Check("RENAME_EXCHANGE with a trailing slash swapped", err == nil && fi.IsDir(), "%v, %v", fi, err)
	guestcheck.Expect("RENAME_EXCHANGE with /proc", renameat2(in("ex-b"), "/proc/self/status", renameExchange), syscall.EXDEV)
}

// testShareExchange checks RENAME_EXCHANGE of two files on the share.
func testShareExchange(share string) {
	a, b := filepath.Join(share, "ex-a"), filepath.Join(share, "ex-b")
	guestcheck.Must("write ex-a on the share", os.WriteFile(a, []byte("a"), 0o644))
	guestcheck.Must("write ex-b on the share", os.WriteFile(b, []byte("b"), 0o644))
	defer os.Remove(a)
	defer os.Remove(b)
	guestcheck.Expect("RENAME_EXCHANGE on the share", renameat2(a, b, renameExchange), nil)
	x, _ := os.ReadFile(a)
	y, _ := os.ReadFile(b)
	guestcheck.Check("RENAME_EXCHANGE on the share swapped the files", string(x) == "b" && string(y) == "a", "%q %q", x, y)
	guestcheck.Expect("RENAME_EXCHANGE on the share with a missing name", renameat2(a, filepath.Join(share, "ex-none"), renameExchange), syscall.ENOENT)
}
