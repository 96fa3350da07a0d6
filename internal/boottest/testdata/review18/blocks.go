package main

import (
	"bytes"
	"fmt"
	"path/filepath"

	"github.com/gotoro/gotoro/internal/guestcheck"
	"golang.org/x/sys/unix"
)

func size(fd int) int64 {
	var st unix.Stat_t
	guestcheck.Must("fstat", unix.Fstat(fd, &st))
	return st.Size
}

func blocksOf(fd int) int64 {
	var st unix.Stat_t
	guestcheck.Must("fstat", unix.Fstat(fd, &st))
	return st.Blocks
}

// testBlocks: st_blocks where pages come and go by reads of holes,
// mappings, KEEP_SIZE allocations and truncates.
func testBlocks(dir string) {
	for _, kind := range []string{"tmp", "memfd"} {
		var fd int
		if kind == "tmp" {
			fd = guestcheck.Value(unix.Open(filepath.Join(dir, "blocks"), unix.O_RDWR|unix.O_CREAT|unix.O_TRUNC, 0o644))
		} else {
			fd = guestcheck.Value(unix.MemfdCreate("blocks", 0))
		}
		p := func(s string) {
			var st unix.Stat_t
			guestcheck.Must("fstat", unix.Fstat(fd, &st))
			guestcheck.Check(fmt.Sprintf("%s: st_blocks %s: size %d blocks %d", kind, s, st.Size, st.Blocks), true, "")
		}
		guestcheck.Must("ftruncate", unix.Ftruncate(fd, 1<<20))
		b := make([]byte, 1<<20)
		guestcheck.Value(unix.Pread(fd, b, 0))
		p("after reading a 1 MiB hole")
		guestcheck.Value(unix.Pwrite(fd, []byte{1}, 1<<20+5*page))
		p("after a byte written past the end")
		guestcheck.Must("ftruncate", unix.Ftruncate(fd, 0))
		p("after truncating to 0")
		guestcheck.Must("fallocate", unix.Fallocate(fd, unix.FALLOC_FL_KEEP_SIZE, 0, 4*page))
		p("after KEEP_SIZE 4 pages on an empty file")
		guestcheck.Must("ftruncate", unix.Ftruncate(fd, 2*page))
		p("after growing to 2 pages over KEEP_SIZE pages")
		guestcheck.Must("ftruncate", unix.Ftruncate(fd, 2*page))
		p("after truncating to the same 2 pages")
		guestcheck.Must("ftruncate", unix.Ftruncate(fd, 3*page))
		p("after growing to 3 pages")
		guestcheck.Value(unix.Pwrite(fd, bytes.Repeat([]byte{2}, 3*page), 0))
		guestcheck.Must("ftruncate", unix.Ftruncate(fd, page+1))
		p("after truncating to a page and a byte")
		guestcheck.Must("ftruncate", unix.Ftruncate(fd, 3*page))
		c := make([]byte, 2*page)
		guestcheck.Value(unix.Pread(fd, c, page))
		guestcheck.Check(kind+": st_blocks: the grown tail reads zeros", c[0] == 2 && bytes.Count(c[1:], []byte{0}) == 2*page-1, "%v %v", c[:2], c[page:page+2])
		p("after regrowing to 3 pages")
		m := guestcheck.Value(unix.Mmap(fd, 0, 3*page, unix.PROT_READ, unix.MAP_SHARED))
		_ = m[2*page]
		p("after reading a hole through a shared mapping")
		guestcheck.Must("munmap", unix.Munmap(m))
		guestcheck.Must("punch", unix.Fallocate(fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, 0, 1<<30))
		p("after punching everything")
		unix.Close(fd)
	}
	// A file freed with KEEP_SIZE pages past its end of 0: the next
	// file (which may take its place) holds nothing.
	for _, kind := range []string{"tmp", "memfd"} {
		open := func() int {
			if kind == "tmp" {
				path := filepath.Join(dir, "keep")
				fd := guestcheck.Value(unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o644))
				guestcheck.Must("unlink", unix.Unlink(path))
				return fd
			}
			return guestcheck.Value(unix.MemfdCreate("keep", 0))
		}
		fd := open()
		guestcheck.Must("fallocate", unix.Fallocate(fd, unix.FALLOC_FL_KEEP_SIZE, 0, 8*page))
		unix.Close(fd)
		fd = open()
		guestcheck.Check(fmt.Sprintf("%s: st_blocks of a new file after one freed with KEEP_SIZE pages: %d", kind, blocksOf(fd)), true, "")
		guestcheck.Must("ftruncate", unix.Ftruncate(fd, 8*page))
		guestcheck.Check(fmt.Sprintf("%s: st_blocks after growing it: %d", kind, blocksOf(fd)), true, "")
		unix.Close(fd)
	}
}
