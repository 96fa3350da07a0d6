// Command tmpnodes fills /tmp's node table: it creates files, each with
// its own data, until creating fails, which must be ENOSPC with statfs
// showing no free inodes; every file must still read back what was
// written (each file's data has its own window); removing files frees
// their nodes for new ones, and removing all gives every node back. The
// first failed check prints FAIL and exits 1. With an argument DIR it
// works in DIR/many (the writable tree's upper layer shares the table)
// instead of /tmp/many.
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/gotoro/gotoro/internal/guestcheck"
)

func statfs() syscall.Statfs_t {
	var st syscall.Statfs_t
	err := syscall.Statfs("/tmp", &st)
	guestcheck.Check("statfs /tmp", err == nil, "%v", err)
	return st
}

func data(i int) []byte { return []byte(fmt.Sprintf("file %d of many\n", i)) }

func main() {
	st0 := statfs()
	guestcheck.Check("statfs counts inodes", st0.Files > 0 && st0.Ffree > 0 && st0.Ffree < st0.Files, "files %d free %d", st0.Files, st0.Ffree)
	dir := "/tmp/many"
	if len(os.Args) > 1 {
		dir = filepath.Join(os.Args[1], "many")
	}
	guestcheck.Check("mkdir", os.Mkdir(dir, 0o755) == nil, "")
	// Making dir took its node and, in the writable tree, those of the
	// directories copied up above it.
	stDir := statfs()
	name := func(i int) string { return filepath.Join(dir, fmt.Sprintf("f%05d", i)) }
	n := 0
	var err error
	for ; n < 1<<20; n++ {
		if err = os.WriteFile(name(n), data(n), 0o644); err != nil {
			break
		}
	}
	guestcheck.Check("creating fails with ENOSPC when the table is full", errors.Is(err, syscall.ENOSPC), "after %d files: %v", n, err)
	// The first failed create left nothing behind.
	_, serr := os.Stat(name(n))
	guestcheck.Check("the failed file does not exist", errors.Is(serr, os.ErrNotExist), "%v", serr)
	guestcheck.Check("every free node was used", uint64(n) == stDir.Ffree, "%d files, %d nodes were free", n, stDir.Ffree)
	guestcheck.Check("statfs shows no free inode", statfs().Ffree == 0, "%d", statfs().Ffree)
	err = os.Mkdir(filepath.Join(dir, "d"), 0o755)
	guestcheck.Check("mkdir in a full table", errors.Is(err, syscall.ENOSPC), "%v", err)
	err = os.Symlink("x", filepath.Join(dir, "l"))
	guestcheck.Check("symlink in a full table", errors.Is(err, syscall.ENOSPC), "%v", err)
	for i := 0; i < n; i++ {
		b, err := os.ReadFile(name(i))
		if err != nil || string(b) != string(data(i)) {
			guestcheck.Check("every file reads back", false, "file %d: %q %v", i, b, err)
		}
	}
	guestcheck.Check("every file reads back", true, "")
	for i := 0; i < 10; i++ {
		if err := os.Remove(name(i)); err != nil {
			guestcheck.Check("remove", false, "%v", err)
		}
	}
	for i := 0; i < 10; i++ {
		err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("new%d", i)), data(i), 0o644)
		if err != nil {
			guestcheck.Check("removed files' nodes are reused", false, "%v", err)
		}
	}
	guestcheck.Check("removed files' nodes are reused", true, "")
	guestcheck.Check("remove all", os.RemoveAll(dir) == nil, "")
	st1 := statfs()
	guestcheck.Check("every node is free again", st1.Ffree == stDir.Ffree+1, "%d, was %d with the directory", st1.Ffree, stDir.Ffree)
	fmt.Println("tmpnodes ok")
}
