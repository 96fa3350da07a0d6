package main

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/gotoro/gotoro/internal/guestcheck"
)

// testProcLinkSlash checks the links of /proc that lead out of it (cwd,
// root, exe, fd/N) named with a trailing slash: Linux follows them, as
// any symlink so named, whatever the call (lstat and readlink too), and
// a target that is no directory is ENOTDIR.
func testProcLinkSlash(dir string) {
	wd, err := os.Getwd()
	guestcheck.Must("getwd", err)
	var a, b syscall.Stat_t
	isDir := func(name, p, want string) {
		err := syscall.Lstat(p, &a)
		werr := syscall.Stat(want, &b)
		guestcheck.Check(name, err == nil && werr == nil && a.Ino == b.Ino && a.Dev == b.Dev && a.Mode&syscall.S_IFMT == syscall.S_IFDIR,
			"%v (want's %v), mode %o ino %d, want ino %d", err, werr, a.Mode, a.Ino, b.Ino)
	}
	isDir("lstat /proc/self/cwd/ is the working directory", "/proc/self/cwd/", wd)
	isDir("lstat /proc/self/cwd// is the working directory", "/proc/self/cwd//", wd)
	isDir("lstat /proc/self/root/ is /", "/proc/self/root/", "/")
	guestcheck.Expect("stat /proc/self/exe/", syscall.Stat("/proc/self/exe/", &a), syscall.ENOTDIR)
	guestcheck.Expect("access /proc/self/cwd/", syscall.Access("/proc/self/cwd/", 0), nil)
	_, err = os.Readlink("/proc/self/cwd/")
	guestcheck.Expect("readlink /proc/self/cwd/ (a directory, no link)", err, syscall.EINVAL)
	guestcheck.Expect("mkdir /proc/self/cwd/", syscall.Mkdir("/proc/self/cwd/", 0o755), syscall.EEXIST)
	f, err := os.Open(filepath.Join(dir, "procslash-file"))
	if os.IsNotExist(err) {
		guestcheck.Must("write procslash-file", os.WriteFile(filepath.Join(dir, "procslash-file"), []byte("x"), 0o644))
		f, err = os.Open(filepath.Join(dir, "procslash-file"))
	}
	guestcheck.Must("open procslash-file", err)
	defer f.Close()
	d, err := os.Open(dir)
	guestcheck.Must("open DIR", err)
	defer d.Close()
	fdPath := func(f *os.File) string { return "/proc/self/fd/" + strconv.Itoa(int(f.Fd())) + "/" }
	guestcheck.Expect("stat /proc/self/fd/N/ of a file", syscall.Stat(fdPath(f), &a), syscall.ENOTDIR)
	isDir("lstat /proc/self/fd/N/ of a directory is it", fdPath(d), dir)
	isDir("lstat /proc/self/fd/N/. of a directory is it", fdPath(d)+".", dir)
}
