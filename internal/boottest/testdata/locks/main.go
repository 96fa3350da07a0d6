// Command locks checks flock, fcntl record locks (traditional and
// open-file-description) and statfs/fstatfs. It runs in the guest and,
// with the argument "native DIR", on Linux, which is the oracle: both
// must print the same checks and "locks ok". The first failed check
// prints FAIL and exits 1.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gotoro/gotoro/internal/guestcheck"
)

const (
	fOfdGetlk  = 36
	fOfdSetlk  = 37
	fOfdSetlkw = 38

	tmpfsMagic  = 0x01021994
	erofsMagic  = 0xE0F5E1E2
	pipefsMagic = 0x50495045
	stRdonly    = 0x1
)

var native bool

func open(name string, flags int) int {
	fd, err := syscall.Open(name, flags, 0o644)
	if err != nil {
		fmt.Printf("FAIL open %s: %v\n", name, err)
		os.Exit(1)
	}
	return fd
}

func lk(typ int16, start, n int64) *syscall.Flock_t {
	return &syscall.Flock_t{Type: typ, Whence: 0, Start: start, Len: n}
}

func main() {
	dir := "/tmp"
	if len(os.Args) > 2 && os.Args[1] == "native" {
		native, dir = true, os.Args[2]
	}
	name := filepath.Join(dir, "lockfile")
	os.WriteFile(name, make([]byte, 4096), 0o644)
	testFlock(name)
	testRecordLocks(name)
	testStatfs(dir, name)
	fmt.Println("locks ok")
}

func testFlock(name string) {
	fd1, fd2 := open(name, syscall.O_RDWR), open(name, syscall.O_RDONLY)
	guestcheck.Expect("flock EX", syscall.Flock(fd1, syscall.LOCK_EX), nil)
	guestcheck.Expect("flock EX|NB of a second open", syscall.Flock(fd2, syscall.LOCK_EX|syscall.LOCK_NB), syscall.EWOULDBLOCK)
	guestcheck.Expect("flock SH|NB of a second open", syscall.Flock(fd2, syscall.LOCK_SH|syscall.LOCK_NB), syscall.EWOULDBLOCK)
	fd3, _ := syscall.Dup(fd1)
	guestcheck.Expect("flock EX|NB through a dup", syscall.Flock(fd3, syscall.LOCK_EX|syscall.LOCK_NB), nil)
	guestcheck.Expect("flock UN", syscall.Flock(fd1, syscall.LOCK_UN), nil)
	guestcheck.Expect("flock SH after UN", syscall.Flock(fd2, syscall.LOCK_SH|syscall.LOCK_NB), nil)
	guestcheck.Expect("flock SH beside SH", syscall.Flock(fd1, syscall.LOCK_SH|syscall.LOCK_NB), nil)
	guestcheck.Expect("flock EX beside SH", syscall.Flock(fd1, syscall.LOCK_EX|syscall.LOCK_NB), syscall.EWOULDBLOCK)
	syscall.Close(fd2)
	guestcheck.Expect("flock EX once the other open closed", syscall.Flock(fd1, syscall.LOCK_EX|syscall.LOCK_NB), nil)
	guestcheck.Expect("flock bad operation", syscall.Flock(fd1, 0), syscall.EINVAL)
	guestcheck.Expect("flock bad fd", syscall.Flock(999, syscall.LOCK_SH), syscall.EBADF)

	// A blocking flock waits for the release.
	fd2 = open(name, syscall.O_RDONLY)
	done := make(chan error)
	go func() { done <- syscall.Flock(fd2, syscall.LOCK_SH) }()
	select {
	case err := <-done:
		guestcheck.Check("flock blocks", false, "returned %v while the other open held LOCK_EX", err)
	case <-time.After(100 * time.Millisecond):
	}
	syscall.Flock(fd1, syscall.LOCK_UN)
	select {
	case err := <-done:
		guestcheck.Expect("blocked flock gets the lock after UN", err, nil)
	case <-time.After(10 * time.Second):
		guestcheck.Check("blocked flock gets the lock after UN", false, "still blocked")
	}
	// Closing the last descriptor of a description releases its lock; a
	// dup keeps it.
	syscall.Flock(fd2, syscall.LOCK_UN)
	guestcheck.Expect("flock EX again", syscall.Flock(fd1, syscall.LOCK_EX|syscall.LOCK_NB), nil)
	syscall.Close(fd1)
	guestcheck.Expect("flock held through the dup after close", syscall.Flock(fd2, syscall.LOCK_EX|syscall.LOCK_NB), syscall.EWOULDBLOCK)
	syscall.Close(fd3)
	guestcheck.Expect("flock released with the last descriptor", syscall.Flock(fd2, syscall.LOCK_EX|syscall.LOCK_NB), nil)
	syscall.Close(fd2)
}

func testRecordLocks(name string) {
	fd1, fd2 := open(name, syscall.O_RDWR), open(name, syscall.O_RDWR)
	// Traditional locks belong to the process: two descriptors never
	// conflict.
	guestcheck.Expect("F_SETLK write", syscall.FcntlFlock(uintptr(fd1), syscall.F_SETLK, lk(syscall.F_WRLCK, 0, 10)), nil)
	guestcheck.Expect("F_SETLK write, same process", syscall.FcntlFlock(uintptr(fd2), syscall.F_SETLK, lk(syscall.F_WRLCK, 0, 10)), nil)
	g := lk(syscall.F_WRLCK, 0, 10)
	guestcheck.Expect("F_GETLK", syscall.FcntlFlock(uintptr(fd2), syscall.F_GETLK, g), nil)
	guestcheck.Check("F_GETLK sees no other owner", g.Type == syscall.F_UNLCK, "type %d", g.Type)
	guestcheck.Expect("F_SETLK unlock", syscall.FcntlFlock(uintptr(fd1), syscall.F_SETLK, lk(syscall.F_UNLCK, 0, 0)), nil)

	// OFD locks belong to the description.
	guestcheck.Expect("OFD write lock", syscall.FcntlFlock(uintptr(fd1), fOfdSetlk, lk(syscall.F_WRLCK, 0, 100)), nil)
	guestcheck.Expect("OFD read lock of a second open conflicts", syscall.FcntlFlock(uintptr(fd2), fOfdSetlk, lk(syscall.F_RDLCK, 50, 10)), syscall.EAGAIN)
	g = lk(syscall.F_WRLCK, 0, 10)
	guestcheck.Expect("F_OFD_GETLK", syscall.FcntlFlock(uintptr(fd2), fOfdGetlk, g), nil)
	guestcheck.Check("F_OFD_GETLK names the holder", g.Type == syscall.F_WRLCK && g.Start == 0 && g.Len == 100 && g.Pid == -1, "%+v", *g)
	guestcheck.Expect("OFD lock past the held range", syscall.FcntlFlock(uintptr(fd2), fOfdSetlk, lk(syscall.F_WRLCK, 100, 10)), nil)
	guestcheck.Expect("OFD unlock of part", syscall.FcntlFlock(uintptr(fd1), fOfdSetlk, lk(syscall.F_UNLCK, 0, 50)), nil)
	guestcheck.Expect("OFD lock in the freed part", syscall.FcntlFlock(uintptr(fd2), fOfdSetlk, lk(syscall.F_WRLCK, 0, 10)), nil)
	guestcheck.Expect("OFD lock still held part", syscall.FcntlFlock(uintptr(fd2), fOfdSetlk, lk(syscall.F_RDLCK, 60, 1)), syscall.EAGAIN)
	bad := lk(syscall.F_WRLCK, 0, 1)
	bad.Pid = 5
	guestcheck.Expect("OFD lock with l_pid set", syscall.FcntlFlock(uintptr(fd2), fOfdSetlk, bad), syscall.EINVAL)
	// Read locks share.
	guestcheck.Expect("OFD read lock", syscall.FcntlFlock(uintptr(fd1), fOfdSetlk, lk(syscall.F_RDLCK, 300, 10)), nil)
	guestcheck.Expect("OFD read lock beside it", syscall.FcntlFlock(uintptr(fd2), fOfdSetlk, lk(syscall.F_RDLCK, 305, 10)), nil)
	guestcheck.Expect("OFD write lock over read locks", syscall.FcntlFlock(uintptr(fd2), fOfdSetlk, lk(syscall.F_WRLCK, 300, 2)), syscall.EAGAIN)

	// Traditional and OFD locks conflict; closing any descriptor of the
	// file drops the process's traditional locks.
	guestcheck.Expect("F_SETLK write at 200", syscall.FcntlFlock(uintptr(fd1), syscall.F_SETLK, lk(syscall.F_WRLCK, 200, 10)), nil)
	guestcheck.Expect("OFD lock against a process lock", syscall.FcntlFlock(uintptr(fd2), fOfdSetlk, lk(syscall.F_WRLCK, 205, 1)), syscall.EAGAIN)
	g = lk(syscall.F_WRLCK, 205, 1)
	syscall.FcntlFlock(uintptr(fd2), fOfdGetlk, g)
	guestcheck.Check("F_OFD_GETLK names the process", g.Type == syscall.F_WRLCK && g.Start == 200 && g.Len == 10 && g.Pid > 0, "%+v", *g)
	fd3 := open(name, syscall.O_RDONLY)
	syscall.Close(fd3)
	guestcheck.Expect("process locks gone after any close", syscall.FcntlFlock(uintptr(fd2), fOfdSetlk, lk(syscall.F_WRLCK, 205, 1)), nil)

	// Argument checks.
	ro := open(name, syscall.O_RDONLY)
	guestcheck.Expect("write lock on a read-only fd", syscall.FcntlFlock(uintptr(ro), syscall.F_SETLK, lk(syscall.F_WRLCK, 0, 1)), syscall.EBADF)
	wo := open(name, syscall.O_WRONLY)
	guestcheck.Expect("read lock on a write-only fd", syscall.FcntlFlock(uintptr(wo), syscall.F_SETLK, lk(syscall.F_RDLCK, 0, 1)), syscall.EBADF)
	guestcheck.Expect("bad lock type", syscall.FcntlFlock(uintptr(fd1), syscall.F_SETLK, lk(7, 0, 1)), syscall.EINVAL)
	w := lk(syscall.F_RDLCK, 0, 1)
	w.Whence = 9
	guestcheck.Expect("bad whence", syscall.FcntlFlock(uintptr(fd1), syscall.F_SETLK, w), syscall.EINVAL)
	guestcheck.Expect("negative start", syscall.FcntlFlock(uintptr(fd1), syscall.F_SETLK, lk(syscall.F_RDLCK, -1, 1)), syscall.EINVAL)
	guestcheck.Expect("lock on a bad fd", syscall.FcntlFlock(999, syscall.F_SETLK, lk(syscall.F_RDLCK, 0, 1)), syscall.EBADF)
	syscall.Close(ro)
	syscall.Close(wo)

	// F_OFD_SETLKW waits for the holder.
	guestcheck.Expect("OFD lock to wait on", syscall.FcntlFlock(uintptr(fd1), fOfdSetlk, lk(syscall.F_WRLCK, 1000, 10)), nil)
	done := make(chan error)
	go func() { done <- syscall.FcntlFlock(uintptr(fd2), fOfdSetlkw, lk(syscall.F_WRLCK, 1005, 1)) }()
	select {
	case err := <-done:
		guestcheck.Check("F_OFD_SETLKW blocks", false, "returned %v while held", err)
	case <-time.After(100 * time.Millisecond):
	}
	syscall.FcntlFlock(uintptr(fd1), fOfdSetlk, lk(syscall.F_UNLCK, 1000, 10))
	select {
	case err := <-done:
		guestcheck.Expect("F_OFD_SETLKW gets the lock after the unlock", err, nil)
	case <-time.After(10 * time.Second):
		guestcheck.Check("F_OFD_SETLKW gets the lock after the unlock", false, "still blocked")
	}
	// The last close of a description drops its OFD locks.
	syscall.Close(fd2)
	guestcheck.Expect("OFD locks gone with their description", syscall.FcntlFlock(uintptr(fd1), fOfdSetlk, lk(syscall.F_WRLCK, 0, 0)), nil)
	syscall.Close(fd1)
}

func testStatfs(dir, name string) {
	var sd, sf syscall.Statfs_t
	guestcheck.Expect("statfs dir", syscall.Statfs(dir, &sd), nil)
	guestcheck.Check("statfs sizes", sd.Bsize > 0 && sd.Bavail <= sd.Bfree && sd.Bfree <= sd.Blocks && sd.Namelen == 255, "%+v", sd)
	fd := open(name, syscall.O_RDONLY)
	guestcheck.Expect("fstatfs", syscall.Fstatfs(fd, &sf), nil)
	guestcheck.Check("fstatfs matches statfs", sf.Type == sd.Type && sf.Fsid == sd.Fsid && sf.Blocks == sd.Blocks, "%+v vs %+v", sf, sd)
	syscall.Close(fd)
	guestcheck.Expect("statfs missing", syscall.Statfs(filepath.Join(dir, "no/such"), &sd), syscall.ENOENT)
	guestcheck.Expect("fstatfs bad fd", syscall.Fstatfs(999, &sd), syscall.EBADF)
	var p [2]int
	syscall.Pipe(p[:])
	syscall.Fstatfs(p[0], &sf)
	guestcheck.Check("fstatfs of a pipe", sf.Type == pipefsMagic, "type %#x", sf.Type)
	if native {
		return
	}
	// The guest's own file systems.
	guestcheck.Check("/tmp is tmpfs", sd.Type == tmpfsMagic, "type %#x", sd.Type)
	guestcheck.Expect("statfs /", syscall.Statfs("/", &sd), nil)
	guestcheck.Check("/ is read-only", sd.Type == erofsMagic && sd.Flags&stRdonly != 0, "%+v", sd)
	syscall.Statfs(dir, &sd)
	os.WriteFile(filepath.Join(dir, "big"), make([]byte, 4<<20), 0o644)
	syscall.Statfs(dir, &sf)
	guestcheck.Check("writing to /tmp uses free blocks", sf.Bfree+512 <= sd.Bfree, "free %d then %d", sd.Bfree, sf.Bfree)
}
