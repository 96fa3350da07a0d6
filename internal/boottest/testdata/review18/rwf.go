package main

import (
	"fmt"
	"path/filepath"

	"github.com/gotoro/gotoro/internal/guestcheck"
	"golang.org/x/sys/unix"
)

// testRWF: preadv2/pwritev2 flags on each kind of descriptor, and bits
// no kernel knows.
func testRWF(dir string) {
	type kind struct {
		name string
		fd   int
		off  int64
		peer int // written before each read so it never blocks (-1: none)
	}
	var kinds []kind
	f := guestcheck.Value(unix.Open(filepath.Join(dir, "rwf"), unix.O_RDWR|unix.O_CREAT|unix.O_TRUNC, 0o644))
	kinds = append(kinds, kind{"tmp", f, 0, -1})
	kinds = append(kinds, kind{"memfd", guestcheck.Value(unix.MemfdCreate("rwf", 0)), 0, -1})
	var p [2]int
	guestcheck.Must("pipe", unix.Pipe2(p[:], 0))
	kinds = append(kinds, kind{"pipe read end", p[0], -1, p[1]}, kind{"pipe write end", p[1], -1, -1})
	s := guestcheck.Value(unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0))
	kinds = append(kinds, kind{"unix stream", s[0], -1, s[1]})
	d := guestcheck.Value(unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM, 0))
	kinds = append(kinds, kind{"unix dgram", d[0], -1, d[1]})
	kinds = append(kinds, kind{"/dev/null", guestcheck.Value(unix.Open("/dev/null", unix.O_RDWR, 0)), -1, -1})
	flags := []struct {
		name string
		v    int
	}{
		{"0", 0},
		{"RWF_HIPRI", unix.RWF_HIPRI},
		{"RWF_DSYNC", unix.RWF_DSYNC},
		{"RWF_SYNC", unix.RWF_SYNC},
		{"RWF_NOWAIT", unix.RWF_NOWAIT},
		{"RWF_APPEND", unix.RWF_APPEND},
		{"RWF_NOAPPEND", 0x20},
		{"RWF_APPEND|RWF_NOAPPEND", unix.RWF_APPEND | 0x20},
		{"RWF_NOSIGNAL", 0x100},
		{"bit 0x200", 0x200},
		{"bit 1<<31", 1 << 31},
	}
	for _, k := range kinds {
		for _, fl := range flags {
			b := make([]byte, 8)
			if k.name != "pipe read end" {
				n, err := unix.Pwritev2(k.fd, [][]byte{b}, k.off, fl.v)
				see(fmt.Sprintf("pwritev2 %s %s: n=%d", k.name, fl.name, n), err)
			}
			if k.name != "pipe write end" {
				fill(k.peer)
				n, err := unix.Preadv2(k.fd, [][]byte{b}, k.off, fl.v)
				see(fmt.Sprintf("preadv2 %s %s: n=%d", k.name, fl.name, n), err)
			}
		}
		if k.name == "pipe write end" {
			continue
		}
		fill(k.peer)
		n, err := unix.Preadv2(k.fd, [][]byte{make([]byte, 8)}, -2, 0)
		see(fmt.Sprintf("preadv2 %s offset -2: n=%d", k.name, n), err)
		fill(k.peer)
		n, err = unix.Preadv2(k.fd, [][]byte{make([]byte, 8)}, 5, unix.RWF_NOWAIT)
		see(fmt.Sprintf("preadv2 %s offset 5 RWF_NOWAIT: n=%d", k.name, n), err)
	}
	for _, k := range kinds {
		unix.Close(k.fd)
	}
	unix.Close(s[1])
	unix.Close(d[1])
}

// fill writes 8 bytes (an eventfd's count of 1) to peer, so a read of
// its other end does not block.
func fill(peer int) {
	if peer >= 0 {
		guestcheck.Value(unix.Write(peer, []byte{1, 0, 0, 0, 0, 0, 0, 0}))
	}
}
