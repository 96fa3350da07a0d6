package main

import (
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/gotoro/gotoro/internal/guestcheck"
	"golang.org/x/sys/unix"
)

// testNowait: RWF_NOWAIT on a pipe or socket that would block is EAGAIN.
// A call that blocks instead is released after 2 s by a helper (its
// result then differs from Linux's line).
func testNowait() {
	var p [2]int
	guestcheck.Must("pipe", unix.Pipe(p[:]))
	b := make([]byte, 8)
	release := time.AfterFunc(2*time.Second, func() { unix.Write(p[1], []byte("late")) })
	n, err := unix.Preadv2(p[0], [][]byte{b}, -1, unix.RWF_NOWAIT)
	release.Stop()
	see("RWF_NOWAIT: preadv2 of an empty pipe", n, err)
	fill(p[1])
	release = time.AfterFunc(2*time.Second, func() { unix.Read(p[0], make([]byte, 1<<16)) })
	n, err = unix.Pwritev2(p[1], [][]byte{[]byte("more")}, -1, unix.RWF_NOWAIT)
	release.Stop()
	see("RWF_NOWAIT: pwritev2 to a full pipe", n, err)
	unix.Close(p[0])
	unix.Close(p[1])

	s, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	guestcheck.Must("socketpair", err)
	release = time.AfterFunc(2*time.Second, func() { unix.Write(s[1], []byte("late")) })
	n, err = unix.Preadv2(s[0], [][]byte{b}, -1, unix.RWF_NOWAIT)
	release.Stop()
	see("RWF_NOWAIT: preadv2 of a socket with nothing to read", n, err)
	unix.Write(s[1], []byte("now"))
	n, err = unix.Preadv2(s[0], [][]byte{b}, -1, unix.RWF_NOWAIT)
	see("RWF_NOWAIT: preadv2 of a socket with data", n, err)
	unix.Close(s[0])
	unix.Close(s[1])
}

// fill writes to fd, made non-blocking for it, until it would block.
func fill(fd int) {
	guestcheck.Must("O_NONBLOCK", unix.SetNonblock(fd, true))
	chunk := make([]byte, 4096)
	for {
		if _, err := unix.Write(fd, chunk); err != nil {
			break
		}
	}
	guestcheck.Must("O_NONBLOCK", unix.SetNonblock(fd, false))
}

// testNosignal: a write to a pipe or socket whose reader is gone is
// EPIPE with SIGPIPE, and with RWF_NOSIGNAL EPIPE alone.
func testNosignal() {
	pipe := make(chan os.Signal, 4)
	signal.Notify(pipe, unix.SIGPIPE)
	defer signal.Stop(pipe)
	raised := func() bool {
		select {
		case <-pipe:
			return true
		case <-time.After(500 * time.Millisecond):
			return false
		}
	}
	var p [2]int
	guestcheck.Must("pipe", unix.Pipe(p[:]))
	unix.Close(p[0])
	n, err := unix.Pwritev2(p[1], [][]byte{[]byte("x")}, -1, 0)
	see("pipe without a reader: pwritev2", n, err)
	guestcheck.Check("pipe without a reader: pwritev2 raises SIGPIPE", raised(), "no SIGPIPE")
	n, err = unix.Pwritev2(p[1], [][]byte{[]byte("x")}, -1, 0x100) // RWF_NOSIGNAL
	see("pipe without a reader: pwritev2 RWF_NOSIGNAL", n, err)
	guestcheck.Check("pipe without a reader: RWF_NOSIGNAL raises no SIGPIPE", !raised(), "SIGPIPE")
	unix.Close(p[1])

	s, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	guestcheck.Must("socketpair", err)
	unix.Close(s[1])
	n, err = unix.Pwritev2(s[0], [][]byte{[]byte("x")}, -1, 0)
	see("socket without a peer: pwritev2", n, err)
	guestcheck.Check("socket without a peer: pwritev2 raises SIGPIPE", raised(), "no SIGPIPE")
	n, err = unix.Pwritev2(s[0], [][]byte{[]byte("x")}, -1, 0x100)
	see("socket without a peer: pwritev2 RWF_NOSIGNAL", n, err)
	guestcheck.Check("socket without a peer: RWF_NOSIGNAL raises no SIGPIPE", !raised(), "SIGPIPE")
	unix.Close(s[0])
}

// testNoappend: RWF_NOAPPEND on an O_APPEND file.
func testNoappend(path string) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
	guestcheck.Must("create an O_APPEND file", err)
	fd := int(f.Fd())
	guestcheck.Value(unix.Write(fd, []byte("abcdef")))
	guestcheck.Value(unix.Seek(fd, 1, 0))
	content := func() string {
		b := make([]byte, 20)
		n, _ := unix.Pread(fd, b, 0)
		return string(b[:n])
	}
	n, err := unix.Pwritev2(fd, [][]byte{[]byte("X")}, 2, 0x20) // RWF_NOAPPEND
	see("RWF_NOAPPEND: pwritev2 at 2", n, err)
	guestcheck.Check("RWF_NOAPPEND: after pwritev2 at 2: "+content(), true, "")
	guestcheck.Check("RWF_NOAPPEND: the offset after pwritev2 at 2: "+itoa(offset(fd)), true, "")
	n, err = unix.Pwritev2(fd, [][]byte{[]byte("Y")}, -1, 0x20)
	see("RWF_NOAPPEND: pwritev2 at -1", n, err)
	guestcheck.Check("RWF_NOAPPEND: after pwritev2 at -1: "+content(), true, "")
	guestcheck.Check("RWF_NOAPPEND: the offset after pwritev2 at -1: "+itoa(offset(fd)), true, "")
	n, err = unix.Pwritev2(fd, [][]byte{[]byte("Z")}, 0, 0)
	see("RWF_NOAPPEND: pwritev2 at 0 without it", n, err)
	guestcheck.Check("RWF_NOAPPEND: after pwritev2 at 0 without it: "+content(), true, "")
	f.Close()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
