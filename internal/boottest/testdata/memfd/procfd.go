package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gotoro/gotoro/internal/guestcheck"
	"golang.org/x/sys/unix"
)

// result names a call's outcome in a check's line.
func result(err error) string {
	if err != nil {
		return "error " + err.Error()
	}
	return "ok"
}

// testTruncateByName truncates a memfd, a sealed one and an unlinked
// /tmp file by their /proc/self/fd/N names with truncate(2), as Linux
// allows (and answers the seals).
func testTruncateByName(dir string) {
	name := func(fd int) string { return fmt.Sprintf("/proc/self/fd/%d", fd) }
	see := func(s string, err error, fd int) {
		var st unix.Stat_t
		guestcheck.Must("fstat", unix.Fstat(fd, &st))
		guestcheck.Check(fmt.Sprintf("truncate by name: %s: %s, size %d", s, result(err), st.Size), true, "")
	}
	fd := memfd("byname", 0)
	guestcheck.Value(unix.Write(fd, []byte("hello, world")))
	see("a memfd to 5", unix.Truncate(name(fd), 5), fd)
	see("a memfd to 3 pages", unix.Truncate(name(fd), 3*page), fd)
	see("a memfd to -1", unix.Truncate(name(fd), -1), fd)
	unix.Close(fd)

	s := memfd("byname-sealed", unix.MFD_ALLOW_SEALING)
	guestcheck.Must("ftruncate", unix.Ftruncate(s, page))
	guestcheck.Must("F_ADD_SEALS", addSeals(s, unix.F_SEAL_SHRINK))
	see("F_SEAL_SHRINK, shorter", unix.Truncate(name(s), 10), s)
	see("F_SEAL_SHRINK, longer", unix.Truncate(name(s), 2*page), s)
	guestcheck.Must("F_ADD_SEALS", addSeals(s, unix.F_SEAL_GROW))
	see("F_SEAL_GROW, longer", unix.Truncate(name(s), 3*page), s)
	see("F_SEAL_GROW, the same size", unix.Truncate(name(s), 2*page), s)
	unix.Close(s)

	ro := guestcheck.Value(unix.Open(name(memfd("byname-ro", 0)), unix.O_RDONLY, 0))
	see("a memfd opened read-only by name", unix.Truncate(name(ro), 7), ro)
	unix.Close(ro)

	path := filepath.Join(dir, "byname")
	f, err := os.Create(path)
	guestcheck.Must("create", err)
	guestcheck.Must("remove", os.Remove(path))
	tf := int(f.Fd())
	guestcheck.Value(unix.Write(tf, []byte("unlinked")))
	see("an unlinked /tmp file", unix.Truncate(name(tf), 2), tf)
	f.Close()
}
