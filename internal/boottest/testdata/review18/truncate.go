package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gotoro/gotoro/internal/guestcheck"
	"golang.org/x/sys/unix"
)

// testTruncateProc: truncate(2) of /proc/self/fd/N for each kind of
// descriptor, and the names around it.
func testTruncateProc(dir string) {
	name := func(fd int) string { return fmt.Sprintf("/proc/self/fd/%d", fd) }
	var p [2]int
	guestcheck.Must("pipe", unix.Pipe(p[:]))
	see("truncate: a pipe", unix.Truncate(name(p[0]), 0))
	s := guestcheck.Value(unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0))
	see("truncate: a socket", unix.Truncate(name(s[0]), 0))
	e := guestcheck.Value(unix.Eventfd(0, 0))
	see("truncate: an eventfd", unix.Truncate(name(e), 0))
	dfd := guestcheck.Value(unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0))
	see("truncate: a directory", unix.Truncate(name(dfd), 0))
	see("truncate: a directory's name", unix.Truncate(dir, 0))
	null := guestcheck.Value(unix.Open("/dev/null", unix.O_RDWR, 0))
	see("truncate: /dev/null", unix.Truncate(name(null), 0))
	see("truncate: a closed descriptor", unix.Truncate(name(999), 0))

	for _, seal := range []struct {
		name string
		v    int
	}{{"F_SEAL_WRITE", unix.F_SEAL_WRITE}, {"F_SEAL_SHRINK", unix.F_SEAL_SHRINK}, {"F_SEAL_GROW", unix.F_SEAL_GROW}, {"F_SEAL_FUTURE_WRITE", unix.F_SEAL_FUTURE_WRITE}} {
		m := guestcheck.Value(unix.MemfdCreate("t", unix.MFD_ALLOW_SEALING))
		guestcheck.Must("ftruncate", unix.Ftruncate(m, 100))
		guestcheck.Value(unix.FcntlInt(uintptr(m), unix.F_ADD_SEALS, seal.v))
		see("truncate: a memfd sealed "+seal.name+" to 50", unix.Truncate(name(m), 50))
		see("truncate: a memfd sealed "+seal.name+" to 200", unix.Truncate(name(m), 200))
		see("truncate: a memfd sealed "+seal.name+" to its size", unix.Truncate(name(m), size(m)))
		guestcheck.Check(fmt.Sprintf("truncate: a memfd sealed %s: size %d", seal.name, size(m)), true, "")
		unix.Close(m)
	}
	m := guestcheck.Value(unix.MemfdCreate("t", 0))
	see("truncate: a memfd to -1", unix.Truncate(name(m), -1))
	see("truncate: a memfd by /proc/<pid>/fd", unix.Truncate(fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), m), 10))
	guestcheck.Check(fmt.Sprintf("truncate: a memfd by other names: size %d", size(m)), true, "")
	f := guestcheck.Value(unix.Open(filepath.Join(dir, "tr"), unix.O_RDWR|unix.O_CREAT|unix.O_TRUNC, 0o644))
	guestcheck.Must("unlink", unix.Unlink(filepath.Join(dir, "tr")))
	ro := guestcheck.Value(unix.Open(name(f), unix.O_RDONLY, 0))
	unix.Close(f)
	see("truncate: an unlinked file open read-only", unix.Truncate(name(ro), 7))
	guestcheck.Check(fmt.Sprintf("truncate: an unlinked file open read-only: size %d", size(ro)), true, "")
	op := guestcheck.Value(unix.Open(filepath.Join(dir), unix.O_PATH, 0))
	see("truncate: an O_PATH directory", unix.Truncate(name(op), 0))
	op2 := guestcheck.Value(unix.Open("/proc/self/fd/"+fmt.Sprint(m), unix.O_PATH, 0))
	see("truncate: an O_PATH of a memfd", unix.Truncate(name(op2), 40))
	guestcheck.Check(fmt.Sprintf("truncate: an O_PATH of a memfd: size %d", size(m)), true, "")
	for _, fd := range []int{p[0], p[1], s[0], s[1], e, dfd, null, m, ro, op, op2} {
		unix.Close(fd)
	}
}
