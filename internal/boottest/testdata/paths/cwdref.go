package main

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"

	"github.com/gotoro/gotoro/internal/guestcheck"
)

// testCwdRef checks that the working directory is the directory, not
// its path: after its parent is renamed getcwd, /proc/self/cwd and
// relative names follow it; after it is removed "." still stats as it
// (nlink 0), getcwd is ENOENT, /proc/self/cwd reads "PATH (deleted)", a
// relative name is ENOENT (nothing can be made there) and ".." is the
// directory it was removed from.
func testCwdRef(dir string) {
	wd, err := os.Getwd()
	guestcheck.Must("getwd", err)
	defer os.Chdir(wd)
	in := func(name string) string { return filepath.Join(dir, name) }
	os.RemoveAll(in("cw-p"))
	os.RemoveAll(in("cw-q"))
	defer os.RemoveAll(in("cw-p"))
	defer os.RemoveAll(in("cw-q"))
	guestcheck.Must("mkdir cw-p/c", os.MkdirAll(in("cw-p/c"), 0o755))
	guestcheck.Must("write cw-p/c/f", os.WriteFile(in("cw-p/c/f"), []byte("f"), 0o644))
	guestcheck.Must("chdir cw-p/c", os.Chdir(in("cw-p/c")))
	var before syscall.Stat_t
	guestcheck.Must("stat .", syscall.Stat(".", &before))

	guestcheck.Must("rename cw-p cw-q", os.Rename(in("cw-p"), in("cw-q")))
	cwd, err := syscall.Getwd()
	guestcheck.Check("getcwd after the working directory's parent was renamed", err == nil && cwd == in("cw-q/c"), "%q, %v", cwd, err)
	t, err := os.Readlink("/proc/self/cwd")
	guestcheck.Check("/proc/self/cwd after the working directory's parent was renamed", err == nil && t == in("cw-q/c"), "%q, %v", t, err)
	b, err := os.ReadFile("f")
	guestcheck.Check("a relative name after the working directory's parent was renamed", err == nil && string(b) == "f", "%q, %v", b, err)
	var st syscall.Stat_t
	err = syscall.Stat(".", &st)
	guestcheck.Check("stat . after the working directory's parent was renamed", err == nil && st.Ino == before.Ino, "%v", err)
	err = syscall.Stat("..", &st)
	var q syscall.Stat_t
	syscall.Stat(in("cw-q"), &q)
	guestcheck.Check("stat .. after the working directory's parent was renamed", err == nil && st.Ino == q.Ino, "%v", err)

	guestcheck.Must("rename cw-q/c cw-q/d", os.Rename(in("cw-q/c"), in("cw-q/d")))
	cwd, err = syscall.Getwd()
	guestcheck.Check("getcwd after the working directory was renamed", err == nil && cwd == in("cw-q/d"), "%q, %v", cwd, err)

	// Removed.
	guestcheck.Must("remove f", os.Remove("f"))
	guestcheck.Must("rmdir the working directory", syscall.Rmdir(in("cw-q/d")))
	err = syscall.Stat(".", &st)
	guestcheck.Check("stat . of a removed working directory", err == nil && st.Mode&syscall.S_IFMT == syscall.S_IFDIR && st.Ino == before.Ino && st.Nlink == 0, "%v, nlink %d", err, st.Nlink)
	_, err = syscall.Getwd()
	guestcheck.Expect("getcwd of a removed working directory", err, syscall.ENOENT)
	t, err = os.Readlink("/proc/self/cwd")
	guestcheck.Check("/proc/self/cwd of a removed working directory", err == nil && t == in("cw-q/d")+" (deleted)", "%q, %v", t, err)
	_, err = os.Stat("f")
	guestcheck.Expect("stat of a name in a removed working directory", err, syscall.ENOENT)
	_, err = os.Create("g")
	guestcheck.Expect("create in a removed working directory", err, syscall.ENOENT)
	guestcheck.Expect("mkdir in a removed working directory", syscall.Mkdir("h", 0o755), syscall.ENOENT)
	f, err := os.Open(".")
	if err == nil {
		_, err2 := f.Readdirnames(-1)
		guestcheck.Expect("readdir of a removed working directory", errors.Unwrap(err2), syscall.ENOENT)
		f.Close()
	} else {
		guestcheck.Check("open . of a removed working directory", false, "%v", err)
	}
	err = syscall.Stat("/proc/self/cwd", &st)
	guestcheck.Check("stat /proc/self/cwd of a removed working directory", err == nil && st.Ino == before.Ino && st.Nlink == 0, "%v, nlink %d", err, st.Nlink)
	err = syscall.Stat("/proc/self/cwd/..", &st)
	guestcheck.Check("stat /proc/self/cwd/.. of a removed working directory", err == nil && st.Ino == q.Ino, "%v", err)
	_, err = os.Stat("/proc/self/cwd/f")
	guestcheck.Expect("stat /proc/self/cwd/NAME of a removed working directory", err, syscall.ENOENT)
	err = syscall.Stat("..", &st)
	guestcheck.Check("stat .. of a removed working directory is where it was", err == nil && st.Ino == q.Ino, "%v", err)
	err = syscall.Stat("../../cw-q", &st)
	guestcheck.Check("stat ../../cw-q from a removed working directory", err == nil && st.Ino == q.Ino, "%v", err)
	guestcheck.Check("chdir .. from a removed working directory", syscall.Chdir("..") == nil, "")
	cwd, err = syscall.Getwd()
	guestcheck.Check("getcwd after chdir .. from a removed working directory", err == nil && cwd == in("cw-q"), "%q, %v", cwd, err)
}
