// Command paths checks path lookup: symlinks in a writable directory that
// lead into the other file systems (/proc, /dev, the packed tree, a
// shared directory) and back, and the edges of reading a path from
// memory (a path ending at the end of a mapped page, PATH_MAX, the empty
// path, bad pointers). Usage:
//
//	paths DIR RO_FILE [SHARE]
//
// makes its links in the writable directory DIR; RO_FILE is a file it may
// only read (the packed tree in the guest; "-" for none), beside which
// links/ holds symlinks into /proc, /dev and /tmp; SHARE a directory of another
// file system (a virtio-fs share in the guest) holding a file named ro.txt.
// The same program runs natively on Linux, the oracle: both must print the
// same checks. Every check prints "ok NAME" or "FAIL NAME: why"; the end
// prints "paths ok" if none failed, else exits 1.
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/gotoro/gotoro/internal/guestcheck"
)

func main() {
	guestcheck.KeepGoing()
	if len(os.Args) < 3 {
		fmt.Println("usage: paths DIR RO_FILE [SHARE]")
		os.Exit(2)
	}
	dir, ro := os.Args[1], os.Args[2]
	testProcLinks(dir)
	testLinkErrors(dir)
	testOtherMounts(dir)
	if ro != "-" {
		ro, err := filepath.Abs(ro)
		guestcheck.Must("absolute path of "+os.Args[2], err)
		testReadOnlyLinks(dir, ro)
		testPackedLinks(ro)
	}
	if len(os.Args) > 3 {
		testShareLinks(dir, os.Args[3])
		testShareExchange(os.Args[3])
		testShareHardLinks(os.Args[3])
	}
	testUserPath(dir)
	testRenameFlags(dir)
	testRenameExchange(dir)
	testHardLinks(dir)
	testThreadSelf()
	testCwdRef(dir)
	testAccessFlags(dir)
	testTrailingSlash(dir)
	testRemoveNames(dir)
	testEmptyPaths(dir)
	testProcDotDot(dir)
	testProcLinkSlash(dir)
	testChangeThroughLinks(dir)
	guestcheck.Done("paths ok")
}

// link makes dir/name a symlink to target, replacing an older one.
func link(dir, name, target string) string {
	p := filepath.Join(dir, name)
	os.Remove(p)
	guestcheck.Must("symlink "+name, os.Symlink(target, p))
	return p
}

// same checks that path reads as want does.
func same(name, path, want string) {
	w, err := os.ReadFile(want)
	if err != nil {
		guestcheck.Check(name, false, "reading %s: %v", want, err)
		return
	}
	b, err := os.ReadFile(path)
	guestcheck.Check(name, err == nil && len(b) > 0 && firstLine(b) == firstLine(w), "%q, %v; want %q", firstLine(b), err, firstLine(w))
}

// firstLine is b up to its first newline (the rest of some files of /proc
// changes between two reads).
func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return s
}

func trim(b []byte) []byte { return b[:min(len(b), 40)] }

// pidless hides the process id in a name or a result.
func pidless(s string) string { return strings.ReplaceAll(s, strconv.Itoa(os.Getpid()), "PID") }

// testProcLinks follows links from dir into /proc: to a file, to /proc
// itself and to /proc/self with more components after them, relative,
// chained, with O_NOFOLLOW, by stat, lstat, readlink, access, chdir and
// readdir.
func testProcLinks(dir string) {
	st := link(dir, "st", "/proc/self/status")
	same("link to /proc/self/status", st, "/proc/self/status")
	b, _ := os.ReadFile(st)
	guestcheck.Check("link to /proc/self/status is ours", strings.HasPrefix(string(b), "Name:"), "%q", trim(b))
	fi, err := os.Stat(st)
	guestcheck.Check("stat link to a /proc file", err == nil && fi.Mode().IsRegular() && fi.Size() == 0, "%v, %v", fi, err)
	fi, err = os.Lstat(st)
	guestcheck.Check("lstat link to a /proc file", err == nil && fi.Mode()&os.ModeSymlink != 0, "%v, %v", fi, err)
	t, err := os.Readlink(st)
	guestcheck.Check("readlink link to a /proc file", err == nil && t == "/proc/self/status", "%q, %v", t, err)
	guestcheck.Check("access link to a /proc file", syscall.Access(st, 4) == nil, "")
	_, err = syscall.Open(st, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	guestcheck.Expect("open O_NOFOLLOW link to a /proc file", err, syscall.ELOOP)
	_, err = os.ReadFile(st + "/")
	guestcheck.Expect("link to a /proc file with a trailing slash", err, syscall.ENOTDIR)

	p := link(dir, "p", "/proc")
	same("link to /proc then self/cmdline", p+"/self/cmdline", "/proc/self/cmdline")
	same("link to /proc then cpuinfo", p+"/cpuinfo", "/proc/cpuinfo")
	same("link to /proc then self/../self/comm", p+"/self/../self/comm", "/proc/self/comm")
	fi, err = os.Stat(p)
	guestcheck.Check("stat link to /proc", err == nil && fi.IsDir(), "%v, %v", fi, err)
	fi, err = os.Stat(p + "/self")
	guestcheck.Check("stat link to /proc then self", err == nil && fi.IsDir(), "%v, %v", fi, err)
	fi, err = os.Lstat(p + "/self")
	guestcheck.Check("lstat link to /proc then self", err == nil && fi.Mode()&os.ModeSymlink != 0, "%v, %v", fi, err)
	t, err = os.Readlink(p + "/self")
	guestcheck.Check("readlink link to /proc then self", err == nil && t == strconv.Itoa(os.Getpid()), "%q, %v", pidless(t), err)
	t, err = os.Readlink(p + "/self/exe")
	want, _ := os.Readlink("/proc/self/exe")
	guestcheck.Check("readlink link to /proc then self/exe", err == nil && t == want, "%q, %v; want %q", t, err, want)
	_, err = os.ReadFile(p + "/self/nosuch")
	guestcheck.Expect("link to /proc then a missing name", err, syscall.ENOENT)
	_, err = os.ReadFile(p + "/self/comm/x")
	guestcheck.Expect("link to /proc then a file as a directory", err, syscall.ENOTDIR)
	ents, err := os.ReadDir(p + "/")
	names := map[string]bool{}
	for _, e := range ents {
		names[e.Name()] = true
	}
	guestcheck.Check("readdir link to /proc", err == nil && names["self"] && names["cpuinfo"], "%d entries, %v", len(ents), err)
	ents, err = os.ReadDir(p + "/self/fd")
	guestcheck.Check("readdir link to /proc then self/fd", err == nil && len(ents) >= 3, "%d entries, %v", len(ents), err)

	ps := link(dir, "ps", "/proc/self")
	same("link to /proc/self then status", ps+"/status", "/proc/self/status")
	same("link to /proc/self then ../cpuinfo", ps+"/../cpuinfo", "/proc/cpuinfo")
	fi, err = os.Stat(ps + "/fd/0")
	guestcheck.Check("stat link to /proc/self then fd/0", err == nil, "%v", err)

	// ".." out of dir, through a directory of it, into /proc.
	esc := filepath.Join(dir, "esc")
	os.RemoveAll(esc)
	guestcheck.Must("mkdir esc", os.Mkdir(esc, 0o755))
	same("dir/esc/.. up to / then proc/self/comm", esc+strings.Repeat("/..", strings.Count(esc, "/"))+"/proc/self/comm", "/proc/self/comm")
	same("dir/esc/.. up to / dir's link to /proc/self then ../self/comm", esc+strings.Repeat("/..", strings.Count(esc, "/"))+ps+"/../self/comm", "/proc/self/comm")

	rel, err := filepath.Rel(dir, "/proc/self/status")
	guestcheck.Must("relative path", err)
	r := link(dir, "rel", rel)
	same("relative link to /proc/self/status", r, "/proc/self/status")
	relp, _ := filepath.Rel(dir, "/proc")
	rp := link(dir, "relp", relp+"/./self/")
	same("relative link to /proc/./self/ then comm", rp+"/comm", "/proc/self/comm")

	// A chain: c1 -> c2 -> st -> /proc/self/status.
	link(dir, "c2", "st")
	c1 := link(dir, "c1", filepath.Join(dir, "c2"))
	same("chain of links to /proc/self/status", c1, "/proc/self/status")

	// A link in /proc leading back into dir.
	wd, _ := os.Getwd()
	guestcheck.Must("chdir "+dir, os.Chdir(dir))
	same("/proc/self/cwd then a link to /proc", "/proc/self/cwd/st", "/proc/self/status")
	cwd, err := os.Getwd()
	guestcheck.Check("getcwd in dir", err == nil && cwd == dir, "%q, %v", cwd, err)
	guestcheck.Check("chdir link to /proc", os.Chdir("p") == nil, "")
	cwd, err = syscall.Getwd()
	guestcheck.Check("getcwd after chdir link to /proc", err == nil && cwd == "/proc", "%q, %v", cwd, err)
	same("relative self/comm after chdir link to /proc", "self/comm", "/proc/self/comm")
	guestcheck.Check("chdir link to /proc/self", os.Chdir(ps) == nil, "")
	cwd, err = syscall.Getwd()
	guestcheck.Check("getcwd after chdir link to /proc/self", err == nil && cwd == "/proc/"+strconv.Itoa(os.Getpid()), "%q, %v", pidless(cwd), err)
	// /proc/self/cwd names the working directory wherever it is.
	fi, err = os.Stat("/proc/self/cwd")
	dot, err2 := os.Stat(".")
	guestcheck.Check("stat /proc/self/cwd with the working directory in /proc", err == nil && err2 == nil && fi.IsDir() && os.SameFile(fi, dot), "%v, %v, %v", fi, err, err2)
	guestcheck.Check("access /proc/self/cwd with the working directory in /proc", syscall.Access("/proc/self/cwd", 4) == nil, "")
	cwdEnts, err := os.ReadDir("/proc/self/cwd")
	cwdNames := map[string]bool{}
	for _, e := range cwdEnts {
		cwdNames[e.Name()] = true
	}
	guestcheck.Check("readdir /proc/self/cwd with the working directory in /proc", err == nil && cwdNames["status"] && cwdNames["fd"], "%d entries, %v", len(cwdEnts), err)
	// chdir follows /proc's links out of /proc at a path's end too.
	guestcheck.Must("chdir "+dir, os.Chdir(dir))
	guestcheck.Check("chdir /proc/self/cwd", os.Chdir("/proc/self/cwd") == nil, "")
	cwd, err = syscall.Getwd()
	guestcheck.Check("getcwd after chdir /proc/self/cwd", err == nil && cwd == dir, "%q, %v", cwd, err)
	guestcheck.Check("chdir link to /proc then self/cwd", os.Chdir("p/self/cwd") == nil, "")
	cwd, err = syscall.Getwd()
	guestcheck.Check("getcwd after chdir link to /proc then self/cwd", err == nil && cwd == dir, "%q, %v", cwd, err)
	guestcheck.Check("chdir /proc/self/root", os.Chdir("/proc/self/root") == nil, "")
	cwd, err = syscall.Getwd()
	guestcheck.Check("getcwd after chdir /proc/self/root", err == nil && cwd == "/", "%q, %v", cwd, err)
	guestcheck.Expect("chdir /proc/self/exe", os.Chdir("/proc/self/exe"), syscall.ENOTDIR)
	guestcheck.Must("chdir back", os.Chdir(wd))

	// Relative to a descriptor of dir, with openat.
	d, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	guestcheck.Must("open "+dir, err)
	fd, err := syscall.Openat(d, "p/self/comm", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	guestcheck.Check("openat dir p/self/comm", err == nil, "%v", err)
	if err == nil {
		syscall.Close(fd)
	}
	var s syscall.Stat_t
	err = fstatat(d, "st", &s, 0)
	guestcheck.Check("fstatat dir st", err == nil && s.Mode&syscall.S_IFMT == syscall.S_IFREG, "%#o, %v", s.Mode, err)
	err = fstatat(d, "st", &s, atSymlinkNofollow)
	guestcheck.Check("fstatat dir st AT_SYMLINK_NOFOLLOW", err == nil && s.Mode&syscall.S_IFMT == syscall.S_IFLNK, "%#o, %v", s.Mode, err)
	syscall.Close(d)
}

const atSymlinkNofollow = 0x100

// fstatat stats path relative to the directory descriptor d.
func fstatat(d int, path string, s *syscall.Stat_t, flags uintptr) error {
	_, _, e := syscall.Syscall6(syscall.SYS_NEWFSTATAT, uintptr(d), cstr(path), uintptr(unsafe.Pointer(s)), flags, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// testLinkErrors checks loops and dangling links, within dir and through
// /proc.
func testLinkErrors(dir string) {
	l1 := link(dir, "l1", "l2")
	link(dir, "l2", "l1")
	_, err := os.ReadFile(l1)
	guestcheck.Expect("loop of two links", err, syscall.ELOOP)
	_, err = os.Stat(l1)
	guestcheck.Expect("stat loop of two links", err, syscall.ELOOP)
	self := link(dir, "selfloop", "selfloop")
	_, err = os.ReadFile(self)
	guestcheck.Expect("link to itself", err, syscall.ELOOP)
	// A loop through /proc: /proc/self/cwd is dir while we are in it.
	wd, _ := os.Getwd()
	guestcheck.Must("chdir "+dir, os.Chdir(dir))
	lp := link(dir, "lp", "/proc/self/cwd/lp")
	_, err = os.ReadFile(lp)
	guestcheck.Expect("loop through /proc/self/cwd", err, syscall.ELOOP)
	guestcheck.Must("chdir back", os.Chdir(wd))
	dang := link(dir, "dang", "/proc/self/nosuch")
	_, err = os.ReadFile(dang)
	guestcheck.Expect("dangling link into /proc", err, syscall.ENOENT)
	fi, err := os.Lstat(dang)
	guestcheck.Check("lstat dangling link into /proc", err == nil && fi.Mode()&os.ModeSymlink != 0, "%v, %v", fi, err)
	nd := link(dir, "notdir", "/proc/self/comm/x")
	_, err = os.ReadFile(nd)
	guestcheck.Expect("link through a /proc file", err, syscall.ENOTDIR)
	// 40 links are followed, the 41st is a loop.
	prev := "/proc/cpuinfo"
	for i := 0; i < 40; i++ {
		prev = link(dir, fmt.Sprintf("n%02d", i), prev)
	}
	same("40 links to /proc/cpuinfo", prev, "/proc/cpuinfo")
	over := link(dir, "n40", prev)
	_, err = os.ReadFile(over)
	guestcheck.Expect("41 links to /proc/cpuinfo", err, syscall.ELOOP)
	// /proc/self is a link too, counted with those before it: 39 links
	// then /proc/self/status are 40, 40 links then it 41.
	link(dir, "n00", "/proc/self/status")
	same("39 links to /proc/self/status", filepath.Join(dir, "n38"), "/proc/self/status")
	_, err = os.ReadFile(filepath.Join(dir, "n39"))
	guestcheck.Expect("40 links to /proc/self/status", err, syscall.ELOOP)
	testLinkChain(dir)
}

// testLinkChain follows a chain of links alternating between dir and
// /proc/self/cwd (dir is the working directory): each of dir's links,
// /proc/self and /proc/self/cwd count against one bound of 40 links per
// lookup, so 13 hops (39 links) resolve and 14 are a loop (ELOOP).
func testLinkChain(dir string) {
	wd, _ := os.Getwd()
	guestcheck.Must("chdir "+dir, os.Chdir(dir))
	defer func() { guestcheck.Must("chdir back", os.Chdir(wd)) }()
	guestcheck.Must("write chain end", os.WriteFile(filepath.Join(dir, "chainend"), []byte("end\n"), 0o644))
	for _, n := range []int{13, 14} {
		for i := 0; i < n; i++ {
			next := fmt.Sprintf("/proc/self/cwd/c%02d", i+1)
			if i == n-1 {
				next = "/proc/self/cwd/chainend"
			}
			link(dir, fmt.Sprintf("c%02d", i), next)
		}
		first := filepath.Join(dir, "c00")
		b, err := os.ReadFile(first)
		var st syscall.Stat_t
		serr := syscall.Stat(first, &st)
		aerr := syscall.Access(first, 4)
		if n == 13 {
			guestcheck.Check("chain of 13 links through /proc/self/cwd", err == nil && string(b) == "end\n" && serr == nil && aerr == nil, "%q, %v, %v, %v", b, err, serr, aerr)
			continue
		}
		guestcheck.Expect("open chain of 14 links through /proc/self/cwd", err, syscall.ELOOP)
		guestcheck.Expect("stat chain of 14 links through /proc/self/cwd", serr, syscall.ELOOP)
		guestcheck.Expect("access chain of 14 links through /proc/self/cwd", aerr, syscall.ELOOP)
		guestcheck.Expect("chdir chain of 14 links through /proc/self/cwd", os.Chdir(first), syscall.ELOOP)
	}
}

// testOtherMounts follows links from dir into /dev and dir itself.
func testOtherMounts(dir string) {
	null := link(dir, "null", "/dev/null")
	f, err := os.OpenFile(null, os.O_RDWR, 0)
	guestcheck.Check("open link to /dev/null", err == nil, "%v", err)
	if err == nil {
		n, err := f.Write([]byte("gone"))
		guestcheck.Check("write link to /dev/null", n == 4 && err == nil, "%d, %v", n, err)
		n, _ = f.Read(make([]byte, 8))
		guestcheck.Check("read link to /dev/null", n == 0, "%d", n)
		f.Close()
	}
	fi, err := os.Stat(null)
	guestcheck.Check("stat link to /dev/null", err == nil && fi.Mode()&os.ModeCharDevice != 0, "%v, %v", fi, err)
	// truncate reaches the device and refuses it (no regular file).
	guestcheck.Expect("truncate link to /dev/null", syscall.Truncate(null, 0), syscall.EINVAL)
	guestcheck.Expect("truncate /dev/null", syscall.Truncate("/dev/null", 0), syscall.EINVAL)
	// O_CREAT|O_EXCL never follows a last symlink: the name exists.
	_, err = os.OpenFile(null, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	guestcheck.Expect("open link to /dev/null O_CREAT|O_EXCL", err, syscall.EEXIST)
	_, err = os.OpenFile("/dev/null", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	guestcheck.Expect("open /dev/null O_CREAT|O_EXCL", err, syscall.EEXIST)
	_, err = os.OpenFile(link(dir, "st-excl", "/proc/self/status"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	guestcheck.Expect("open link to /proc/self/status O_CREAT|O_EXCL", err, syscall.EEXIST)
	_, err = os.OpenFile(link(dir, "dangling-excl", filepath.Join(dir, "no-such-file")), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	guestcheck.Expect("open dangling link O_CREAT|O_EXCL", err, syscall.EEXIST)
	_, err = os.Lstat(filepath.Join(dir, "no-such-file"))
	guestcheck.Expect("open dangling link O_CREAT|O_EXCL made no file", err, fs.ErrNotExist)
	// O_CREAT alone through a dangling link creates its target, however
	// the link names it, and leaves the link as it was.
	os.RemoveAll(filepath.Join(dir, "made"))
	guestcheck.Must("mkdir made", os.Mkdir(filepath.Join(dir, "made"), 0o755))
	for _, c := range []struct{ name, target, file string }{
		{"dangling-abs", filepath.Join(dir, "made", "abs"), "abs"},
		{"dangling-rel", "made/rel", "rel"},
		{"dangling-chain", "dangling-chain2", "chained"},
	} {
		if c.name == "dangling-chain" {
			link(dir, "dangling-chain2", "made/chained")
		}
		l := link(dir, c.name, c.target)
		err := os.WriteFile(l, []byte(c.file), 0o644)
		b, rerr := os.ReadFile(filepath.Join(dir, "made", c.file))
		guestcheck.Check("open "+c.name+" link O_CREAT creates its target", err == nil && rerr == nil && string(b) == c.file, "%v, %v, %q", err, rerr, b)
		t, lerr := os.Readlink(l)
		guestcheck.Check("open "+c.name+" link O_CREAT keeps the link", lerr == nil && t == c.target, "%q, %v", t, lerr)
	}
	// O_CREAT of a name with a trailing slash: EISDIR, nothing made.
	_, err = os.OpenFile(filepath.Join(dir, "made", "slash")+"/", os.O_CREATE|os.O_WRONLY, 0o644)
	guestcheck.Expect("open new name/ O_CREAT", err, syscall.EISDIR)
	_, err = os.OpenFile(link(dir, "dangling-slash", "made/slash")+"/", os.O_CREATE|os.O_WRONLY, 0o644)
	guestcheck.Expect("open dangling link/ O_CREAT", err, syscall.EISDIR)
	_, err = os.Lstat(filepath.Join(dir, "made", "slash"))
	guestcheck.Expect("open name/ O_CREAT made nothing", err, fs.ErrNotExist)
	ents, err := os.ReadDir(dir)
	seen, dups := map[string]bool{}, []string{}
	for _, e := range ents {
		if seen[e.Name()] {
			dups = append(dups, e.Name())
		}
		seen[e.Name()] = true
	}
	guestcheck.Check("no name twice in dir after opens through dangling links", err == nil && len(dups) == 0, "%v, %v", dups, err)
	dev := link(dir, "dev", "/dev")
	f, err = os.Open(dev + "/zero")
	guestcheck.Check("open link to /dev then zero", err == nil, "%v", err)
	if err == nil {
		b := []byte{1, 2, 3}
		n, _ := f.Read(b)
		guestcheck.Check("read link to /dev then zero", n == 3 && b[0]|b[1]|b[2] == 0, "%d, %v", n, b)
		f.Close()
	}
	f, err = os.Open(dev + "/urandom")
	guestcheck.Check("open link to /dev then urandom", err == nil, "%v", err)
	if err == nil {
		n, _ := f.Read(make([]byte, 16))
		guestcheck.Check("read link to /dev then urandom", n == 16, "%d", n)
		f.Close()
	}

	sub := filepath.Join(dir, "sub")
	os.RemoveAll(sub)
	guestcheck.Must("mkdir sub", os.Mkdir(sub, 0o755))
	guestcheck.Must("write sub/f", os.WriteFile(filepath.Join(sub, "f"), []byte("in dir"), 0o644))
	up := link(dir, "up", dir)
	same("link to dir then sub/f", up+"/sub/f", filepath.Join(sub, "f"))
	back := link(sub, "back", "/proc/self/cwd")
	wd, _ := os.Getwd()
	guestcheck.Must("chdir "+dir, os.Chdir(dir))
	same("link to /proc/self/cwd then sub/f", back+"/sub/f", filepath.Join(sub, "f"))
	guestcheck.Must("chdir back", os.Chdir(wd))
}

// testReadOnlyLinks follows links from dir to ro (in the packed tree in
// the guest) and to its directory.
func testReadOnlyLinks(dir, ro string) {
	same("link to the read-only file", link(dir, "ro", ro), ro)
	same("link to the read-only file's directory then its name", link(dir, "rodir", filepath.Dir(ro))+"/"+filepath.Base(ro), ro)
}

// testPackedLinks follows the symlinks of links/ beside ro (in the
// packed tree in the guest) into /proc, /dev and /tmp.
func testPackedLinks(ro string) {
	links := filepath.Join(filepath.Dir(ro), "links")
	same("packed link to /proc/self/status", links+"/status", "/proc/self/status")
	same("packed link to a packed link to /proc/self/status", links+"/chain", "/proc/self/status")
	same("packed link to /proc then self/cmdline", links+"/proc/self/cmdline", "/proc/self/cmdline")
	same("packed relative link through a packed link to /proc", links+"/comm", "/proc/self/comm")
	same("packed link to /proc then self/../cpuinfo", links+"/proc/self/../cpuinfo", "/proc/cpuinfo")
	same("packed link to /tmp then ../proc/cpuinfo", links+"/tmp/../proc/cpuinfo", "/proc/cpuinfo")
	same("packed link to /proc then .. then the packed file", links+"/proc/../"+strings.TrimPrefix(ro, "/"), ro)
	fi, err := os.Stat(links + "/status")
	guestcheck.Check("stat packed link to /proc/self/status", err == nil && fi.Mode().IsRegular(), "%v, %v", fi, err)
	fi, err = os.Lstat(links + "/status")
	guestcheck.Check("lstat packed link to /proc/self/status", err == nil && fi.Mode()&os.ModeSymlink != 0, "%v, %v", fi, err)
	t, err := os.Readlink(links + "/proc/self")
	guestcheck.Check("readlink packed link to /proc then self", err == nil && t == strconv.Itoa(os.Getpid()), "%q, %v", pidless(t), err)
	f, err := os.OpenFile(links+"/null", os.O_WRONLY, 0)
	guestcheck.Check("open packed link to /dev/null", err == nil, "%v", err)
	if err == nil {
		n, err := f.Write([]byte("gone"))
		guestcheck.Check("write packed link to /dev/null", n == 4 && err == nil, "%d, %v", n, err)
		f.Close()
	}
	tf, err := os.CreateTemp("/tmp", "paths-")
	guestcheck.Must("a file in /tmp", err)
	tf.WriteString("in /tmp")
	tf.Close()
	defer os.Remove(tf.Name())
	same("packed link to /tmp then a file", links+"/tmp/"+filepath.Base(tf.Name()), tf.Name())
	fi, err = os.Stat(links + "/tmp/")
	guestcheck.Check("stat packed link to /tmp", err == nil && fi.IsDir(), "%v, %v", fi, err)
	_, err = os.ReadFile(links + "/tmp/no-such-file")
	guestcheck.Expect("packed link to /tmp then a missing file", err, syscall.ENOENT)

	// Creating and removing through them.
	nd := filepath.Base(tf.Name()) + "-d"
	guestcheck.Expect("mkdir through a packed link to /tmp", syscall.Mkdir(links+"/tmp/"+nd, 0o755), nil)
	fi, err = os.Stat("/tmp/" + nd)
	guestcheck.Check("mkdir through a packed link to /tmp made it", err == nil && fi.IsDir(), "%v, %v", fi, err)
	guestcheck.Expect("rename through a packed link to /tmp", syscall.Rename(links+"/tmp/"+nd, links+"/tmp/"+nd+"2"), nil)
	guestcheck.Expect("rmdir through a packed link to /tmp", syscall.Rmdir(links+"/tmp/"+nd+"2"), nil)
	_, err = os.Stat("/tmp/" + nd + "2")
	guestcheck.Expect("rmdir through a packed link to /tmp removed it", err, fs.ErrNotExist)
	guestcheck.Expect("mkdir through a packed link to /proc", syscall.Mkdir(links+"/proc/self/x", 0o755), syscall.ENOENT)
	guestcheck.Expect("mkdir below a packed link to /dev/null", syscall.Mkdir(links+"/null/x", 0o755), syscall.ENOTDIR)
	guestcheck.Expect("unlink through a packed link to /proc", syscall.Unlink(links+"/proc/self/status"), syscall.EPERM)
	guestcheck.Expect("chmod through a packed link to /proc", syscall.Chmod(links+"/proc/self/status", 0o444), syscall.EPERM)
}

// testShareLinks follows links from dir into share and back.
func testShareLinks(dir, share string) {
	sh := link(dir, "share", share)
	same("link to the share then ro.txt", sh+"/ro.txt", filepath.Join(share, "ro.txt"))
	same("link to the share's file", link(dir, "sharefile", filepath.Join(share, "ro.txt")), filepath.Join(share, "ro.txt"))
	fi, err := os.Stat(sh)
	guestcheck.Check("stat link to the share", err == nil && fi.IsDir(), "%v, %v", fi, err)

	// Creating, changing and removing files through the link.
	in := func(name string) string { return filepath.Join(share, name) }
	for _, n := range []string{"sh-d", "sh-l", "sh-f", "sh-g"} {
		os.RemoveAll(in(n))
	}
	guestcheck.Expect("mkdir through a link to the share", syscall.Mkdir(sh+"/sh-d", 0o755), nil)
	fi, err = os.Stat(in("sh-d"))
	guestcheck.Check("mkdir through a link to the share made it", err == nil && fi.IsDir(), "%v, %v", fi, err)
	guestcheck.Expect("symlink through a link to the share", syscall.Symlink("ro.txt", sh+"/sh-l"), nil)
	t, err := os.Readlink(in("sh-l"))
	guestcheck.Check("symlink through a link to the share made it", err == nil && t == "ro.txt", "%q, %v", t, err)
	guestcheck.Must("write through a link to the share", os.WriteFile(sh+"/sh-f", []byte("f"), 0o644))
	guestcheck.Expect("chmod through a link to the share", syscall.Chmod(sh+"/sh-f", 0o600), nil)
	fi, err = os.Stat(in("sh-f"))
	guestcheck.Check("chmod through a link to the share changed it", err == nil && fi.Mode().Perm() == 0o600, "%v, %v", fi, err)
	mt := time.Unix(1234567890, 0)
	guestcheck.Expect("utimensat through a link to the share", os.Chtimes(sh+"/sh-f", mt, mt), nil)
	fi, err = os.Stat(in("sh-f"))
	guestcheck.Check("utimensat through a link to the share changed it", err == nil && fi.ModTime().Equal(mt), "%v, %v", fi, err)
	guestcheck.Expect("chown through a link to the share", syscall.Chown(sh+"/sh-f", -1, -1), nil)
	guestcheck.Expect("rename through a link to the share", syscall.Rename(sh+"/sh-f", sh+"/sh-g"), nil)
	_, err = os.Stat(in("sh-g"))
	guestcheck.Check("rename through a link to the share moved it", err == nil, "%v", err)
	// (Across dir and the share a rename or link is EXDEV in the guest;
	// natively the two may be one file system, so no check.)
	guestcheck.Expect("unlink through a link to the share", syscall.Unlink(sh+"/sh-g"), nil)
	guestcheck.Expect("unlink of a symlink through a link to the share", syscall.Unlink(sh+"/sh-l"), nil)
	guestcheck.Expect("rmdir through a link to the share", syscall.Rmdir(sh+"/sh-d"), nil)
	ents, err := os.ReadDir(share)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	guestcheck.Check("names in the share after the calls through the link", err == nil && strings.Join(names, " ") == "ro.txt", "%q, %v", names, err)
}

const page = 4096

// openRaw opens the NUL-terminated path at p.
func openRaw(p uintptr) error {
	fd, _, e := syscall.Syscall6(syscall.SYS_OPENAT, uintptr(0xffffff9c), p, syscall.O_RDONLY|syscall.O_CLOEXEC, 0, 0, 0)
	if e != 0 {
		return e
	}
	syscall.Close(int(fd))
	return nil
}

// statRaw stats the NUL-terminated path at p with fstatat's flags.
func statRaw(p uintptr, flags uintptr) error {
	var s syscall.Stat_t
	_, _, e := syscall.Syscall6(syscall.SYS_NEWFSTATAT, uintptr(0xffffff9c), p, uintptr(unsafe.Pointer(&s)), flags, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// testUserPath reads paths at the edges of mapped memory and of PATH_MAX.
func testUserPath(dir string) {
	mem, err := syscall.Mmap(-1, 0, 3*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	guestcheck.Must("mmap", err)
	base := uintptr(unsafe.Pointer(&mem[0]))
	if _, _, e := syscall.Syscall(syscall.SYS_MUNMAP, base+2*page, page, 0); e != 0 {
		guestcheck.Must("munmap the third page", e)
	}
	end := base + 2*page // the first unmapped byte
	put := func(at uintptr, s string) { copy(mem[at-base:], s) }
	const name = "/proc/self/comm"
	put(end-uintptr(len(name))-1, name+"\x00")
	guestcheck.Expect("path whose NUL is a page's last byte", openRaw(end-uintptr(len(name))-1), nil)
	put(end-uintptr(len(name)), name)
	guestcheck.Expect("path running into an unmapped page", openRaw(end-uintptr(len(name))), syscall.EFAULT)
	put(end-page-uintptr(len(name)), name+"\x00")
	guestcheck.Expect("path across two mapped pages", openRaw(end-page-uintptr(len(name))), nil)
	put(end-page-3, "/pr")
	put(end-page, "oc/self/comm\x00")
	guestcheck.Expect("path split over a page boundary", openRaw(end-page-3), nil)
	guestcheck.Expect("NULL path", openRaw(0), syscall.EFAULT)
	guestcheck.Expect("path at a kernel address", openRaw(0xffffffff81000000), syscall.EFAULT)
	guestcheck.Expect("path at a non-canonical address", openRaw(0x0000800000000000), syscall.EFAULT)
	guestcheck.Expect("path at an unmapped page", openRaw(end), syscall.EFAULT)
	guestcheck.Expect("path at the last byte of memory", openRaw(^uintptr(0)), syscall.EFAULT)
	put(base, "\x00")
	guestcheck.Expect("empty path", openRaw(base), syscall.ENOENT)
	guestcheck.Expect("stat empty path", statRaw(base, 0), syscall.ENOENT)
	d, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	guestcheck.Must("open "+dir, err)
	var s syscall.Stat_t
	_, _, e := syscall.Syscall6(syscall.SYS_NEWFSTATAT, uintptr(d), base, uintptr(unsafe.Pointer(&s)), 0x1000, 0, 0)
	guestcheck.Check("fstatat empty path AT_EMPTY_PATH", e == 0 && s.Mode&syscall.S_IFMT == syscall.S_IFDIR, "%v, %#o", e, s.Mode)
	syscall.Close(d)

	// PATH_MAX: 4095 bytes and a NUL fit; 4096 bytes without one do not.
	long := func(n int) string {
		return strings.Repeat("/", n-len(name)) + name
	}
	buf := make([]byte, 2*page+1)
	at := uintptr(unsafe.Pointer(&buf[0]))
	for _, c := range []struct {
		n    int
		want error
	}{{4094, nil}, {4095, nil}, {4096, syscall.ENAMETOOLONG}, {4097, syscall.ENAMETOOLONG}, {2 * page, syscall.ENAMETOOLONG}} {
		clear(buf)
		copy(buf, long(c.n))
		guestcheck.Expect(fmt.Sprintf("path of %d bytes", c.n), openRaw(at), c.want)
		guestcheck.Expect(fmt.Sprintf("stat path of %d bytes", c.n), statRaw(at, 0), c.want)
	}
	// A long path ending at the end of mapped memory without a NUL: it is
	// too long before the memory ends.
	for i := range mem[:2*page] {
		mem[i] = '/'
	}
	guestcheck.Expect("8 KiB of slashes up to unmapped memory", openRaw(base), syscall.ENAMETOOLONG)
	guestcheck.Expect("4 KiB of slashes up to unmapped memory", openRaw(end-page), syscall.ENAMETOOLONG)
	guestcheck.Expect("4095 slashes up to unmapped memory", openRaw(end-page+1), syscall.EFAULT)
	// The name components' limit, NAME_MAX.
	guestcheck.Expect("component of 255 bytes", openRaw(cstr(filepath.Join(dir, strings.Repeat("a", 255)))), syscall.ENOENT)
	guestcheck.Expect("component of 256 bytes", openRaw(cstr(filepath.Join(dir, strings.Repeat("a", 256)))), syscall.ENAMETOOLONG)
	syscall.Syscall(syscall.SYS_MUNMAP, base, 2*page, 0)
}

// cstr returns a NUL-terminated copy of s.
func cstr(s string) uintptr {
	b := append([]byte(s), 0)
	return uintptr(unsafe.Pointer(&b[0]))
}

// testRenameFlags checks renameat2's flags: RENAME_NOREPLACE never
// replaces, an unknown flag is EINVAL.
func testRenameFlags(dir string) {
	const renameNoreplace = 1
	const sysRenameat2 = 316     // x86-64
	const atFDCWD = ^uintptr(99) // AT_FDCWD, -100
	renameat2 := func(from, to string, flags uintptr) error {
		f, _ := syscall.BytePtrFromString(from)
		t, _ := syscall.BytePtrFromString(to)
		_, _, e := syscall.Syscall6(sysRenameat2, atFDCWD, uintptr(unsafe.Pointer(f)), atFDCWD, uintptr(unsafe.Pointer(t)), flags, 0)
		if e != 0 {
			return e
		}
		return nil
	}
	a, b, c := filepath.Join(dir, "rn-a"), filepath.Join(dir, "rn-b"), filepath.Join(dir, "rn-c")
	guestcheck.Must("write rn-a", os.WriteFile(a, []byte("a"), 0o644))
	guestcheck.Must("write rn-b", os.WriteFile(b, []byte("b"), 0o644))
	guestcheck.Expect("renameat2 RENAME_NOREPLACE onto a file", renameat2(a, b, renameNoreplace), syscall.EEXIST)
	got, _ := os.ReadFile(b)
	guestcheck.Check("renameat2 RENAME_NOREPLACE left the file", string(got) == "b", "%q", got)
	guestcheck.Must("symlink rn-d", os.Symlink("nowhere", filepath.Join(dir, "rn-d")))
	guestcheck.Expect("renameat2 RENAME_NOREPLACE onto a dangling link", renameat2(a, filepath.Join(dir, "rn-d"), renameNoreplace), syscall.EEXIST)
	guestcheck.Expect("renameat2 RENAME_NOREPLACE of a missing file onto a file", renameat2(filepath.Join(dir, "rn-none"), b, renameNoreplace), syscall.ENOENT)
	guestcheck.Expect("renameat2 RENAME_NOREPLACE to a new name", renameat2(a, c, renameNoreplace), nil)
	guestcheck.Expect("renameat2 an unknown flag", renameat2(c, a, 1<<10), syscall.EINVAL)
	guestcheck.Expect("renameat2 without flags onto a file", renameat2(c, b, 0), nil)
	got, _ = os.ReadFile(b)
	guestcheck.Check("renameat2 without flags replaced the file", string(got) == "a", "%q", got)
	for _, n := range []string{"rn-a", "rn-b", "rn-c", "rn-d"} {
		os.Remove(filepath.Join(dir, n))
	}
}

// testAccessFlags checks faccessat2's flags: AT_SYMLINK_NOFOLLOW on a
// dangling link, AT_EMPTY_PATH on a descriptor, an unknown flag.
func testAccessFlags(dir string) {
	const sysFaccessat2 = 439 // x86-64
	const atFDCWD = ^uintptr(99)
	access := func(fd uintptr, p string, mode, flags uintptr) error {
		b, _ := syscall.BytePtrFromString(p)
		_, _, e := syscall.Syscall6(sysFaccessat2, fd, uintptr(unsafe.Pointer(b)), mode, flags, 0, 0)
		if e != 0 {
			return e
		}
		return nil
	}
	l := link(dir, "acc-dangling", "nowhere")
	guestcheck.Expect("faccessat2 dangling link", access(atFDCWD, l, 0, 0), syscall.ENOENT)
	guestcheck.Expect("faccessat2 dangling link AT_SYMLINK_NOFOLLOW", access(atFDCWD, l, 0, atSymlinkNofollow), nil)
	guestcheck.Expect("faccessat2 link to /proc/self/status R_OK AT_SYMLINK_NOFOLLOW", access(atFDCWD, link(dir, "acc-st", "/proc/self/status"), 4, atSymlinkNofollow), nil)
	guestcheck.Expect("faccessat2 dir AT_SYMLINK_NOFOLLOW", access(atFDCWD, dir, 0, atSymlinkNofollow), nil)
	guestcheck.Expect("faccessat2 missing AT_SYMLINK_NOFOLLOW", access(atFDCWD, filepath.Join(dir, "acc-none"), 0, atSymlinkNofollow), syscall.ENOENT)
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	guestcheck.Must("open "+dir, err)
	guestcheck.Expect("faccessat2 descriptor AT_EMPTY_PATH", access(uintptr(fd), "", 0, 0x1000), nil)
	syscall.Close(fd)
	guestcheck.Expect("faccessat2 an unknown flag", access(atFDCWD, dir, 0, 1<<20), syscall.EINVAL)
}

// testTrailingSlash checks that a name with a trailing slash makes no file
// that is not a directory: symlink and mkfifo to a new name/, rename of a
// file to name/; and that a device, a built-in file or a link to one
// named with a trailing slash is no directory (ENOTDIR, not ENOENT).
func testTrailingSlash(dir string) {
	var st syscall.Stat_t
	hosts := link(dir, "hostslink", "/etc/hosts")
	null := link(dir, "nullslash", "/dev/null")
	for _, p := range []string{"/dev/null/", "/dev/zero//", null + "/", "/etc/hosts/", hosts + "/"} {
		guestcheck.Expect("stat "+strings.TrimPrefix(p, dir)+" (no directory)", syscall.Stat(p, &st), syscall.ENOTDIR)
		_, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		guestcheck.Expect("open "+strings.TrimPrefix(p, dir)+" (no directory)", err, syscall.ENOTDIR)
		guestcheck.Expect("access "+strings.TrimPrefix(p, dir)+" (no directory)", syscall.Access(p, 4), syscall.ENOTDIR)
	}
	sub := filepath.Join(dir, "slash")
	os.RemoveAll(sub)
	guestcheck.Must("mkdir slash", os.Mkdir(sub, 0o755))
	guestcheck.Must("write slash/f", os.WriteFile(filepath.Join(sub, "f"), nil, 0o644))
	guestcheck.Expect("symlink to a new name/", syscall.Symlink("x", filepath.Join(sub, "l")+"/"), syscall.ENOENT)
	guestcheck.Expect("mkfifo of a new name/", syscall.Mkfifo(filepath.Join(sub, "p")+"/", 0o644), syscall.ENOENT)
	guestcheck.Expect("mkdir of a new name/", syscall.Mkdir(filepath.Join(sub, "d")+"/", 0o755), nil)
	guestcheck.Expect("rename of a file to a new name/", syscall.Rename(filepath.Join(sub, "f"), filepath.Join(sub, "g")+"/"), syscall.ENOTDIR)
	guestcheck.Expect("rename of a directory to a new name/", syscall.Rename(filepath.Join(sub, "d"), filepath.Join(sub, "e")+"/"), nil)
	ents, err := os.ReadDir(sub)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	guestcheck.Check("names after the trailing-slash calls", err == nil && strings.Join(names, " ") == "e f", "%q, %v", names, err)
	os.RemoveAll(sub)
}

// testRemoveNames checks what rmdir and unlinkat refuse before they
// remove anything: an unknown flag (EINVAL), a last component that is no
// name ("." EINVAL, ".." ENOTEMPTY, "/" EBUSY), and a link to a
// directory named with a trailing slash (ENOTDIR: neither call follows
// the last name) — and that the file or directory is still there.
func testRemoveNames(dir string) {
	sub := filepath.Join(dir, "rmnames")
	os.RemoveAll(sub)
	guestcheck.Must("mkdir rmnames", os.Mkdir(sub, 0o755))
	guestcheck.Must("mkdir rmnames/empty", os.Mkdir(filepath.Join(sub, "empty"), 0o755))
	guestcheck.Must("write rmnames/f", os.WriteFile(filepath.Join(sub, "f"), nil, 0o644))
	l := link(sub, "l", filepath.Join(sub, "empty"))
	there := func(p string) bool { _, err := os.Lstat(p); return err == nil }
	const atFDCWD = ^uintptr(99) // AT_FDCWD, -100
	unlinkat := func(path string, flags uintptr) error {
		p, err := syscall.BytePtrFromString(path)
		if err != nil {
			return err
		}
		_, _, e := syscall.Syscall(syscall.SYS_UNLINKAT, atFDCWD, uintptr(unsafe.Pointer(p)), flags)
		if e != 0 {
			return e
		}
		return nil
	}
	f := filepath.Join(sub, "f")
	guestcheck.Expect("unlinkat with an unknown flag", unlinkat(f, 1), syscall.EINVAL)
	guestcheck.Expect("unlinkat with AT_REMOVEDIR and an unknown flag", unlinkat(filepath.Join(sub, "empty"), 0x200|0x100), syscall.EINVAL)
	guestcheck.Check("the file is still there after the refused unlinkat", there(f), "")
	guestcheck.Expect("rmdir of a link to an empty directory, with a trailing slash", syscall.Rmdir(l+"/"), syscall.ENOTDIR)
	guestcheck.Expect("unlink of a link to a directory, with a trailing slash", syscall.Unlink(l+"/"), syscall.ENOTDIR)
	guestcheck.Check("the link and its directory are still there", there(l) && there(filepath.Join(sub, "empty")), "")
	guestcheck.Expect("rmdir of a link to a directory", syscall.Rmdir(l), syscall.ENOTDIR)
	guestcheck.Expect("rmdir DIR/.", syscall.Rmdir(sub+"/."), syscall.EINVAL)
	guestcheck.Expect("rmdir DIR/empty/.", syscall.Rmdir(filepath.Join(sub, "empty")+"/."), syscall.EINVAL)
	guestcheck.Expect("rmdir DIR/empty/..", syscall.Rmdir(filepath.Join(sub, "empty")+"/.."), syscall.ENOTEMPTY)
	guestcheck.Expect("rmdir /", syscall.Rmdir("/"), syscall.EBUSY)
	guestcheck.Expect("rmdir of an empty path", syscall.Rmdir(""), syscall.ENOENT)
	guestcheck.Expect("rmdir /proc (a mount point)", syscall.Rmdir("/proc"), syscall.EBUSY)
	guestcheck.Expect("unlink /proc", syscall.Unlink("/proc"), syscall.EISDIR)
	guestcheck.Expect("rmdir /proc/self (a link)", syscall.Rmdir("/proc/self"), syscall.ENOTDIR)
	guestcheck.Expect("rmdir /proc/cpuinfo", syscall.Rmdir("/proc/cpuinfo"), syscall.ENOTDIR)
	guestcheck.Expect("rmdir /proc/self/status", syscall.Rmdir("/proc/self/status"), syscall.EPERM)
	guestcheck.Expect("rmdir /proc/self/cwd", syscall.Rmdir("/proc/self/cwd"), syscall.EPERM)
	guestcheck.Expect("rmdir /proc/self/fd/0", syscall.Rmdir("/proc/self/fd/0"), syscall.ENOTDIR)
	guestcheck.Expect("unlink /proc/self/fd", syscall.Unlink("/proc/self/fd"), syscall.EPERM)
	guestcheck.Expect("unlink /proc/self/status", syscall.Unlink("/proc/self/status"), syscall.EPERM)
	guestcheck.Expect("unlink /proc/self", syscall.Unlink("/proc/self"), syscall.EPERM)
	guestcheck.Expect("rmdir /proc/self/fd", syscall.Rmdir("/proc/self/fd"), syscall.EPERM)
	guestcheck.Expect("rename of /", syscall.Rename("/", filepath.Join(sub, "root")), syscall.EBUSY)
	guestcheck.Expect("rename onto /", syscall.Rename(filepath.Join(sub, "f"), "//"), syscall.EBUSY)
	guestcheck.Check("the directories are still there", there(filepath.Join(sub, "empty")) && there(sub), "")
	guestcheck.Expect("rmdir DIR/empty/ (a directory, a trailing slash)", syscall.Rmdir(filepath.Join(sub, "empty")+"/"), nil)
	os.RemoveAll(sub)
}

// testEmptyPaths checks fchmodat2, fchownat and utimensat with an empty
// path and AT_EMPTY_PATH (the descriptor's file; with AT_FDCWD the
// working directory, as fstatat) and with a NULL path (the descriptor's
// file, taking no flags; with AT_FDCWD EFAULT).
func testEmptyPaths(dir string) {
	sub := filepath.Join(dir, "emptypaths")
	os.RemoveAll(sub)
	guestcheck.Must("mkdir emptypaths", os.Mkdir(sub, 0o755))
	f := filepath.Join(sub, "f")
	guestcheck.Must("write emptypaths/f", os.WriteFile(f, nil, 0o644))
	wd, err := os.Getwd()
	guestcheck.Must("getwd", err)
	guestcheck.Must("chdir emptypaths", os.Chdir(sub))
	defer os.Chdir(wd)
	const atFDCWD = ^uintptr(99) // AT_FDCWD, -100
	const sysFchmodat2 = 452
	const atEmptyPath = 0x1000
	empty, err := syscall.BytePtrFromString("")
	guestcheck.Must("empty path", err)
	ep := uintptr(unsafe.Pointer(empty))
	call := func(nr uintptr, args ...uintptr) error {
		var a [6]uintptr
		copy(a[:], args)
		_, _, e := syscall.Syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
		if e != 0 {
			return e
		}
		return nil
	}
	mode := func(p string) string {
		st, err := os.Stat(p)
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("%o", st.Mode().Perm())
	}
	guestcheck.Expect("fchmodat2(AT_FDCWD, \"\", AT_EMPTY_PATH): the working directory", call(sysFchmodat2, atFDCWD, ep, 0o750, atEmptyPath), nil)
	guestcheck.Check("the working directory's mode after it", mode(sub) == "750", "%s", mode(sub))
	fd, err := syscall.Open(f, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	guestcheck.Must("open emptypaths/f", err)
	defer syscall.Close(fd)
	guestcheck.Expect("fchmodat2(fd, \"\", AT_EMPTY_PATH): the file", call(sysFchmodat2, uintptr(fd), ep, 0o600, atEmptyPath), nil)
	guestcheck.Check("the file's mode after it", mode(f) == "600", "%s", mode(f))
	guestcheck.Expect("fchownat(AT_FDCWD, \"\", own ids, AT_EMPTY_PATH): the working directory",
		call(syscall.SYS_FCHOWNAT, atFDCWD, ep, uintptr(os.Getuid()), uintptr(os.Getgid()), atEmptyPath), nil)
	ts := []syscall.Timespec{{Sec: 1600000000}, {Sec: 1600000001, Nsec: 5}}
	tp := uintptr(unsafe.Pointer(&ts[0]))
	guestcheck.Expect("utimensat(AT_FDCWD, \"\", AT_EMPTY_PATH): the working directory", call(syscall.SYS_UTIMENSAT, atFDCWD, ep, tp, atEmptyPath), nil)
	st, err := os.Stat(sub)
	guestcheck.Check("the working directory's mtime after it", err == nil && st.ModTime().Equal(time.Unix(1600000001, 5)), "%v, %v", err, st)
	guestcheck.Expect("utimensat(AT_FDCWD, NULL)", call(syscall.SYS_UTIMENSAT, atFDCWD, 0, tp, 0), syscall.EFAULT)
	guestcheck.Expect("utimensat(fd, NULL) with a flag", call(syscall.SYS_UTIMENSAT, uintptr(fd), 0, tp, 0x100), syscall.EINVAL)
	guestcheck.Expect("utimensat(fd, NULL): the file", call(syscall.SYS_UTIMENSAT, uintptr(fd), 0, tp, 0), nil)
	guestcheck.Expect("utimes(NULL)", call(syscall.SYS_UTIMES, 0, 0), syscall.EFAULT)
	os.Chdir(wd)
	os.RemoveAll(sub)
}

// testChangeThroughLinks checks the calls that create, remove or change
// a file through a path that crosses into another file system: through
// /proc/self/cwd back into dir (the working directory), through dir's
// links to /proc, /proc/self, /proc/self/cwd and /dev, and through
// /proc/self/fd/N. Linux reaches the other file system; rename and link
// across two file systems are EXDEV.
func testChangeThroughLinks(dir string) {
	wd, _ := os.Getwd()
	guestcheck.Must("chdir "+dir, os.Chdir(dir))
	defer func() { guestcheck.Must("chdir back", os.Chdir(wd)) }()
	cwd := "/proc/self/cwd/"
	cw := link(dir, "ch-cw", "/proc/self/cwd") + "/"
	ps := link(dir, "ch-ps", "/proc/self") + "/"
	p := link(dir, "ch-p", "/proc") + "/"
	dev := link(dir, "ch-dev", "/dev") + "/"
	null := link(dir, "ch-null", "/dev/null")
	for _, n := range []string{"ch-d1", "ch-d2", "ch-d3", "ch-f", "ch-g", "ch-h", "ch-l", "ch-fifo", "ch-e"} {
		os.RemoveAll(filepath.Join(dir, n))
	}
	isDir := func(name string) bool {
		fi, err := os.Lstat(filepath.Join(dir, name))
		return err == nil && fi.IsDir()
	}
	gone := func(name string) bool {
		_, err := os.Lstat(filepath.Join(dir, name))
		return errors.Is(err, fs.ErrNotExist)
	}

	// mkdir, mkdirat.
	guestcheck.Expect("mkdir through /proc/self/cwd", syscall.Mkdir(cwd+"ch-d1", 0o755), nil)
	guestcheck.Check("mkdir through /proc/self/cwd made it", isDir("ch-d1"), "")
	guestcheck.Expect("mkdir through a link to /proc/self/cwd", syscall.Mkdir(cw+"ch-d2", 0o755), nil)
	guestcheck.Check("mkdir through a link to /proc/self/cwd made it", isDir("ch-d2"), "")
	d, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	guestcheck.Must("open "+dir, err)
	guestcheck.Expect("mkdirat dir ch-cw/ch-d3", syscall.Mkdirat(d, "ch-cw/ch-d3", 0o755), nil)
	guestcheck.Check("mkdirat dir ch-cw/ch-d3 made it", isDir("ch-d3"), "")
	guestcheck.Expect("mkdir through a link to /proc/self", syscall.Mkdir(ps+"ch-new", 0o755), syscall.ENOENT)
	guestcheck.Expect("mkdir through a link to /proc of self/status", syscall.Mkdir(p+"self/status", 0o755), syscall.EEXIST)
	guestcheck.Expect("mkdir through a link to /dev of null", syscall.Mkdir(dev+"null", 0o755), syscall.EEXIST)
	guestcheck.Expect("mkdir of a link to /dev/null", syscall.Mkdir(null, 0o755), syscall.EEXIST)
	guestcheck.Expect("mkdir below a link to /dev/null", syscall.Mkdir(null+"/x", 0o755), syscall.ENOTDIR)
	guestcheck.Expect("mkdir /dev/null/x", syscall.Mkdir("/dev/null/x", 0o755), syscall.ENOTDIR)
	guestcheck.Expect("mkdir /proc/self/status", syscall.Mkdir("/proc/self/status", 0o755), syscall.EEXIST)
	guestcheck.Expect("mkdir /proc/self/x", syscall.Mkdir("/proc/self/x", 0o755), syscall.ENOENT)

	// symlink, symlinkat.
	guestcheck.Expect("symlink through /proc/self/cwd", syscall.Symlink("ch-target", cwd+"ch-l"), nil)
	t, err := os.Readlink(filepath.Join(dir, "ch-l"))
	guestcheck.Check("symlink through /proc/self/cwd made it", err == nil && t == "ch-target", "%q, %v", t, err)
	guestcheck.Expect("symlink through a link to /proc/self", syscall.Symlink("x", ps+"ch-new"), syscall.ENOENT)
	guestcheck.Expect("symlink through a link to /proc/self of status", syscall.Symlink("x", ps+"status"), syscall.EEXIST)
	guestcheck.Expect("symlink through a link to /dev of null", syscall.Symlink("x", dev+"null"), syscall.EEXIST)

	// mknod (mkfifo).
	guestcheck.Expect("mkfifo through a link to /proc/self/cwd", syscall.Mkfifo(cw+"ch-fifo", 0o644), nil)
	fi, err := os.Lstat(filepath.Join(dir, "ch-fifo"))
	guestcheck.Check("mkfifo through a link to /proc/self/cwd made it", err == nil && fi.Mode()&os.ModeNamedPipe != 0, "%v, %v", fi, err)
	guestcheck.Expect("mkfifo through a link to /proc/self of status", syscall.Mkfifo(ps+"status", 0o644), syscall.EEXIST)
	guestcheck.Expect("mkfifo through a link to /proc/self", syscall.Mkfifo(ps+"ch-new", 0o644), syscall.ENOENT)

	// rename, renameat, renameat2.
	guestcheck.Must("write ch-f", os.WriteFile(filepath.Join(dir, "ch-f"), []byte("f"), 0o644))
	guestcheck.Expect("rename through /proc/self/cwd", syscall.Rename(cwd+"ch-f", cwd+"ch-g"), nil)
	guestcheck.Check("rename through /proc/self/cwd moved it", gone("ch-f") && !gone("ch-g"), "")
	guestcheck.Expect("rename through a link to /proc/self/cwd", syscall.Rename(cw+"ch-g", "ch-f"), nil)
	guestcheck.Check("rename through a link to /proc/self/cwd moved it", gone("ch-g") && !gone("ch-f"), "")
	guestcheck.Expect("renameat dir ch-cw/ch-d3 to ch-e", syscall.Renameat(d, "ch-cw/ch-d3", d, "ch-e"), nil)
	guestcheck.Check("renameat dir ch-cw/ch-d3 to ch-e moved it", gone("ch-d3") && isDir("ch-e"), "")
	guestcheck.Expect("rename into a link to /proc/self", syscall.Rename("ch-f", ps+"ch-new"), syscall.EXDEV)
	guestcheck.Expect("rename out of a link to /proc/self", syscall.Rename(ps+"status", "ch-g"), syscall.EXDEV)
	guestcheck.Expect("rename onto a link to /proc/self of status", syscall.Rename("ch-f", ps+"status"), syscall.EXDEV)
	guestcheck.Expect("rename of a missing /proc name into dir", syscall.Rename(ps+"nosuch", "ch-g"), syscall.EXDEV)
	guestcheck.Expect("rename to a new name in /dev", syscall.Rename("ch-f", "/dev/ch-new"), syscall.EXDEV)
	guestcheck.Expect("rename to a new name through a link to /dev", syscall.Rename("ch-f", dev+"ch-new"), syscall.EXDEV)
	guestcheck.Expect("link to a new name through a link to /dev", syscall.Link("ch-f", dev+"ch-new"), syscall.EXDEV)
	guestcheck.Check("rename and link to /dev left the file", !gone("ch-f"), "")
	guestcheck.Must("write ch-h", os.WriteFile(filepath.Join(dir, "ch-h"), []byte("h"), 0o644))
	guestcheck.Expect("renameat2 RENAME_NOREPLACE through /proc/self/cwd onto a file", renameat2(cwd+"ch-f", cw+"ch-h", 1), syscall.EEXIST)
	guestcheck.Expect("renameat2 RENAME_NOREPLACE through /proc/self/cwd to a new name", renameat2(cwd+"ch-h", cw+"ch-g", 1), nil)
	guestcheck.Check("renameat2 RENAME_NOREPLACE through /proc/self/cwd moved it", gone("ch-h") && !gone("ch-g"), "")

	// link.
	guestcheck.Expect("link of a /proc file into dir", syscall.Link(ps+"status", "ch-h"), syscall.EXDEV)

	// Through /proc/self/cwd/.. and a directory's /proc/self/fd/N.
	up := cwd + "../" + filepath.Base(dir) + "/"
	fdDir := fmt.Sprintf("/proc/self/fd/%d/", d)
	for _, c := range []struct{ name, via string }{{"/proc/self/cwd/..", up}, {"/proc/self/fd/N of dir", fdDir}} {
		fw, err := os.OpenFile(c.via+"ch-new", os.O_CREATE|os.O_WRONLY, 0o644)
		guestcheck.Check("open O_CREAT through "+c.name, err == nil && !gone("ch-new"), "%v", err)
		if err == nil {
			fw.Close()
		}
		guestcheck.Expect("unlink through "+c.name, syscall.Unlink(c.via+"ch-new"), nil)
	}
	guestcheck.Expect("mkdir through /proc/self/cwd/..", syscall.Mkdir(up+"ch-d4", 0o755), nil)
	guestcheck.Check("mkdir through /proc/self/cwd/.. made it", isDir("ch-d4"), "")
	guestcheck.Expect("rmdir through /proc/self/cwd/..", syscall.Rmdir(up+"ch-d4"), nil)
	guestcheck.Expect("mkdir through /proc/self/fd/N of dir", syscall.Mkdir(fdDir+"ch-d4", 0o755), nil)
	guestcheck.Check("mkdir through /proc/self/fd/N of dir made it", isDir("ch-d4"), "")
	guestcheck.Expect("symlink through /proc/self/fd/N of dir", syscall.Symlink("x", fdDir+"ch-l2"), nil)
	guestcheck.Expect("unlink through /proc/self/fd/N of dir", syscall.Unlink(fdDir+"ch-l2"), nil)
	guestcheck.Expect("rmdir through /proc/self/fd/N of dir", syscall.Rmdir(fdDir+"ch-d4"), nil)
	guestcheck.Check("rmdir through /proc/self/fd/N of dir removed it", gone("ch-d4"), "")

	// chmod, fchmodat.
	guestcheck.Expect("chmod through /proc/self/cwd", syscall.Chmod(cwd+"ch-f", 0o600), nil)
	fi, err = os.Stat(filepath.Join(dir, "ch-f"))
	guestcheck.Check("chmod through /proc/self/cwd changed it", err == nil && fi.Mode().Perm() == 0o600, "%v, %v", fi, err)
	guestcheck.Expect("chmod through a link to /proc/self/cwd", syscall.Chmod(cw+"ch-f", 0o640), nil)
	fi, err = os.Stat(filepath.Join(dir, "ch-f"))
	guestcheck.Check("chmod through a link to /proc/self/cwd changed it", err == nil && fi.Mode().Perm() == 0o640, "%v, %v", fi, err)
	guestcheck.Expect("fchmodat dir ch-cw/ch-f", fchmodat(d, "ch-cw/ch-f", 0o604), nil)
	fi, err = os.Stat(filepath.Join(dir, "ch-f"))
	guestcheck.Check("fchmodat dir ch-cw/ch-f changed it", err == nil && fi.Mode().Perm() == 0o604, "%v, %v", fi, err)
	f, err := os.Open(filepath.Join(dir, "ch-g"))
	guestcheck.Must("open ch-g", err)
	guestcheck.Expect("chmod /proc/self/fd/N of a file", syscall.Chmod(fmt.Sprintf("/proc/self/fd/%d", f.Fd()), 0o612), nil)
	fi, err = os.Stat(filepath.Join(dir, "ch-g"))
	guestcheck.Check("chmod /proc/self/fd/N of a file changed it", err == nil && fi.Mode().Perm() == 0o612, "%v, %v", fi, err)
	guestcheck.Expect("chmod through a link to /proc/self of status", syscall.Chmod(ps+"status", 0o444), syscall.EPERM)
	guestcheck.Expect("chmod through a link to /proc/self of a missing name", syscall.Chmod(ps+"nosuch", 0o444), syscall.ENOENT)
	guestcheck.Expect("chmod through /proc/self/cwd of a missing name", syscall.Chmod(cwd+"ch-nosuch", 0o444), syscall.ENOENT)

	// chown, lchown, fchownat.
	guestcheck.Expect("chown through /proc/self/cwd", syscall.Chown(cwd+"ch-f", 0, 0), nil)
	guestcheck.Expect("lchown through a link to /proc/self/cwd", syscall.Lchown(cw+"ch-l", 0, 0), nil)
	guestcheck.Expect("chown through a link to /proc/self of status", syscall.Chown(ps+"status", -1, -1), nil)
	guestcheck.Expect("chown through /proc/self/cwd of a missing name", syscall.Chown(cwd+"ch-nosuch", -1, -1), syscall.ENOENT)
	guestcheck.Expect("chown through a link to /proc/self of a missing name", syscall.Chown(ps+"nosuch", -1, -1), syscall.ENOENT)

	// utimensat, utimes.
	mt := time.Unix(1234567890, 0)
	guestcheck.Expect("utimensat through /proc/self/cwd", os.Chtimes(cwd+"ch-f", mt, mt), nil)
	fi, err = os.Stat(filepath.Join(dir, "ch-f"))
	guestcheck.Check("utimensat through /proc/self/cwd changed it", err == nil && fi.ModTime().Equal(mt), "%v, %v", fi, err)
	guestcheck.Expect("utimes through a link to /proc/self/cwd", syscall.Utimes(cw+"ch-g", []syscall.Timeval{{Sec: 1e9}, {Sec: 1e9, Usec: 5}}), nil)
	fi, err = os.Stat(filepath.Join(dir, "ch-g"))
	guestcheck.Check("utimes through a link to /proc/self/cwd changed it", err == nil && fi.ModTime().Equal(time.Unix(1e9, 5000)), "%v, %v", fi, err)
	guestcheck.Expect("utimensat through a link to /proc/self of status", os.Chtimes(ps+"status", mt, mt), nil)
	guestcheck.Expect("utimensat through /proc/self/cwd of a missing name", os.Chtimes(cwd+"ch-nosuch", mt, mt), syscall.ENOENT)
	guestcheck.Expect("utimensat of a missing name, both times omitted", utimensatOmit(cwd+"ch-nosuch"), nil)

	// unlink, unlinkat, rmdir.
	guestcheck.Expect("unlink through a link to /proc/self of status", syscall.Unlink(ps+"status"), syscall.EPERM)
	guestcheck.Expect("rmdir through a link to /proc/self of fd", syscall.Rmdir(ps+"fd"), syscall.EPERM)
	guestcheck.Expect("unlink through a link to /proc/self of a missing name", syscall.Unlink(ps+"nosuch"), syscall.ENOENT)
	guestcheck.Expect("rmdir through a link to /dev of null", syscall.Rmdir(dev+"null"), syscall.ENOTDIR)
	guestcheck.Expect("unlink below a link to /dev/null", syscall.Unlink(null+"/x"), syscall.ENOTDIR)
	guestcheck.Expect("unlink through /proc/self/cwd", syscall.Unlink(cwd+"ch-f"), nil)
	guestcheck.Check("unlink through /proc/self/cwd removed it", gone("ch-f"), "")
	guestcheck.Expect("unlink through a link to /proc/self/cwd", syscall.Unlink(cw+"ch-l"), nil)
	guestcheck.Check("unlink through a link to /proc/self/cwd removed it", gone("ch-l"), "")
	guestcheck.Expect("unlinkat dir ch-cw/ch-fifo", syscall.Unlinkat(d, "ch-cw/ch-fifo"), nil)
	guestcheck.Check("unlinkat dir ch-cw/ch-fifo removed it", gone("ch-fifo"), "")
	guestcheck.Expect("rmdir through /proc/self/cwd", syscall.Rmdir(cwd+"ch-d1"), nil)
	guestcheck.Check("rmdir through /proc/self/cwd removed it", gone("ch-d1"), "")
	guestcheck.Expect("rmdir through a link to /proc/self/cwd", syscall.Rmdir(cw+"ch-d2"), nil)
	guestcheck.Check("rmdir through a link to /proc/self/cwd removed it", gone("ch-d2"), "")
	guestcheck.Expect("rmdir /proc/self/cwd", syscall.Rmdir("/proc/self/cwd"), syscall.EPERM)
	f.Close()
	syscall.Close(d)

	// inotify_add_watch.
	in, err := syscall.InotifyInit1(syscall.IN_CLOEXEC)
	guestcheck.Must("inotify_init1", err)
	_, err = syscall.InotifyAddWatch(in, strings.TrimSuffix(cw, "/"), syscall.IN_CREATE)
	guestcheck.Expect("inotify_add_watch through a link to /proc/self/cwd", err, nil)
	_, err = syscall.InotifyAddWatch(in, cwd+"ch-g", syscall.IN_ATTRIB)
	guestcheck.Expect("inotify_add_watch through /proc/self/cwd", err, nil)
	_, err = syscall.InotifyAddWatch(in, ps+"status", syscall.IN_MODIFY)
	guestcheck.Expect("inotify_add_watch through a link to /proc/self of status", err, nil)
	_, err = syscall.InotifyAddWatch(in, null, syscall.IN_MODIFY)
	guestcheck.Expect("inotify_add_watch of a link to /dev/null", err, nil)
	_, err = syscall.InotifyAddWatch(in, cwd+"ch-nosuch", syscall.IN_MODIFY)
	guestcheck.Expect("inotify_add_watch through /proc/self/cwd of a missing name", err, syscall.ENOENT)
	syscall.Close(in)
	for _, n := range []string{"ch-e", "ch-g"} {
		os.RemoveAll(filepath.Join(dir, n))
	}
	testDeviceAttrs(dir)
}

// testDeviceAttrs changes /dev/null's mode and owner to what they are
// (the host's own /dev/null when Linux runs this; only root may) and
// reads them back, by path, through a link and by a descriptor.
func testDeviceAttrs(dir string) {
	if os.Getuid() != 0 {
		return
	}
	var st syscall.Stat_t
	guestcheck.Must("stat /dev/null", syscall.Stat("/dev/null", &st))
	mode, uid, gid := st.Mode&0o7777, int(st.Uid), int(st.Gid)
	null := link(dir, "ch-null2", "/dev/null")
	same := func(name string, err error) {
		var now syscall.Stat_t
		serr := syscall.Stat(null, &now)
		guestcheck.Check(name, err == nil && serr == nil && now.Mode&0o7777 == mode && int(now.Uid) == uid && int(now.Gid) == gid && now.Mode&syscall.S_IFMT == syscall.S_IFCHR,
			"%v, %v, %#o %d:%d", err, serr, now.Mode, now.Uid, now.Gid)
	}
	same("chmod /dev/null to its mode", syscall.Chmod("/dev/null", mode))
	same("chmod a link to /dev/null to its mode", syscall.Chmod(null, mode))
	same("chown /dev/null to its owner", syscall.Chown("/dev/null", uid, gid))
	same("chown a link to /dev/null to its owner", syscall.Chown(null, uid, gid))
	same("lchown /dev/null to its owner", syscall.Lchown("/dev/null", uid, gid))
	f, err := os.OpenFile("/dev/null", os.O_WRONLY, 0)
	guestcheck.Must("open /dev/null", err)
	same("fchmod of /dev/null to its mode", f.Chmod(os.FileMode(mode&0o777)))
	same("fchown of /dev/null to its owner", f.Chown(uid, gid))
	f.Close()
	os.Remove(null)
}

// renameat2 renames from to to with renameat2's flags.
func renameat2(from, to string, flags uintptr) error {
	const sysRenameat2 = 316 // x86-64
	_, _, e := syscall.Syscall6(sysRenameat2, ^uintptr(99), cstr(from), ^uintptr(99), cstr(to), flags, 0)
	if e != 0 {
		return e
	}
	return nil
}

// fchmodat changes the mode of path relative to the directory d.
func fchmodat(d int, path string, mode uint32) error {
	_, _, e := syscall.Syscall6(syscall.SYS_FCHMODAT, uintptr(d), cstr(path), uintptr(mode), 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// utimensatOmit calls utimensat on path with both times UTIME_OMIT.
func utimensatOmit(path string) error {
	ts := [2]syscall.Timespec{{Nsec: 1<<30 - 2}, {Nsec: 1<<30 - 2}}
	_, _, e := syscall.Syscall6(syscall.SYS_UTIMENSAT, ^uintptr(99), cstr(path), uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}
