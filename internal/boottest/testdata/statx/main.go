// Command statx checks statx(2) through golang.org/x/sys/unix: every
// form of naming a file (AT_FDCWD with an absolute or a relative path, a
// directory descriptor, AT_EMPTY_PATH on a file, a directory, a pipe, a
// socket, an eventfd, a device and a /proc file, a NULL path), symlinks
// with and without AT_SYMLINK_NOFOLLOW, links from a writable directory
// into /proc and /dev, the flags and mask it accepts and refuses, and bad
// addresses. Usage:
//
//	statx DIR RO_FILE [SHARE]
//
// makes its files in DIR/statx (DIR writable); RO_FILE is a file it
// may only read (the packed tree in the guest); SHARE a directory of
// another file system (a virtio-fs share in the guest) holding a file
// named ro.txt, which it stats directly and through a link. The same program runs
// natively on Linux, the oracle: both must print the same checks, and a
// check's line carries what is comparable between the two systems (file
// type, permissions, size, link count, device numbers of devices, the
// basic bits of stx_mask), not inode numbers or times. Every statx answer
// is also compared with fstatat's of the same file on the same system.
// Every check prints "ok NAME" or "FAIL NAME: why"; the end prints
// "statx ok" if none failed, else exits 1.
package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unsafe"

	"github.com/gotoro/gotoro/internal/guestcheck"
	"golang.org/x/sys/unix"
)

func main() {
	guestcheck.KeepGoing()
	if len(os.Args) < 3 {
		fmt.Println("usage: statx DIR RO_FILE")
		os.Exit(2)
	}
	ro, err := filepath.Abs(os.Args[2])
	guestcheck.Must("absolute path of "+os.Args[2], err)
	// A directory of known permissions (DIR's differ: /tmp's 1777).
	dir := filepath.Join(os.Args[1], "statx")
	guestcheck.Must("remove "+dir, os.RemoveAll(dir))
	guestcheck.Must("mkdir "+dir, os.Mkdir(dir, 0o700))
	guestcheck.Must("chmod "+dir, os.Chmod(dir, 0o755))
	testPathForms(dir, ro)
	testDescriptors(dir)
	testLinks(dir)
	testFlags(dir)
	testAddresses(dir)
	mounted := [][2]string{{"/", "/"}, {"/proc", "/proc"}, {"/proc/self", "/proc/self"}, {"/proc/self/status", "/proc/self/status"},
		{"a file of DIR", filepath.Join(dir, "file")}, {"RO_FILE", ro}}
	if len(os.Args) > 3 {
		share, err := filepath.Abs(os.Args[3])
		guestcheck.Must("absolute path of "+os.Args[3], err)
		testShare(dir, share)
		mounted = append(mounted, [2]string{"SHARE/ro.txt", share + "/ro.txt"}, [2]string{"SHARE", share})
	}
	testMounts(mounted...)
	guestcheck.Done("statx ok")
}

// basic is STATX_BASIC_STATS: what every file system fills.
const basic = unix.STATX_BASIC_STATS

// describe is what of a statx answer Linux and the guest share: the type
// and permissions, and for the kinds whose size and link count do not
// depend on the file system (a regular file, a symlink, a device, a file
// of /proc) those, and a device's number.
func describe(x *unix.Statx_t) string {
	mode := uint32(x.Mode)
	s := fmt.Sprintf("%s %04o", typeName(mode), mode&0o7777)
	switch mode & unix.S_IFMT {
	case unix.S_IFREG, unix.S_IFLNK:
		s += fmt.Sprintf(" size %d nlink %d", x.Size, x.Nlink)
	case unix.S_IFCHR, unix.S_IFBLK:
		s += fmt.Sprintf(" rdev %d:%d nlink %d", x.Rdev_major, x.Rdev_minor, x.Nlink)
	}
	return s + fmt.Sprintf(" mask basic=%v", x.Mask&basic == basic)
}

func typeName(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return "file"
	case unix.S_IFDIR:
		return "dir"
	case unix.S_IFLNK:
		return "link"
	case unix.S_IFCHR:
		return "chardev"
	case unix.S_IFBLK:
		return "blockdev"
	case unix.S_IFIFO:
		return "fifo"
	case unix.S_IFSOCK:
		return "socket"
	}
	return "type" + strconv.FormatUint(uint64(mode&unix.S_IFMT), 8)
}

// agrees reports how x differs from fstatat's st of the same file (empty
// if in nothing).
func agrees(x *unix.Statx_t, st *unix.Stat_t) string {
	var d []string
	diff := func(name string, a, b uint64) {
		if a != b {
			d = append(d, fmt.Sprintf("%s %d, fstatat %d", name, a, b))
		}
	}
	diff("mode", uint64(x.Mode), uint64(st.Mode))
	diff("nlink", uint64(x.Nlink), st.Nlink)
	diff("uid", uint64(x.Uid), uint64(st.Uid))
	diff("gid", uint64(x.Gid), uint64(st.Gid))
	diff("ino", x.Ino, st.Ino)
	diff("size", x.Size, uint64(st.Size))
	diff("blocks", x.Blocks, uint64(st.Blocks))
	diff("blksize", uint64(x.Blksize), uint64(st.Blksize))
	diff("dev major", uint64(x.Dev_major), uint64(unix.Major(st.Dev)))
	diff("dev minor", uint64(x.Dev_minor), uint64(unix.Minor(st.Dev)))
	diff("rdev major", uint64(x.Rdev_major), uint64(unix.Major(st.Rdev)))
	diff("rdev minor", uint64(x.Rdev_minor), uint64(unix.Minor(st.Rdev)))
	diff("mtime", uint64(x.Mtime.Sec), uint64(st.Mtim.Sec))
	diff("mtime ns", uint64(x.Mtime.Nsec), uint64(st.Mtim.Nsec))
	diff("ctime", uint64(x.Ctime.Sec), uint64(st.Ctim.Sec))
	diff("ctime ns", uint64(x.Ctime.Nsec), uint64(st.Ctim.Nsec))
	return strings.Join(d, "; ")
}

// same stats (dirfd, path) with statx and with fstatat and checks that
// both answer, that they agree, and that statx's answer is what the name
// says (so the oracle's answer is the guest's).
func same(name string, dirfd int, path string, flags int) {
	var x unix.Statx_t
	err := unix.Statx(dirfd, path, flags, unix.STATX_BASIC_STATS, &x)
	if err != nil {
		guestcheck.Check(name, false, "statx: %v", err)
		return
	}
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, path, &st, flags&^(unix.AT_NO_AUTOMOUNT|unix.AT_STATX_FORCE_SYNC|unix.AT_STATX_DONT_SYNC)); err != nil {
		guestcheck.Check(name, false, "fstatat: %v", err)
		return
	}
	d := agrees(&x, &st)
	guestcheck.Check(name+": "+describe(&x), d == "", "%s", d)
}

// fails checks that statx of (dirfd, path) answers want.
func fails(name string, dirfd int, path string, flags, mask int, want error) {
	var x unix.Statx_t
	guestcheck.Expect(name, unix.Statx(dirfd, path, flags, mask, &x), want)
}

// testPathForms names files by every path form: absolute, relative to
// the working directory and to a directory descriptor, AT_EMPTY_PATH
// with AT_FDCWD, "." and "..", a trailing slash.
func testPathForms(dir, ro string) {
	f := filepath.Join(dir, "file")
	guestcheck.Must("write file", os.WriteFile(f, []byte("hello"), 0o600))
	guestcheck.Must("chmod file", os.Chmod(f, 0o640))
	sub := filepath.Join(dir, "sub")
	os.RemoveAll(sub)
	guestcheck.Must("mkdir sub", os.Mkdir(sub, 0o700))
	guestcheck.Must("chmod sub", os.Chmod(sub, 0o750))
	same("absolute path of a file", unix.AT_FDCWD, f, 0)
	same("absolute path of a directory", unix.AT_FDCWD, sub, 0)
	same("absolute path with a trailing slash", unix.AT_FDCWD, sub+"/", 0)
	same("absolute path through ..", unix.AT_FDCWD, sub+"/../file", 0)
	same("file of the read-only tree", unix.AT_FDCWD, ro, 0)
	same("/proc/self/status", unix.AT_FDCWD, "/proc/self/status", 0)
	same("/proc/self", unix.AT_FDCWD, "/proc/self", 0)
	same("/proc/self with AT_SYMLINK_NOFOLLOW", unix.AT_FDCWD, "/proc/self", unix.AT_SYMLINK_NOFOLLOW)
	same("/proc/self/fd", unix.AT_FDCWD, "/proc/self/fd", 0)
	same("/proc/mounts with AT_SYMLINK_NOFOLLOW", unix.AT_FDCWD, "/proc/mounts", unix.AT_SYMLINK_NOFOLLOW)
	same("/proc/self/exe with AT_SYMLINK_NOFOLLOW", unix.AT_FDCWD, "/proc/self/exe", unix.AT_SYMLINK_NOFOLLOW)
	same("/proc/self/root with AT_SYMLINK_NOFOLLOW", unix.AT_FDCWD, "/proc/self/root", unix.AT_SYMLINK_NOFOLLOW)
	same("/dev/null", unix.AT_FDCWD, "/dev/null", 0)
	// A file every system has: its three times are set.
	var h unix.Statx_t
	err := unix.Statx(unix.AT_FDCWD, "/etc/hosts", 0, basic, &h)
	guestcheck.Check("/etc/hosts has an atime, an mtime and a ctime", err == nil && h.Atime.Sec > 0 && h.Mtime.Sec > 0 && h.Ctime.Sec > 0,
		"%v, %d, %d, %d", err, h.Atime.Sec, h.Mtime.Sec, h.Ctime.Sec)
	same("/dev/zero", unix.AT_FDCWD, "/dev/zero", 0)
	fails("missing file", unix.AT_FDCWD, filepath.Join(dir, "nosuch"), 0, basic, unix.ENOENT)
	fails("file as a directory", unix.AT_FDCWD, f+"/x", 0, basic, unix.ENOTDIR)
	fails("file with a trailing slash", unix.AT_FDCWD, f+"/", 0, basic, unix.ENOTDIR)
	fails("empty path without AT_EMPTY_PATH", unix.AT_FDCWD, "", 0, basic, unix.ENOENT)

	wd, err := os.Getwd()
	guestcheck.Must("getwd", err)
	guestcheck.Must("chdir "+dir, os.Chdir(dir))
	same("relative path of a file", unix.AT_FDCWD, "file", 0)
	same("relative path of a directory", unix.AT_FDCWD, "sub", 0)
	same("relative .", unix.AT_FDCWD, ".", 0)
	same("relative sub/..", unix.AT_FDCWD, "sub/..", 0)
	same("AT_FDCWD, empty path and AT_EMPTY_PATH: the working directory", unix.AT_FDCWD, "", unix.AT_EMPTY_PATH)
	same("/proc/self/cwd/file", unix.AT_FDCWD, "/proc/self/cwd/file", 0)
	guestcheck.Must("chdir /proc/self", os.Chdir("/proc/self"))
	same("relative status in /proc/self", unix.AT_FDCWD, "status", 0)
	same("relative fd in /proc/self", unix.AT_FDCWD, "fd", 0)
	guestcheck.Must("chdir back", os.Chdir(wd))

	d, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	guestcheck.Must("open "+dir, err)
	defer unix.Close(d)
	same("directory descriptor and a file's name", d, "file", 0)
	same("directory descriptor and sub/", d, "sub/", 0)
	same("directory descriptor and an absolute path", d, "/proc/self/status", 0)
	fails("directory descriptor and a missing name", d, "nosuch", 0, basic, unix.ENOENT)
	pd, err := unix.Open("/proc/self", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	guestcheck.Must("open /proc/self", err)
	defer unix.Close(pd)
	same("/proc/self descriptor and status", pd, "status", 0)
	same("/proc/self descriptor and fd", pd, "fd", 0)
	fd, err := unix.Open(f, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	guestcheck.Must("open file", err)
	defer unix.Close(fd)
	fails("file descriptor as the directory", fd, "x", 0, basic, unix.ENOTDIR)
	fails("closed descriptor as the directory", 1000, "x", 0, basic, unix.EBADF)
	fails("closed descriptor with AT_EMPTY_PATH", 1000, "", unix.AT_EMPTY_PATH, basic, unix.EBADF)
}

// emptyPath is statx(fd, "", AT_EMPTY_PATH) checked against fstat's.
func emptyPath(name string, fd int) {
	var x unix.Statx_t
	if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH, basic, &x); err != nil {
		guestcheck.Check(name, false, "statx: %v", err)
		return
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		guestcheck.Check(name, false, "fstat: %v", err)
		return
	}
	d := agrees(&x, &st)
	guestcheck.Check(name+": "+describe(&x), d == "", "%s", d)
	// A NULL path with AT_EMPTY_PATH (Linux 6.11 on) names fd too.
	var y unix.Statx_t
	_, _, e := unix.Syscall6(unix.SYS_STATX, uintptr(fd), 0, unix.AT_EMPTY_PATH, basic, uintptr(unsafe.Pointer(&y)), 0)
	guestcheck.Check(name+", NULL path", e == 0 && y.Ino == x.Ino && y.Mode == x.Mode, "%v, mode %o", e, y.Mode)
}

// testDescriptors uses AT_EMPTY_PATH on every kind of descriptor.
func testDescriptors(dir string) {
	open := func(p string, flags int) int {
		fd, err := unix.Open(p, flags|unix.O_CLOEXEC, 0)
		guestcheck.Must("open "+p, err)
		return fd
	}
	fds := []int{}
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	add := func(fd int) int { fds = append(fds, fd); return fd }
	emptyPath("AT_EMPTY_PATH on a file", add(open(filepath.Join(dir, "file"), unix.O_RDONLY)))
	emptyPath("AT_EMPTY_PATH on a directory", add(open(dir, unix.O_RDONLY|unix.O_DIRECTORY)))
	// A removed file still open: no name left, nlink 0.
	gone := filepath.Join(dir, "gone")
	guestcheck.Must("write "+gone, os.WriteFile(gone, []byte("gone"), 0o640))
	gfd := add(open(gone, unix.O_RDONLY))
	guestcheck.Must("remove "+gone, os.Remove(gone))
	emptyPath("AT_EMPTY_PATH on a removed file", gfd)
	same("/proc/self/fd/N of a removed file", unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(gfd), 0)
	gdir := filepath.Join(dir, "gonedir")
	guestcheck.Must("mkdir "+gdir, os.Mkdir(gdir, 0o750))
	gdfd := add(open(gdir, unix.O_RDONLY|unix.O_DIRECTORY))
	guestcheck.Must("remove "+gdir, os.Remove(gdir))
	emptyPath("AT_EMPTY_PATH on a removed directory", gdfd)
	emptyPath("AT_EMPTY_PATH on /dev/null", add(open("/dev/null", unix.O_RDWR)))
	emptyPath("AT_EMPTY_PATH on /proc/self/status", add(open("/proc/self/status", unix.O_RDONLY)))
	emptyPath("AT_EMPTY_PATH on /proc/self/fd", add(open("/proc/self/fd", unix.O_RDONLY|unix.O_DIRECTORY)))
	var p [2]int
	guestcheck.Must("pipe", unix.Pipe2(p[:], unix.O_CLOEXEC))
	add(p[0])
	add(p[1])
	guestcheck.Must("write pipe", writeAll(p[1], "abc"))
	emptyPath("AT_EMPTY_PATH on a pipe's read end", p[0])
	emptyPath("AT_EMPTY_PATH on a pipe's write end", p[1])
	s, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	guestcheck.Must("socketpair", err)
	add(s[0])
	add(s[1])
	emptyPath("AT_EMPTY_PATH on a unix socket", s[0])
	ev, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
	guestcheck.Must("eventfd", err)
	emptyPath("AT_EMPTY_PATH on an eventfd", add(ev))
	t, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	guestcheck.Must("socket", err)
	emptyPath("AT_EMPTY_PATH on a TCP socket", add(t))
	u, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	guestcheck.Must("socket", err)
	emptyPath("AT_EMPTY_PATH on a UDP socket", add(u))
	in, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	guestcheck.Must("inotify_init1", err)
	emptyPath("AT_EMPTY_PATH on an inotify instance", add(in))
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	guestcheck.Must("epoll_create1", err)
	emptyPath("AT_EMPTY_PATH on an epoll instance", add(ep))
	// /proc/self/fd/N: the descriptor's access in the link's mode.
	w := add(open(filepath.Join(dir, "file"), unix.O_WRONLY))
	rw := add(open(filepath.Join(dir, "file"), unix.O_RDWR))
	for _, c := range []struct {
		name string
		fd   int
	}{{"read-only", fds[0]}, {"write-only", w}, {"read-write", rw}, {"pipe's read end", p[0]}, {"pipe's write end", p[1]}} {
		same("/proc/self/fd/N of a "+c.name+" descriptor, AT_SYMLINK_NOFOLLOW", unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(c.fd), unix.AT_SYMLINK_NOFOLLOW)
	}
	// Pipes and sockets: an inode of their own, the number
	// /proc/self/fd/N names; a pipe's two ends share it.
	var p2 [2]int
	guestcheck.Must("pipe", unix.Pipe2(p2[:], unix.O_CLOEXEC))
	add(p2[0])
	add(p2[1])
	ino := func(fd int) uint64 {
		var x unix.Statx_t
		if err := unix.Statx(fd, "", unix.AT_EMPTY_PATH, basic, &x); err != nil {
			return 0
		}
		return x.Ino
	}
	named := func(fd int, kind string) string {
		l, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
		if err != nil {
			return err.Error()
		}
		return strconv.FormatBool(l == kind+":["+strconv.FormatUint(ino(fd), 10)+"]")
	}
	guestcheck.Check("a pipe's ends share an inode", ino(p[0]) != 0 && ino(p[0]) == ino(p[1]), "%d, %d", ino(p[0]), ino(p[1]))
	guestcheck.Check("two pipes' inodes differ", ino(p2[0]) != 0 && ino(p2[0]) != ino(p[0]), "%d, %d", ino(p2[0]), ino(p[0]))
	for _, c := range []struct {
		name, kind string
		fd         int
	}{
		{"a pipe's read end", "pipe", p[0]}, {"a pipe's write end", "pipe", p[1]}, {"a unix socket", "socket", s[0]},
		{"a TCP socket", "socket", t}, {"a UDP socket", "socket", u},
	} {
		got := named(c.fd, c.kind)
		guestcheck.Check("/proc/self/fd/N of "+c.name+" names its inode", got == "true", "%s", got)
	}
	inos := map[uint64]bool{ino(s[0]): true, ino(s[1]): true, ino(t): true, ino(u): true}
	guestcheck.Check("four sockets, four inodes", len(inos) == 4 && !inos[0], "%v", inos)
	// A number is not handed out again: a pipe or socket made after one
	// is closed (in the slot it freed) has an inode of its own.
	for _, c := range []struct {
		name string
		make func() ([]int, error)
	}{
		{"pipe", func() ([]int, error) { var q [2]int; err := unix.Pipe2(q[:], unix.O_CLOEXEC); return q[:], err }},
		{"unix socket", func() ([]int, error) {
			q, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			return q[:], err
		}},
		{"TCP socket", func() ([]int, error) {
			fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			return []int{fd}, err
		}},
	} {
		old, err := c.make()
		guestcheck.Must(c.name, err)
		was := ino(old[0])
		for _, fd := range old {
			unix.Close(fd)
		}
		fresh, err := c.make()
		guestcheck.Must(c.name, err)
		now := ino(fresh[0])
		for _, fd := range fresh {
			unix.Close(fd)
		}
		guestcheck.Check("a new "+c.name+" after one closed: another inode", was != 0 && now != 0 && now != was, "%d, then %d", was, now)
	}

	// With a path, AT_EMPTY_PATH changes nothing.
	same("AT_EMPTY_PATH with a path", unix.AT_FDCWD, filepath.Join(dir, "file"), unix.AT_EMPTY_PATH)
}

func writeAll(fd int, s string) error {
	_, err := unix.Write(fd, []byte(s))
	return err
}

// testLinks stats symlinks with and without AT_SYMLINK_NOFOLLOW, and
// links from dir into /proc, /dev and back.
func testLinks(dir string) {
	link := func(name, target string) string {
		p := filepath.Join(dir, name)
		os.Remove(p)
		guestcheck.Must("symlink "+name, os.Symlink(target, p))
		return p
	}
	l := link("lfile", "file")
	same("link to a file", unix.AT_FDCWD, l, 0)
	same("link to a file, AT_SYMLINK_NOFOLLOW", unix.AT_FDCWD, l, unix.AT_SYMLINK_NOFOLLOW)
	dangling := link("dangling", "nosuch")
	fails("dangling link", unix.AT_FDCWD, dangling, 0, basic, unix.ENOENT)
	same("dangling link, AT_SYMLINK_NOFOLLOW", unix.AT_FDCWD, dangling, unix.AT_SYMLINK_NOFOLLOW)
	st := link("st", "/proc/self/status")
	same("link to /proc/self/status", unix.AT_FDCWD, st, 0)
	same("link to /proc/self/status, AT_SYMLINK_NOFOLLOW", unix.AT_FDCWD, st, unix.AT_SYMLINK_NOFOLLOW)
	null := link("null", "/dev/null")
	same("link to /dev/null", unix.AT_FDCWD, null, 0)
	p := link("p", "/proc")
	same("link to /proc then self/fd", unix.AT_FDCWD, p+"/self/fd", 0)
	same("link to /proc then self/status", unix.AT_FDCWD, p+"/self/status", 0)
	same("link to /proc then self/cwd, AT_SYMLINK_NOFOLLOW", unix.AT_FDCWD, p+"/self/cwd", unix.AT_SYMLINK_NOFOLLOW)
	fails("link to /proc then self/status/x", unix.AT_FDCWD, p+"/self/status/x", 0, basic, unix.ENOTDIR)
	chain := link("chain", filepath.Join(dir, "st"))
	same("chain of links to /proc/self/status", unix.AT_FDCWD, chain, 0)
	loop := link("loop", "loop")
	fails("link to itself", unix.AT_FDCWD, loop, 0, basic, unix.ELOOP)
	same("link to itself, AT_SYMLINK_NOFOLLOW", unix.AT_FDCWD, loop, unix.AT_SYMLINK_NOFOLLOW)
}

// testShare stats a file of a share and the share's root, by path, by
// descriptor and through a link from the writable directory.
func testShare(dir, share string) {
	f := share + "/ro.txt"
	l := filepath.Join(dir, "share-link")
	os.Remove(l)
	guestcheck.Must("symlink share-link", os.Symlink(f, l))
	same("link to a share's file", unix.AT_FDCWD, l, 0)
	same("share's file", unix.AT_FDCWD, f, 0)
	same("share's root", unix.AT_FDCWD, share, 0)
	same("share's root with a trailing slash", unix.AT_FDCWD, share+"/", 0)
	same("share's file, AT_SYMLINK_NOFOLLOW", unix.AT_FDCWD, f, unix.AT_SYMLINK_NOFOLLOW)
	d, err := unix.Open(share, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	guestcheck.Must("open "+share, err)
	defer unix.Close(d)
	same("share's descriptor and ro.txt", d, "ro.txt", 0)
	fd, err := unix.Open(f, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	guestcheck.Must("open "+f, err)
	defer unix.Close(fd)
	emptyPath("AT_EMPTY_PATH on a share's file", fd)
	fails("share's missing file", unix.AT_FDCWD, share+"/nosuch", 0, basic, unix.ENOENT)
}

// testFlags checks the flags and masks statx accepts and refuses, the
// answer's mask, and nanoseconds in times.
func testFlags(dir string) {
	f := filepath.Join(dir, "file")
	for _, c := range []struct {
		name  string
		flags int
	}{
		{"AT_NO_AUTOMOUNT", unix.AT_NO_AUTOMOUNT},
		{"AT_STATX_FORCE_SYNC", unix.AT_STATX_FORCE_SYNC},
		{"AT_STATX_DONT_SYNC", unix.AT_STATX_DONT_SYNC},
		{"AT_STATX_SYNC_AS_STAT", unix.AT_STATX_SYNC_AS_STAT},
		{"every accepted flag but one sync type", unix.AT_SYMLINK_NOFOLLOW | unix.AT_NO_AUTOMOUNT | unix.AT_EMPTY_PATH | unix.AT_STATX_DONT_SYNC},
	} {
		same("flag "+c.name, unix.AT_FDCWD, f, c.flags)
	}
	fails("both sync types", unix.AT_FDCWD, f, unix.AT_STATX_FORCE_SYNC|unix.AT_STATX_DONT_SYNC, basic, unix.EINVAL)
	fails("AT_REMOVEDIR", unix.AT_FDCWD, f, unix.AT_REMOVEDIR, basic, unix.EINVAL)
	fails("unknown flag 0x1", unix.AT_FDCWD, f, 1, basic, unix.EINVAL)
	fails("unknown flag 1<<30", unix.AT_FDCWD, f, 1<<30, basic, unix.EINVAL)
	fails("mask STATX__RESERVED", unix.AT_FDCWD, f, 0, unix.STATX__RESERVED, unix.EINVAL)
	fails("mask STATX__RESERVED with others", unix.AT_FDCWD, f, 0, unix.STATX_ALL|unix.STATX__RESERVED, unix.EINVAL)

	for _, m := range []struct {
		name string
		mask int
	}{
		{"0", 0}, {"STATX_TYPE", unix.STATX_TYPE}, {"STATX_ALL", unix.STATX_ALL}, {"every bit but the reserved", 0x7fffffff},
	} {
		var x unix.Statx_t
		err := unix.Statx(unix.AT_FDCWD, f, 0, m.mask, &x)
		// Linux fills more than asked; which times a file system adds
		// unasked varies, so the check is on what every one adds.
		const always = unix.STATX_TYPE | unix.STATX_MODE | unix.STATX_INO | unix.STATX_SIZE
		guestcheck.Check("mask "+m.name+" answers type, mode, ino and size", err == nil && x.Mask&always == always && x.Size == 5,
			"%v, mask %#x, size %d", err, x.Mask, x.Size)
	}

	// Times with nanoseconds, as set.
	ts := []unix.Timespec{{Sec: 1700000000, Nsec: 123456789}, {Sec: 1700000001, Nsec: 987654321}}
	guestcheck.Must("utimensat", unix.UtimesNanoAt(unix.AT_FDCWD, f, ts, 0))
	var x unix.Statx_t
	err := unix.Statx(unix.AT_FDCWD, f, 0, basic, &x)
	guestcheck.Check("mtime with nanoseconds", err == nil && x.Mtime.Sec == 1700000001 && x.Mtime.Nsec == 987654321,
		"%v, %d.%09d", err, x.Mtime.Sec, x.Mtime.Nsec)
	same("times agree with fstatat's after utimensat", unix.AT_FDCWD, f, 0)
	// Size and blocks grow with the file.
	guestcheck.Must("write 10000 bytes", os.WriteFile(f, make([]byte, 10000), 0o640))
	err = unix.Statx(unix.AT_FDCWD, f, 0, basic, &x)
	guestcheck.Check("size and blocks after a write", err == nil && x.Size == 10000 && x.Blocks*512 >= 10000,
		"%v, size %d, blocks %d", err, x.Size, x.Blocks)
	guestcheck.Must("write file back", os.WriteFile(f, []byte("hello"), 0o640))
}

// answer is a statx buffer passed by address: a global, which a stack's
// growth cannot move.
var answer unix.Statx_t

// testAddresses passes bad addresses: the path's is EFAULT before any
// lookup, the buffer's after it.
func testAddresses(dir string) {
	f := filepath.Join(dir, "file")
	raw := func(dirfd int, path uintptr, flags int, buf uintptr) error {
		_, _, e := unix.Syscall6(unix.SYS_STATX, uintptr(dirfd), path, uintptr(flags), basic, buf, 0)
		if e != 0 {
			return e
		}
		return nil
	}
	pf, err := unix.BytePtrFromString(f)
	guestcheck.Must("path", err)
	pm, err := unix.BytePtrFromString(filepath.Join(dir, "nosuch"))
	guestcheck.Must("path", err)
	var x unix.Statx_t
	good := uintptr(unsafe.Pointer(&x))
	fp, fm := uintptr(unsafe.Pointer(pf)), uintptr(unsafe.Pointer(pm))
	guestcheck.Expect("NULL buffer", raw(unix.AT_FDCWD, fp, 0, 0), unix.EFAULT)
	guestcheck.Expect("buffer at a kernel address", raw(unix.AT_FDCWD, fp, 0, 0xffffffff81000000), unix.EFAULT)
	guestcheck.Expect("buffer at a non-canonical address", raw(unix.AT_FDCWD, fp, 0, 0x0000800000000000), unix.EFAULT)
	guestcheck.Expect("NULL path", raw(unix.AT_FDCWD, 0, 0, good), unix.EFAULT)
	guestcheck.Expect("path at a kernel address", raw(unix.AT_FDCWD, 0xffffffff81000000, 0, good), unix.EFAULT)
	guestcheck.Expect("missing file and a NULL buffer: the lookup fails first", raw(unix.AT_FDCWD, fm, 0, 0), unix.ENOENT)
	// The mask and the flags are checked before the path is.
	rawMask := func(path uintptr, flags, mask int) error {
		dirfd := unix.AT_FDCWD
		_, _, e := unix.Syscall6(unix.SYS_STATX, uintptr(dirfd), path, uintptr(flags), uintptr(mask), uintptr(unsafe.Pointer(&answer)), 0)
		if e != 0 {
			return e
		}
		return nil
	}
	guestcheck.Expect("NULL path and an unknown flag: the flags first", rawMask(0, 1, basic), unix.EINVAL)
	guestcheck.Expect("NULL path and both sync types: the flags first", rawMask(0, unix.AT_STATX_FORCE_SYNC|unix.AT_STATX_DONT_SYNC, basic), unix.EINVAL)
	guestcheck.Expect("NULL path and STATX__RESERVED: the mask first", rawMask(0, 0, unix.STATX__RESERVED), unix.EINVAL)
	guestcheck.Expect("path at a kernel address and an unknown flag: the flags first", rawMask(0xffffffff81000000, 1<<30, basic), unix.EINVAL)
	// PATH_MAX (4096) counts the NUL: 4095 bytes are a path, 4096 too long.
	for _, c := range []struct {
		name  string
		n     int
		flags int
		want  error
	}{
		{"path of PATH_MAX-1 bytes", 4095, 0, nil},
		{"path of PATH_MAX bytes", 4096, 0, unix.ENAMETOOLONG},
		{"path of 3 pages", 3 * 4096, 0, unix.ENAMETOOLONG},
		{"path of PATH_MAX bytes and an unknown flag: the flags first", 4096, 1, unix.EINVAL},
	} {
		long, err := unix.BytePtrFromString(strings.Repeat("/", c.n))
		guestcheck.Must("path", err)
		guestcheck.Expect(c.name, rawMask(uintptr(unsafe.Pointer(long)), c.flags, basic), c.want)
	}
	// A buffer whose end runs into an unmapped page.
	mem, err := unix.Mmap(-1, 0, 2*4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	guestcheck.Must("mmap", err)
	base := uintptr(unsafe.Pointer(&mem[0]))
	if _, _, e := unix.Syscall(unix.SYS_MUNMAP, base+4096, 4096, 0); e != 0 {
		guestcheck.Must("munmap the second page", e)
	}
	guestcheck.Expect("buffer running into an unmapped page", raw(unix.AT_FDCWD, fp, 0, base+4096-128), unix.EFAULT)
	guestcheck.Expect("buffer ending at a page's end", raw(unix.AT_FDCWD, fp, 0, base+4096-256), nil)
	ro, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_ANON)
	guestcheck.Must("mmap read-only", err)
	guestcheck.Expect("read-only buffer", raw(unix.AT_FDCWD, fp, 0, uintptr(unsafe.Pointer(&ro[0]))), unix.EFAULT)
}

// testMounts checks the mount's id, device and root attribute of each
// path against /proc/self/mountinfo's line for the mount that holds it
// (the longest mount point that is a prefix of the path). Each is a name
// for the checks and the path.
func testMounts(paths ...[2]string) {
	type mount struct {
		id  uint64
		dev string
	}
	mounts := map[string]mount{}
	mf, err := os.Open("/proc/self/mountinfo")
	guestcheck.Must("open mountinfo", err)
	sc := bufio.NewScanner(mf)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 5 {
			continue
		}
		id, _ := strconv.ParseUint(fs[0], 10, 64)
		mounts[fs[4]] = mount{id, fs[2]} // the last mount at a point is the one seen
	}
	mf.Close()
	for _, np := range paths {
		p := np[1]
		point := ""
		for m := range mounts {
			if (p == m || m == "/" || strings.HasPrefix(p, m+"/")) && len(m) > len(point) {
				point = m
			}
		}
		name := "mount of " + np[0]
		if strings.HasPrefix(p, "/proc") || p == "/" {
			name += " (" + point + ")" // the others' mounts differ between systems
		}
		var x unix.Statx_t
		err := unix.Statx(unix.AT_FDCWD, p, 0, basic|unix.STATX_MNT_ID, &x)
		root := x.Attributes&unix.STATX_ATTR_MOUNT_ROOT != 0
		dev := fmt.Sprintf("%d:%d", x.Dev_major, x.Dev_minor)
		m := mounts[point]
		guestcheck.Check(name+": STATX_MNT_ID, mnt_id and device as in mountinfo, STATX_ATTR_MOUNT_ROOT known and set at the mount point only",
			err == nil && root == (p == point) && x.Attributes_mask&unix.STATX_ATTR_MOUNT_ROOT != 0 &&
				x.Mask&unix.STATX_MNT_ID != 0 && x.Mnt_id == m.id && dev == m.dev,
			"%v, attributes %#x of %#x, mask %#x, mnt_id %d, dev %s; mount %s: id %d, dev %s",
			err, x.Attributes, x.Attributes_mask, x.Mask, x.Mnt_id, dev, point, m.id, m.dev)
	}
}
