// Command falloc checks fallocate through golang.org/x/sys/unix on a
// /tmp file and a memfd: allocation (the size grows, zeros read back),
// FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE (zeros), the modes tmpfs
// refuses, memfd seals, bad ranges, descriptors of other kinds, and
// memory running out; st_blocks as pages are written, allocated, punched
// and truncated (blocks.go); madvise(MADV_REMOVE), a hole punched
// through a mapping, and where it is refused (madvise.go). Usage:
//
//	falloc DIR FILE
//
// DIR is a writable tmpfs directory, FILE a file of the image tree. Each
// check names the result it saw, so the guest's lines must equal the ones
// Linux, the oracle, prints. The end prints "falloc ok" if no check
// failed, else exits 1.
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gotoro/gotoro/internal/guestcheck"
	"golang.org/x/sys/unix"
)

const page = 4096

func main() {
	guestcheck.KeepGoing()
	if len(os.Args) < 3 {
		fmt.Println("usage: falloc DIR FILE")
		os.Exit(2)
	}
	f, err := os.OpenFile(filepath.Join(os.Args[1], "falloc"), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	guestcheck.Must("create a file", err)
	testFile("tmp", int(f.Fd()))
	mfd := guestcheck.Value(unix.MemfdCreate("falloc", 0))
	testFile("memfd", mfd)
	testSeals()
	testMapped()
	testKinds(os.Args[1], os.Args[2])
	testBlocks("tmp", int(f.Fd()))
	testBlocks("memfd", mfd)
	testRemove("tmp", int(f.Fd()))
	testRemove("memfd", mfd)
	testRemoveKinds(os.Args[1])
	guestcheck.Done("falloc ok")
}

// see prints a check named by what the call returned (compared with
// Linux's line).
func see(name string, err error) {
	r := "ok"
	if err != nil {
		r = "error " + err.Error()
	}
	guestcheck.Check(name+": "+r, true, "")
}

func size(fd int) int64 {
	var st unix.Stat_t
	guestcheck.Must("fstat", unix.Fstat(fd, &st))
	return st.Size
}

func testFile(kind string, fd int) {
	p := func(s string) string { return kind + ": " + s }
	see(p("fallocate 0..10000"), unix.Fallocate(fd, 0, 0, 10000))
	guestcheck.Check(p("the size is 10000"), size(fd) == 10000, "%d", size(fd))
	b := make([]byte, 10000)
	n, err := unix.Pread(fd, b, 0)
	guestcheck.Check(p("the allocated range reads as zeros"), err == nil && n == 10000 && bytes.Count(b, []byte{0}) == 10000, "%d %v", n, err)
	see(p("fallocate KEEP_SIZE to 20000"), unix.Fallocate(fd, unix.FALLOC_FL_KEEP_SIZE, 10000, 10000))
	guestcheck.Check(p("KEEP_SIZE leaves the size"), size(fd) == 10000, "%d", size(fd))
	see(p("fallocate inside the file"), unix.Fallocate(fd, 0, 100, 100))
	guestcheck.Check(p("allocating inside leaves the size"), size(fd) == 10000, "%d", size(fd))

	data := bytes.Repeat([]byte("x"), 4*page)
	guestcheck.Value(unix.Pwrite(fd, data, 0))
	see(p("punch a hole 100..3*page+100"), unix.Fallocate(fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, 100, 3*page))
	got := make([]byte, 4*page)
	guestcheck.Value(unix.Pread(fd, got, 0))
	want := append(append(bytes.Repeat([]byte("x"), 100), make([]byte, 3*page)...), bytes.Repeat([]byte("x"), page-100)...)
	guestcheck.Check(p("the hole reads as zeros, the rest stays"), bytes.Equal(got, want), "%q", got[:200])
	guestcheck.Check(p("punching leaves the size"), size(fd) == 4*page, "%d", size(fd))
	see(p("punch a hole past the end"), unix.Fallocate(fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, 1<<20, page))
	guestcheck.Check(p("punching past the end leaves the size"), size(fd) == 4*page, "%d", size(fd))

	for _, c := range []struct {
		name string
		mode uint32
	}{
		{"PUNCH_HOLE without KEEP_SIZE", unix.FALLOC_FL_PUNCH_HOLE},
		{"ZERO_RANGE", unix.FALLOC_FL_ZERO_RANGE},
		{"ZERO_RANGE|KEEP_SIZE", unix.FALLOC_FL_ZERO_RANGE | unix.FALLOC_FL_KEEP_SIZE},
		{"COLLAPSE_RANGE", unix.FALLOC_FL_COLLAPSE_RANGE},
		{"COLLAPSE_RANGE|KEEP_SIZE", unix.FALLOC_FL_COLLAPSE_RANGE | unix.FALLOC_FL_KEEP_SIZE},
		{"INSERT_RANGE", unix.FALLOC_FL_INSERT_RANGE},
		{"UNSHARE_RANGE", unix.FALLOC_FL_UNSHARE_RANGE},
		{"mode 0x100", 0x100},
		{"PUNCH_HOLE|ZERO_RANGE|KEEP_SIZE", 0x13},
	} {
		see(p(c.name), unix.Fallocate(fd, c.mode, 0, page))
	}
	see(p("a length of 0"), unix.Fallocate(fd, 0, 0, 0))
	see(p("a length of -1"), unix.Fallocate(fd, 0, 0, -1))
	see(p("an offset of -1"), unix.Fallocate(fd, 0, -1, 1))
	see(p("an end past 2^63"), unix.Fallocate(fd, 0, 1<<62, 1<<62))
	see(p("an end past 2^63 with KEEP_SIZE"), unix.Fallocate(fd, unix.FALLOC_FL_KEEP_SIZE, 1<<62, 1<<62))
	if kind == "tmp" {
		// A tmpfs mount has a size (a memfd's has none: Linux would
		// allocate until the machine's memory is gone).
		see(p("1 TiB"), unix.Fallocate(fd, 0, 0, 1<<40))
		guestcheck.Check(p("a failed allocation leaves the size"), size(fd) == 4*page, "%d", size(fd))
	}
}

func testSeals() {
	fd := guestcheck.Value(unix.MemfdCreate("sealed", unix.MFD_ALLOW_SEALING))
	guestcheck.Must("ftruncate", unix.Ftruncate(fd, 2*page))
	guestcheck.Value(unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_GROW))
	see("F_SEAL_GROW: fallocate inside", unix.Fallocate(fd, 0, 0, page))
	see("F_SEAL_GROW: fallocate past the end", unix.Fallocate(fd, 0, page, 2*page))
	see("F_SEAL_GROW: KEEP_SIZE past the end", unix.Fallocate(fd, unix.FALLOC_FL_KEEP_SIZE, page, 2*page))
	see("F_SEAL_GROW: punch a hole", unix.Fallocate(fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, 0, page))
	guestcheck.Value(unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_WRITE))
	see("F_SEAL_WRITE: fallocate inside", unix.Fallocate(fd, 0, 0, page))
	see("F_SEAL_WRITE: punch a hole", unix.Fallocate(fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, 0, page))
	unix.Close(fd)
}

func testKinds(dir, tree string) {
	see("a closed descriptor", unix.Fallocate(12345, 0, 0, 1))
	ro := guestcheck.Value(unix.Open(filepath.Join(dir, "falloc"), unix.O_RDONLY, 0))
	see("a read-only descriptor", unix.Fallocate(ro, 0, 0, 1))
	unix.Close(ro)
	t := guestcheck.Value(unix.Open(tree, unix.O_RDONLY, 0))
	see("a read-only file of the tree", unix.Fallocate(t, 0, 0, 1))
	unix.Close(t)
	d := guestcheck.Value(unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0))
	see("a directory", unix.Fallocate(d, 0, 0, 1))
	unix.Close(d)
	var p [2]int
	guestcheck.Must("pipe", unix.Pipe(p[:]))
	see("a pipe's read end", unix.Fallocate(p[0], 0, 0, 1))
	see("a pipe's write end", unix.Fallocate(p[1], 0, 0, 1))
	unix.Close(p[0])
	unix.Close(p[1])
	s, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	guestcheck.Must("socketpair", err)
	see("a socket", unix.Fallocate(s[0], 0, 0, 1))
	unix.Close(s[0])
	unix.Close(s[1])
	for _, dev := range []string{"/dev/null", "/dev/zero"} {
		fd := guestcheck.Value(unix.Open(dev, unix.O_RDWR, 0))
		see(dev, unix.Fallocate(fd, 0, 0, 1))
		unix.Close(fd)
	}
}

// testMapped punches a hole under a shared mapping: the mapping reads
// zeros there, and its stores land in the file again.
func testMapped() {
	fd := guestcheck.Value(unix.MemfdCreate("mapped", 0))
	guestcheck.Must("ftruncate", unix.Ftruncate(fd, 3*page))
	m := guestcheck.Value(unix.Mmap(fd, 0, 3*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED))
	copy(m, bytes.Repeat([]byte("m"), 3*page))
	see("mapped: punch the middle page", unix.Fallocate(fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, page, page))
	guestcheck.Check("mapped: the mapping reads zeros in the hole", bytes.Count(m[page:2*page], []byte{0}) == page && m[0] == 'm' && m[2*page] == 'm', "%q %q", m[page:page+8], m[:8])
	m[page] = 'n'
	b := make([]byte, 1)
	guestcheck.Value(unix.Pread(fd, b, page))
	guestcheck.Check("mapped: a store in the hole reaches the file", b[0] == 'n', "%q", b)
	guestcheck.Must("munmap", unix.Munmap(m))
	unix.Close(fd)
}
