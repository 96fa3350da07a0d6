package main

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/gotoro/gotoro/internal/guestcheck"
)

// testProcDotDot resolves ".." in /proc as Linux does, physically: after
// a file ENOTDIR, after a link out of /proc (cwd, root, fd/N, exe) the
// parent of where it leads, after a directory of /proc its parent; by
// stat, open, access, readlink, chdir, with a /proc descriptor or the
// working directory in /proc, and through dir's links into /proc.
func testProcDotDot(dir string) {
	sub := filepath.Join(dir, "dotdot")
	os.RemoveAll(sub)
	guestcheck.Must("mkdir dotdot", os.Mkdir(sub, 0o755))
	guestcheck.Must("write dotdot/f", os.WriteFile(filepath.Join(sub, "f"), []byte("f\n"), 0o644))
	ino := func(p string) uint64 {
		var st syscall.Stat_t
		if err := syscall.Stat(p, &st); err != nil {
			return 0
		}
		return st.Ino
	}
	// sameDir checks that p names the directory want names.
	sameDir := func(name, p, want string) {
		var a, b syscall.Stat_t
		err := syscall.Stat(p, &a)
		werr := syscall.Stat(want, &b)
		guestcheck.Check(name, err == nil && werr == nil && a.Ino == b.Ino && a.Dev == b.Dev && a.Mode&syscall.S_IFMT == syscall.S_IFDIR,
			"%v (want's %v), ino %d dev %d, want %d %d", err, werr, a.Ino, a.Dev, b.Ino, b.Dev)
	}
	stat := func(p string) error { var st syscall.Stat_t; return syscall.Stat(p, &st) }

	guestcheck.Expect("stat /proc/self/status/..", stat("/proc/self/status/.."), syscall.ENOTDIR)
	guestcheck.Expect("stat /proc/self/status/../status", stat("/proc/self/status/../status"), syscall.ENOTDIR)
	_, err := os.Open("/proc/self/status/..")
	guestcheck.Expect("open /proc/self/status/..", err, syscall.ENOTDIR)
	guestcheck.Expect("access /proc/self/status/..", syscall.Access("/proc/self/status/..", 0), syscall.ENOTDIR)
	_, err = os.Readlink("/proc/self/status/../exe")
	guestcheck.Expect("readlink /proc/self/status/../exe", err, syscall.ENOTDIR)
	guestcheck.Expect("chdir /proc/self/status/..", syscall.Chdir("/proc/self/status/.."), syscall.ENOTDIR)
	guestcheck.Expect("stat /proc/cpuinfo/..", stat("/proc/cpuinfo/.."), syscall.ENOTDIR)
	guestcheck.Expect("stat /proc/mounts/..", stat("/proc/mounts/.."), syscall.ENOTDIR)
	guestcheck.Expect("stat /proc/self/exe/..", stat("/proc/self/exe/.."), syscall.ENOTDIR)
	guestcheck.Expect("stat /proc/nosuch/..", stat("/proc/nosuch/.."), syscall.ENOENT)
	sameDir("/proc/self/fd/.. is /proc/self", "/proc/self/fd/..", "/proc/self")
	sameDir("/proc/self/.. is /proc", "/proc/self/..", "/proc")
	sameDir("/proc/.. is /", "/proc/..", "/")
	sameDir("/proc/self/root/.. is /", "/proc/self/root/..", "/")
	sameDir("/proc/self/root/../proc is /proc", "/proc/self/root/../proc", "/proc")
	same("/proc/self/net/../status", "/proc/self/net/../status", "/proc/self/status")

	// The working directory's parent through /proc/self/cwd.
	wd, err := os.Getwd()
	guestcheck.Must("getwd", err)
	guestcheck.Must("chdir dotdot", os.Chdir(sub))
	sameDir("/proc/self/cwd/.. is the working directory's parent", "/proc/self/cwd/..", dir)
	same("/proc/self/cwd/../dotdot/f", "/proc/self/cwd/../dotdot/f", filepath.Join(sub, "f"))
	guestcheck.Check("chdir /proc/self/cwd/..", os.Chdir("/proc/self/cwd/..") == nil, "")
	cwd, err := syscall.Getwd()
	guestcheck.Check("getcwd after chdir /proc/self/cwd/..", err == nil && cwd == dir, "%q, %v; want %q", cwd, err, dir)

	// fd/N/..: a directory's parent, ENOTDIR for a file or a pipe.
	d, err := syscall.Open(sub, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	guestcheck.Must("open dotdot", err)
	defer syscall.Close(d)
	sameDir("/proc/self/fd/N/.. of a directory is its parent", "/proc/self/fd/"+strconv.Itoa(d)+"/..", dir)
	f, err := syscall.Open(filepath.Join(sub, "f"), syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	guestcheck.Must("open dotdot/f", err)
	defer syscall.Close(f)
	guestcheck.Expect("stat /proc/self/fd/N/.. of a file", stat("/proc/self/fd/"+strconv.Itoa(f)+"/.."), syscall.ENOTDIR)
	var p [2]int
	guestcheck.Must("pipe", syscall.Pipe2(p[:], syscall.O_CLOEXEC))
	defer syscall.Close(p[0])
	defer syscall.Close(p[1])
	guestcheck.Expect("stat /proc/self/fd/N/.. of a pipe", stat("/proc/self/fd/"+strconv.Itoa(p[0])+"/.."), syscall.ENOTDIR)

	// Relative to a /proc descriptor and to a working directory in /proc.
	pd, err := syscall.Open("/proc/self", syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	guestcheck.Must("open /proc/self", err)
	defer syscall.Close(pd)
	var st syscall.Stat_t
	guestcheck.Expect("fstatat /proc/self descriptor, status/..", fstatat(pd, "status/..", &st, 0), syscall.ENOTDIR)
	err = fstatat(pd, "fd/..", &st, 0)
	guestcheck.Check("fstatat /proc/self descriptor, fd/.. is /proc/self", err == nil && st.Ino == ino("/proc/self"), "%v, ino %d", err, st.Ino)
	guestcheck.Must("chdir /proc/self", os.Chdir("/proc/self"))
	guestcheck.Expect("stat status/.. in /proc/self", stat("status/.."), syscall.ENOTDIR)
	guestcheck.Expect("stat ../self/status/.. in /proc/self", stat("../self/status/.."), syscall.ENOTDIR)
	guestcheck.Check("stat fd/.. in /proc/self", ino("fd/..") == ino("/proc/self"), "")
	guestcheck.Must("chdir back", os.Chdir(wd))

	// Through dir's links into /proc.
	st2 := link(dir, "dotdot-st", "/proc/self/status")
	guestcheck.Expect("stat link to /proc/self/status then ..", stat(st2+"/.."), syscall.ENOTDIR)
	pp := link(dir, "dotdot-p", "/proc")
	guestcheck.Expect("stat link to /proc then self/status/..", stat(pp+"/self/status/.."), syscall.ENOTDIR)
	sameDir("link to /proc then self/fd/.. is /proc/self", pp+"/self/fd/..", "/proc/self")
}
