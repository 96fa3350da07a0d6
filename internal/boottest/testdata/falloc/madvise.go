package main

import (
	"bytes"
	"path/filepath"

	"github.com/gotoro/gotoro/internal/guestcheck"
	"golang.org/x/sys/unix"
)

// testRemove checks madvise(MADV_REMOVE) on a shared writable mapping
// of a /tmp file or memfd: a hole is punched in the file (read and other
// mappings see zeros, its pages are freed, the size stays), and stores
// through the mapping reach the file again afterwards.
func testRemove(kind string, fd int) {
	p := func(s string) string { return kind + ": MADV_REMOVE: " + s }
	guestcheck.Must("ftruncate", unix.Ftruncate(fd, 4*page))
	guestcheck.Value(unix.Pwrite(fd, bytes.Repeat([]byte("r"), 4*page), 0))
	m := guestcheck.Value(unix.Mmap(fd, 0, 4*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED))
	m2 := guestcheck.Value(unix.Mmap(fd, 0, 4*page, unix.PROT_READ, unix.MAP_SHARED))
	_ = m2[page] // mapped before the hole
	see(p("pages 1..3"), unix.Madvise(m[page:3*page], unix.MADV_REMOVE))
	got := make([]byte, 4*page)
	guestcheck.Value(unix.Pread(fd, got, 0))
	want := append(append(bytes.Repeat([]byte("r"), page), make([]byte, 2*page)...), bytes.Repeat([]byte("r"), page)...)
	guestcheck.Check(p("read sees zeros in the hole, the rest stays"), bytes.Equal(got, want), "%q", got[page:page+8])
	guestcheck.Check(p("the mapping sees zeros"), bytes.Equal(m, want), "%q", m[page:page+8])
	guestcheck.Check(p("another mapping sees zeros"), bytes.Equal(m2, want), "%q", m2[page:page+8])
	guestcheck.Check(p("the size stays"), size(fd) == 4*page, "%d", size(fd))
	guestcheck.Check(p("after the hole: "+blocks(fd)), true, "")
	m[page] = 's'
	b := make([]byte, 1)
	guestcheck.Value(unix.Pread(fd, b, page))
	guestcheck.Check(p("a store in the hole reaches the file"), b[0] == 's', "%q", b)
	guestcheck.Check(p("after the store: "+blocks(fd)), true, "")
	see(p("an unaligned address"), unix.Madvise(m[1:page], unix.MADV_REMOVE))
	guestcheck.Must("munmap", unix.Munmap(m2))
	guestcheck.Must("munmap", unix.Munmap(m))

	// A range with a page nothing maps in the middle: the mapped parts
	// are punched, the answer is ENOMEM.
	guestcheck.Value(unix.Pwrite(fd, bytes.Repeat([]byte("g"), 3*page), 0))
	g := guestcheck.Value(unix.Mmap(fd, 0, 3*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED))
	guestcheck.Must("munmap", munmapRaw(g, page, page))
	see(p("a range with a page nothing maps"), madviseRaw(g, 0, 3*page))
	guestcheck.Value(unix.Pread(fd, got[:3*page], 0))
	guestcheck.Check(p("the mapped parts of that range are holes"), got[0] == 0 && got[page] == 'g' && got[2*page] == 0, "%q %q %q", got[0], got[page], got[2*page])
	guestcheck.Must("munmap", munmapRaw(g, 0, page))
	guestcheck.Must("munmap", munmapRaw(g, 2*page, page))

	ro := guestcheck.Value(unix.Mmap(fd, 0, page, unix.PROT_READ, unix.MAP_SHARED))
	see(p("a read-only shared mapping of a read-write descriptor"), unix.Madvise(ro, unix.MADV_REMOVE))
	guestcheck.Must("munmap", unix.Munmap(ro))
	priv := guestcheck.Value(unix.Mmap(fd, 0, page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE))
	priv[0] = 'p'
	see(p("a private mapping"), unix.Madvise(priv, unix.MADV_REMOVE))
	guestcheck.Must("munmap", unix.Munmap(priv))
	guestcheck.Must("ftruncate", unix.Ftruncate(fd, 0))
}

// madviseRaw is madvise(MADV_REMOVE) of n bytes at m's offset off,
// which may reach past m.
func madviseRaw(m []byte, off, n uintptr) error {
	_, _, e := unix.Syscall(unix.SYS_MADVISE, uintptr(unsafePointer(m))+off, n, unix.MADV_REMOVE)
	if e != 0 {
		return e
	}
	return nil
}

// munmapRaw unmaps n bytes at m's offset off (unix.Munmap takes whole
// mappings only).
func munmapRaw(m []byte, off, n uintptr) error {
	_, _, e := unix.Syscall(unix.SYS_MUNMAP, uintptr(unsafePointer(m))+off, n, 0)
	if e != 0 {
		return e
	}
	return nil
}

// testRemoveKinds: MADV_REMOVE where there is no shared writable file
// under the range.
func testRemoveKinds(dir string) {
	anon := guestcheck.Value(unix.Mmap(-1, 0, page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS))
	anon[0] = 1
	see("MADV_REMOVE: private anonymous memory", unix.Madvise(anon, unix.MADV_REMOVE))
	guestcheck.Must("munmap", unix.Munmap(anon))
	shared := guestcheck.Value(unix.Mmap(-1, 0, 2*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_ANONYMOUS))
	shared[0], shared[page] = 1, 2
	see("MADV_REMOVE: shared anonymous memory", unix.Madvise(shared[:page], unix.MADV_REMOVE))
	guestcheck.Check("MADV_REMOVE: shared anonymous memory reads zeros there", shared[0] == 0 && shared[page] == 2, "%d %d", shared[0], shared[page])
	guestcheck.Must("munmap", unix.Munmap(shared))

	path := filepath.Join(dir, "falloc")
	rd := guestcheck.Value(unix.Open(path, unix.O_RDONLY, 0))
	guestcheck.Must("ftruncate", unix.Ftruncate(guestcheck.Value(unix.Open(path, unix.O_RDWR, 0)), page))
	m := guestcheck.Value(unix.Mmap(rd, 0, page, unix.PROT_READ, unix.MAP_SHARED))
	see("MADV_REMOVE: a shared mapping of a read-only descriptor", unix.Madvise(m, unix.MADV_REMOVE))
	guestcheck.Must("munmap", unix.Munmap(m))
	unix.Close(rd)

	fd := guestcheck.Value(unix.MemfdCreate("sealed", unix.MFD_ALLOW_SEALING))
	guestcheck.Must("ftruncate", unix.Ftruncate(fd, page))
	guestcheck.Value(unix.Pwrite(fd, []byte("q"), 0))
	w := guestcheck.Value(unix.Mmap(fd, 0, page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED))
	guestcheck.Value(unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_FUTURE_WRITE))
	see("MADV_REMOVE: a writable mapping made before F_SEAL_FUTURE_WRITE", unix.Madvise(w, unix.MADV_REMOVE))
	guestcheck.Must("munmap", unix.Munmap(w))
	r := guestcheck.Value(unix.Mmap(fd, 0, page, unix.PROT_READ, unix.MAP_SHARED))
	see("MADV_REMOVE: a read-only mapping made after F_SEAL_FUTURE_WRITE", unix.Madvise(r, unix.MADV_REMOVE))
	guestcheck.Must("munmap", unix.Munmap(r))
	unix.Close(fd)
}
