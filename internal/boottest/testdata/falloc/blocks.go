package main

import (
	"fmt"

	"github.com/gotoro/gotoro/internal/guestcheck"
	"golang.org/x/sys/unix"
)

// blocks returns fd's st_blocks as fstat and statx answer them.
func blocks(fd int) string {
	var st unix.Stat_t
	guestcheck.Must("fstat", unix.Fstat(fd, &st))
	var sx unix.Statx_t
	guestcheck.Must("statx", unix.Statx(fd, "", unix.AT_EMPTY_PATH, unix.STATX_BLOCKS, &sx))
	return fmt.Sprintf("st_blocks %d, statx %d", st.Blocks, sx.Blocks)
}

// testBlocks follows st_blocks of a /tmp file or memfd: the pages it
// holds, as tmpfs counts them, not its size.
func testBlocks(kind string, fd int) {
	p := func(s string) string { return kind + ": " + s + ": " + blocks(fd) }
	guestcheck.Must("ftruncate", unix.Ftruncate(fd, 0))
	guestcheck.Must("ftruncate", unix.Ftruncate(fd, 1<<20))
	guestcheck.Check(p("sparse 1 MiB"), true, "")
	guestcheck.Value(unix.Pwrite(fd, []byte("x"), 0))
	guestcheck.Check(p("a byte written at 0"), true, "")
	guestcheck.Value(unix.Pwrite(fd, []byte("yy"), 3*page-1))
	guestcheck.Check(p("two bytes across pages 2 and 3"), true, "")
	see(kind+": fallocate KEEP_SIZE two pages past the end", unix.Fallocate(fd, unix.FALLOC_FL_KEEP_SIZE, 1<<20, 2*page))
	guestcheck.Check(p("two pages allocated past the end"), true, "")
	see(kind+": fallocate 10 pages inside", unix.Fallocate(fd, 0, 16*page, 10*page))
	guestcheck.Check(p("10 pages allocated inside"), true, "")
	see(kind+": punch pages 0..4", unix.Fallocate(fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, 0, 4*page))
	guestcheck.Check(p("pages 0..4 punched"), true, "")
	see(kind+": punch half a page", unix.Fallocate(fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, 16*page, page/2))
	guestcheck.Check(p("half a page punched"), true, "")
	guestcheck.Must("ftruncate", unix.Ftruncate(fd, 20*page))
	guestcheck.Check(p("truncated to 20 pages"), true, "")
	guestcheck.Must("ftruncate", unix.Ftruncate(fd, 0))
	guestcheck.Check(p("truncated to 0"), true, "")
	see(kind+": fallocate KEEP_SIZE three pages at 0", unix.Fallocate(fd, unix.FALLOC_FL_KEEP_SIZE, 0, 3*page))
	guestcheck.Check(p("three pages allocated past an end of 0"), true, "")
	guestcheck.Must("ftruncate", unix.Ftruncate(fd, 0))
	guestcheck.Check(p("truncated to 0 again"), true, "")
}
