package main

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"github.com/gotoro/gotoro/internal/guestcheck"
)

// linkat is linkat(olddirfd, from, AT_FDCWD, to, flags).
func linkat(olddirfd int, from, to string, flags uintptr) error {
	const atFDCWD = ^uintptr(99)
	f, _ := syscall.BytePtrFromString(from)
	t, _ := syscall.BytePtrFromString(to)
	_, _, e := syscall.Syscall6(syscall.SYS_LINKAT, uintptr(olddirfd), uintptr(unsafe.Pointer(f)), atFDCWD, uintptr(unsafe.Pointer(t)), flags, 0)
	if e != 0 {
		return e
	}
	return nil
}

const (
	atSymlinkFollow = 0x400
	atEmptyPath     = 0x1000
)

// testHardLinks checks link and linkat in dir: both names see one file
// (its inode, its link count, writes through either, a mode set through
// either), the ctime a link changes, unlink of one keeping the other,
// the errors (a directory, an existing or missing name, a missing
// directory, a new name with a trailing slash), a symlink linked as
// itself and followed, a file removed while open (AT_EMPTY_PATH,
// /proc/self/fd/N followed), /proc/self/fd/N of a linked one followed,
// rename of one name onto another of the same file, readdir's inode
// numbers, and inotify's events.
func testHardLinks(dir string) {
	in := func(name string) string { return filepath.Join(dir, name) }
	names := []string{"hl-a", "hl-b", "hl-c", "hl-d", "hl-e", "hl-s", "hl-t", "hl-u", "hl-v", "hl-dir"}
	clean := func() {
		for _, n := range names {
			os.RemoveAll(in(n))
		}
	}
	clean()
	defer clean()
	stat := func(p string) syscall.Stat_t {
		var st syscall.Stat_t
		syscall.Lstat(p, &st)
		return st
	}
	read := func(p string) string { b, _ := os.ReadFile(p); return string(b) }

	guestcheck.Must("write hl-a", os.WriteFile(in("hl-a"), []byte("one"), 0o644))
	before := stat(in("hl-a"))
	time.Sleep(20 * time.Millisecond)
	guestcheck.Expect("link a file", os.Link(in("hl-a"), in("hl-b")), nil)
	a, b := stat(in("hl-a")), stat(in("hl-b"))
	guestcheck.Check("link: both names are one inode", a.Ino != 0 && a.Ino == b.Ino && a.Dev == b.Dev, "ino %d and %d", a.Ino, b.Ino)
	guestcheck.Check("link: the link count is 2 through both names", a.Nlink == 2 && b.Nlink == 2, "%d, %d", a.Nlink, b.Nlink)
	guestcheck.Check("link changed the file's ctime", a.Ctim.Nano() > before.Ctim.Nano(), "%v, before %v", a.Ctim, before.Ctim)
	guestcheck.Check("link left the file's mtime", a.Mtim == before.Mtim, "%v, before %v", a.Mtim, before.Mtim)
	guestcheck.Must("write through hl-b", os.WriteFile(in("hl-b"), []byte("two"), 0o644))
	guestcheck.Check("link: a write through one name reads through the other", read(in("hl-a")) == "two", "%q", read(in("hl-a")))
	guestcheck.Must("chmod hl-b", os.Chmod(in("hl-b"), 0o600))
	a = stat(in("hl-a"))
	guestcheck.Check("link: a mode set through one name stats through the other", a.Mode&0o777 == 0o600, "%o", a.Mode)
	ents, err := os.ReadDir(dir)
	inos := map[string]uint64{}
	for _, e := range ents {
		if info, err := e.Info(); err == nil {
			inos[e.Name()] = info.Sys().(*syscall.Stat_t).Ino
		}
	}
	guestcheck.Check("readdir lists both names of a file", err == nil && inos["hl-a"] != 0 && inos["hl-a"] == inos["hl-b"], "%v, %v", inos["hl-a"], err)
	f, err := os.Open(in("hl-a"))
	guestcheck.Must("open hl-a", err)
	link, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(f.Fd())))
	guestcheck.Check("/proc/self/fd of a file with two names opened by its first", err == nil && link == in("hl-a"), "%q, %v", link, err)
	f.Close()

	guestcheck.Expect("link of a directory", func() error {
		os.Mkdir(in("hl-dir"), 0o755)
		return os.Link(in("hl-dir"), in("hl-c"))
	}(), syscall.EPERM)
	guestcheck.Expect("link onto an existing name", os.Link(in("hl-a"), in("hl-b")), syscall.EEXIST)
	guestcheck.Expect("link onto an existing directory", os.Link(in("hl-a"), in("hl-dir")), syscall.EEXIST)
	guestcheck.Expect("link of a missing name", os.Link(in("hl-none"), in("hl-c")), syscall.ENOENT)
	guestcheck.Expect("link into a missing directory", os.Link(in("hl-a"), in("hl-none/x")), syscall.ENOENT)
	guestcheck.Expect("link to a new name with a trailing slash", os.Link(in("hl-a"), in("hl-c")+"/"), syscall.ENOENT)
	guestcheck.Expect("link of a file named with a trailing slash", os.Link(in("hl-a")+"/", in("hl-c")), syscall.ENOTDIR)
	guestcheck.Expect("link into /proc", os.Link(in("hl-a"), "/proc/self/hl"), syscall.ENOENT)

	// Rename of one name onto another of the same file does nothing.
	guestcheck.Expect("rename of a name onto another of the same file", os.Rename(in("hl-a"), in("hl-b")), nil)
	_, erra := os.Lstat(in("hl-a"))
	_, errb := os.Lstat(in("hl-b"))
	guestcheck.Check("rename onto another name of the same file left both", erra == nil && errb == nil, "%v, %v", erra, errb)
	guestcheck.Expect("RENAME_EXCHANGE of two names of one file", renameat2(in("hl-a"), in("hl-b"), renameExchange), nil)

	// Unlink of one name keeps the other.
	guestcheck.Expect("unlink the first name of a linked file", os.Remove(in("hl-a")), nil)
	b = stat(in("hl-b"))
	guestcheck.Check("unlink of one name keeps the other, its count 1", b.Nlink == 1 && read(in("hl-b")) == "two", "nlink %d, %q", b.Nlink, read(in("hl-b")))
	guestcheck.Expect("link the remaining name back", os.Link(in("hl-b"), in("hl-a")), nil)
	guestcheck.Expect("link a third name", os.Link(in("hl-a"), in("hl-c")), nil)
	guestcheck.Check("three names: the count is 3", stat(in("hl-c")).Nlink == 3, "%d", stat(in("hl-c")).Nlink)
	guestcheck.Expect("rename a name of a linked file to a new one", os.Rename(in("hl-c"), in("hl-d")), nil)
	guestcheck.Check("renamed name of a linked file is the same file", stat(in("hl-d")).Ino == stat(in("hl-b")).Ino && stat(in("hl-d")).Nlink == 3, "ino %d want %d", stat(in("hl-d")).Ino, stat(in("hl-b")).Ino)
	guestcheck.Must("write hl-e", os.WriteFile(in("hl-e"), []byte("e"), 0o644))
	guestcheck.Expect("rename another file onto a name of a linked file", os.Rename(in("hl-e"), in("hl-d")), nil)
	guestcheck.Check("rename onto a name of a linked file dropped its count", stat(in("hl-b")).Nlink == 2 && read(in("hl-d")) == "e", "nlink %d, %q", stat(in("hl-b")).Nlink, read(in("hl-d")))
	guestcheck.Expect("rename a name of a linked file onto another file", os.Rename(in("hl-a"), in("hl-d")), nil)
	guestcheck.Check("the moved name of a linked file", stat(in("hl-d")).Ino == stat(in("hl-b")).Ino && stat(in("hl-d")).Nlink == 2 && read(in("hl-d")) == "two", "nlink %d, %q", stat(in("hl-d")).Nlink, read(in("hl-d")))
	guestcheck.Expect("unlink hl-b", os.Remove(in("hl-b")), nil)
	guestcheck.Expect("unlink hl-d", os.Remove(in("hl-d")), nil)

	// A symlink: linked as itself, or followed.
	guestcheck.Must("write hl-t", os.WriteFile(in("hl-t"), []byte("t"), 0o644))
	guestcheck.Must("symlink hl-s", os.Symlink("hl-t", in("hl-s")))
	guestcheck.Expect("link of a symlink", linkat(-100, in("hl-s"), in("hl-u"), 0), nil)
	u, s := stat(in("hl-u")), stat(in("hl-s"))
	guestcheck.Check("link of a symlink is the symlink", u.Mode&syscall.S_IFMT == syscall.S_IFLNK && u.Ino == s.Ino && u.Nlink == 2, "mode %o ino %d want %d nlink %d", u.Mode, u.Ino, s.Ino, u.Nlink)
	t, err := os.Readlink(in("hl-u"))
	guestcheck.Check("readlink of a link of a symlink", err == nil && t == "hl-t", "%q, %v", t, err)
	guestcheck.Check("a link of a symlink resolves", read(in("hl-u")) == "t", "%q", read(in("hl-u")))
	guestcheck.Expect("linkat AT_SYMLINK_FOLLOW of a symlink", linkat(-100, in("hl-s"), in("hl-v"), atSymlinkFollow), nil)
	v, tt := stat(in("hl-v")), stat(in("hl-t"))
	guestcheck.Check("linkat AT_SYMLINK_FOLLOW linked the target", v.Mode&syscall.S_IFMT == syscall.S_IFREG && v.Ino == tt.Ino && tt.Nlink == 2, "mode %o ino %d want %d nlink %d", v.Mode, v.Ino, tt.Ino, tt.Nlink)
	guestcheck.Expect("linkat an unknown flag", linkat(-100, in("hl-t"), in("hl-c"), 1), syscall.EINVAL)

	// A file removed while open has no name to link from.
	f, err = os.Create(in("hl-c"))
	guestcheck.Must("create hl-c", err)
	defer f.Close()
	fd := strconv.Itoa(int(f.Fd()))
	guestcheck.Expect("linkat AT_SYMLINK_FOLLOW of /proc/self/fd/N of a named file", linkat(-100, "/proc/self/fd/"+fd, in("hl-d"), atSymlinkFollow), nil)
	guestcheck.Check("linkat of /proc/self/fd/N linked the open file", stat(in("hl-d")).Ino == stat(in("hl-c")).Ino, "")
	os.Remove(in("hl-c"))
	os.Remove(in("hl-d"))
	guestcheck.Expect("linkat AT_EMPTY_PATH of a removed open file", linkat(int(f.Fd()), "", in("hl-e"), atEmptyPath), syscall.ENOENT)
	guestcheck.Expect("linkat AT_SYMLINK_FOLLOW of /proc/self/fd/N of a removed file", linkat(-100, "/proc/self/fd/"+fd, in("hl-e"), atSymlinkFollow), syscall.ENOENT)
	guestcheck.Expect("linkat AT_EMPTY_PATH of a closed descriptor", linkat(987, "", in("hl-e"), atEmptyPath), syscall.EBADF)

	testHardLinkEvents(dir)
}

// testHardLinkEvents checks inotify's events of link and of unlink of
// one name: IN_ATTRIB on the file, IN_CREATE (IN_DELETE) in the
// directory.
func testHardLinkEvents(dir string) {
	a, b := filepath.Join(dir, "hl-a"), filepath.Join(dir, "hl-b")
	guestcheck.Must("write hl-a", os.WriteFile(a, []byte("a"), 0o644))
	defer os.Remove(a)
	defer os.Remove(b)
	fd, err := syscall.InotifyInit1(syscall.IN_NONBLOCK | syscall.IN_CLOEXEC)
	guestcheck.Must("inotify_init1", err)
	defer syscall.Close(fd)
	dw, err := syscall.InotifyAddWatch(fd, dir, syscall.IN_CREATE|syscall.IN_DELETE|syscall.IN_ATTRIB)
	guestcheck.Must("watch dir", err)
	fw, err := syscall.InotifyAddWatch(fd, a, syscall.IN_ATTRIB|syscall.IN_DELETE_SELF)
	guestcheck.Must("watch hl-a", err)
	events := func() []string {
		var buf [4096]byte
		n, _ := syscall.Read(fd, buf[:])
		var out []string
		for off := 0; off+syscall.SizeofInotifyEvent <= n; {
			ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
			name := string(buf[off+syscall.SizeofInotifyEvent : off+syscall.SizeofInotifyEvent+int(ev.Len)])
			for len(name) > 0 && name[len(name)-1] == 0 {
				name = name[:len(name)-1]
			}
			who := "dir"
			if int(ev.Wd) == fw {
				who = "file"
			} else if int(ev.Wd) != dw {
				who = "?"
			}
			out = append(out, who+":"+strconv.FormatUint(uint64(ev.Mask), 16)+":"+name)
			off += syscall.SizeofInotifyEvent + int(ev.Len)
		}
		return out
	}
	guestcheck.Must("link hl-a hl-b", os.Link(a, b))
	got := events()
	want := []string{"file:4:", "dir:100:hl-b"}
	guestcheck.Check("inotify events of link", equal(got, want), "%q, want %q", got, want)
	guestcheck.Must("unlink hl-b", os.Remove(b))
	got = events()
	want = []string{"file:4:", "dir:200:hl-b"}
	guestcheck.Check("inotify events of unlink of one name", equal(got, want), "%q, want %q", got, want)
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// testShareHardLinks checks link on the share: both names one file, its
// count, a write through either, EEXIST, EPERM for a directory, unlink
// of one keeping the other.
func testShareHardLinks(share string) {
	in := func(name string) string { return filepath.Join(share, name) }
	for _, n := range []string{"hl-a", "hl-b", "hl-d"} {
		os.RemoveAll(in(n))
	}
	defer os.Remove(in("hl-a"))
	defer os.Remove(in("hl-b"))
	defer os.Remove(in("hl-d"))
	guestcheck.Must("write hl-a on the share", os.WriteFile(in("hl-a"), []byte("one"), 0o644))
	guestcheck.Expect("link on the share", os.Link(in("hl-a"), in("hl-b")), nil)
	var a, b syscall.Stat_t
	ea, eb := syscall.Stat(in("hl-a"), &a), syscall.Stat(in("hl-b"), &b)
	guestcheck.Check("link on the share: one inode, count 2", ea == nil && eb == nil && a.Ino == b.Ino && a.Nlink == 2 && b.Nlink == 2, "%v %v ino %d %d nlink %d %d", ea, eb, a.Ino, b.Ino, a.Nlink, b.Nlink)
	guestcheck.Must("write hl-b on the share", os.WriteFile(in("hl-b"), []byte("two"), 0o644))
	got, _ := os.ReadFile(in("hl-a"))
	guestcheck.Check("link on the share: a write through one name reads through the other", string(got) == "two", "%q", got)
	guestcheck.Expect("link on the share onto an existing name", os.Link(in("hl-a"), in("hl-b")), syscall.EEXIST)
	guestcheck.Must("mkdir hl-d on the share", os.Mkdir(in("hl-d"), 0o755))
	guestcheck.Expect("link of a directory on the share", os.Link(in("hl-d"), in("hl-c")), syscall.EPERM)
	guestcheck.Expect("link of a missing name on the share", os.Link(in("hl-none"), in("hl-c")), syscall.ENOENT)
	guestcheck.Expect("unlink one name on the share", os.Remove(in("hl-a")), nil)
	eb = syscall.Stat(in("hl-b"), &b)
	guestcheck.Check("unlink of one name on the share keeps the other, count 1", eb == nil && b.Nlink == 1, "%v nlink %d", eb, b.Nlink)
}
