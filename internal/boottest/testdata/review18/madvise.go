package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"unsafe"

	"github.com/gotoro/gotoro/internal/guestcheck"
	"golang.org/x/sys/unix"
)

func madvise(addr, n uintptr, advice int) error {
	_, _, e := unix.Syscall(unix.SYS_MADVISE, addr, n, uintptr(advice))
	if e != 0 {
		return e
	}
	return nil
}

func mmapAt(addr, n uintptr, prot, flags, fd int) error {
	r, _, e := unix.Syscall6(unix.SYS_MMAP, addr, n, uintptr(prot), uintptr(flags|unix.MAP_FIXED), uintptr(fd), 0)
	if e != 0 {
		return e
	}
	if r != addr {
		return fmt.Errorf("mapped at %#x", r)
	}
	return nil
}

func base(m []byte) uintptr { return uintptr(unsafe.Pointer(&m[0])) }

func fileOf(dir, name string, n int, c byte) int {
	fd := guestcheck.Value(unix.Open(filepath.Join(dir, name), unix.O_RDWR|unix.O_CREAT|unix.O_TRUNC, 0o644))
	guestcheck.Value(unix.Pwrite(fd, bytes.Repeat([]byte{c}, n), 0))
	return fd
}

func byteAt(fd int, off int64) byte {
	b := make([]byte, 1)
	guestcheck.Value(unix.Pread(fd, b, off))
	return b[0]
}

// testRemoveMixed: MADV_REMOVE over ranges with more than one VMA, past
// the end of the file, sealed memfds, and bad ranges.
func testRemoveMixed(dir string) {
	// A shared file mapping followed by private anonymous memory: Linux
	// walks the VMAs in order, the file's part is punched before the
	// anonymous part refuses.
	fd := fileOf(dir, "mixed", 4*page, 'm')
	res := guestcheck.Value(unix.Mmap(-1, 0, 4*page, unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS))
	a := base(res)
	guestcheck.Must("map the file", mmapAt(a, 2*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED, fd))
	guestcheck.Must("map anonymous", mmapAt(a+2*page, 2*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, -1))
	see("MADV_REMOVE: file then private anonymous", madvise(a, 4*page, unix.MADV_REMOVE))
	guestcheck.Check(fmt.Sprintf("MADV_REMOVE: file then private anonymous: the file's first byte %q", byteAt(fd, 0)), true, "")
	// Private anonymous first, then the file: nothing is punched.
	guestcheck.Value(unix.Pwrite(fd, bytes.Repeat([]byte{'n'}, 2*page), 0))
	guestcheck.Must("map anonymous", mmapAt(a, 2*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, -1))
	guestcheck.Must("map the file", mmapAt(a+2*page, 2*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED, fd))
	see("MADV_REMOVE: private anonymous then file", madvise(a, 4*page, unix.MADV_REMOVE))
	guestcheck.Check(fmt.Sprintf("MADV_REMOVE: private anonymous then file: the file's first byte %q", byteAt(fd, 0)), true, "")
	// A file mapping and a private mapping of the same file.
	guestcheck.Value(unix.Pwrite(fd, bytes.Repeat([]byte{'o'}, 4*page), 0))
	guestcheck.Must("map the file", mmapAt(a, 2*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED, fd))
	guestcheck.Must("map it private", mmapAt(a+2*page, 2*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE, fd))
	see("MADV_REMOVE: shared then private of one file", madvise(a, 4*page, unix.MADV_REMOVE))
	guestcheck.Check(fmt.Sprintf("MADV_REMOVE: shared then private of one file: the file's first byte %q", byteAt(fd, 0)), true, "")

	// A mapping reaching past the end of the file.
	guestcheck.Must("ftruncate", unix.Ftruncate(fd, page))
	guestcheck.Value(unix.Pwrite(fd, []byte{'e'}, 0))
	guestcheck.Must("map past the end", mmapAt(a, 4*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED, fd))
	see("MADV_REMOVE: a mapping past the end of the file", madvise(a, 4*page, unix.MADV_REMOVE))
	guestcheck.Check(fmt.Sprintf("MADV_REMOVE: past the end: size %d blocks %d byte %q", size(fd), blocksOf(fd), byteAt(fd, 0)), true, "")
	see("MADV_REMOVE: length 0", madvise(a, 0, unix.MADV_REMOVE))
	see("MADV_REMOVE: a huge length", madvise(a, 1<<62, unix.MADV_REMOVE))
	see("MADV_REMOVE: a wrapping length", madvise(a, ^uintptr(0)-page, unix.MADV_REMOVE))
	see("MADV_REMOVE: an unaligned length", madvise(a, 100, unix.MADV_REMOVE))
	guestcheck.Must("munmap", unix.Munmap(res))
	unix.Close(fd)

	// A memfd sealed F_SEAL_WRITE, mapped shared read-only after.
	mfd := guestcheck.Value(unix.MemfdCreate("sealw", unix.MFD_ALLOW_SEALING))
	guestcheck.Value(unix.Pwrite(mfd, bytes.Repeat([]byte{'s'}, 2*page), 0))
	guestcheck.Value(unix.FcntlInt(uintptr(mfd), unix.F_ADD_SEALS, unix.F_SEAL_WRITE))
	r := guestcheck.Value(unix.Mmap(mfd, 0, 2*page, unix.PROT_READ, unix.MAP_SHARED))
	see("MADV_REMOVE: a memfd sealed F_SEAL_WRITE", unix.Madvise(r, unix.MADV_REMOVE))
	guestcheck.Check(fmt.Sprintf("MADV_REMOVE: F_SEAL_WRITE: first byte %q", byteAt(mfd, 0)), true, "")
	_, err := unix.Mmap(mfd, 0, 2*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	see("mmap: shared writable of a memfd sealed F_SEAL_WRITE", err)
	see("fallocate: PUNCH_HOLE of a memfd sealed F_SEAL_WRITE", unix.Fallocate(mfd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, 0, page))
	guestcheck.Must("munmap", unix.Munmap(r))
	unix.Close(mfd)

	// A memfd sealed F_SEAL_SHRINK|F_SEAL_GROW: a hole changes no size.
	mfd = guestcheck.Value(unix.MemfdCreate("sealsg", unix.MFD_ALLOW_SEALING))
	guestcheck.Value(unix.Pwrite(mfd, bytes.Repeat([]byte{'g'}, 2*page), 0))
	guestcheck.Value(unix.FcntlInt(uintptr(mfd), unix.F_ADD_SEALS, unix.F_SEAL_SHRINK|unix.F_SEAL_GROW))
	w := guestcheck.Value(unix.Mmap(mfd, 0, 2*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED))
	see("MADV_REMOVE: a memfd sealed SHRINK|GROW", unix.Madvise(w, unix.MADV_REMOVE))
	guestcheck.Check(fmt.Sprintf("MADV_REMOVE: SHRINK|GROW: size %d first byte %q", size(mfd), byteAt(mfd, 0)), true, "")
	guestcheck.Must("munmap", unix.Munmap(w))
	unix.Close(mfd)
}
