package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
)

// seekUnderIO moves one description's offset from every core at once:
// half the threads write, read or readv ioSize bytes at the offset (big
// enough that the copy takes a while), the others lseek it forward by seekStep
// from where it is (SEEK_CUR). Every call
// moves the shared offset, and on Linux a write, a read and an lseek of a
// regular file each move it atomically, so at the end it is the sum of
// all the moves; a seek that overwrites a concurrent write's offset, or
// the reverse, leaves it short.
func seekUnderIO(dir string, threads, rounds int) {
	const seekStep, ioSize = 3, 16 << 10
	name := filepath.Join(dir, "seek")
	fd, err := syscall.Open(name, syscall.O_RDWR|syscall.O_CREAT|syscall.O_TRUNC, 0o600)
	if err != nil {
		check("open seek", false, err)
		return
	}
	defer syscall.Close(fd)
	// A file large enough that every read finds its bytes: the offset
	// never goes past threads*rounds*(ioSize+seekStep).
	if err := syscall.Ftruncate(fd, int64(threads*rounds*(ioSize+seekStep))); err != nil {
		check("ftruncate seek", false, err)
		return
	}
	var wg sync.WaitGroup
	var start sync.WaitGroup
	start.Add(1)
	for k := 0; k < threads; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b := make([]byte, ioSize)
			for i := range b {
				b[i] = byte('a' + k%26)
			}
			start.Wait()
			for r := 0; r < rounds; r++ {
				switch {
				case k%2 == 1:
					if _, err := syscall.Seek(fd, seekStep, 1); err != nil {
						check("lseek SEEK_CUR", false, err)
						return
					}
				case r%2 == 0:
					if n, err := syscall.Write(fd, b); n != ioSize || err != nil {
						check("write at the shared offset", false, "n=", n, " err=", err)
						return
					}
				case r%4 == 1:
					if n, err := syscall.Read(fd, b); n != ioSize || err != nil {
						check("read at the shared offset", false, "n=", n, " err=", err)
						return
					}
				default:
					// readv: a kernel may serve it on another path than read.
					if n, err := readv(fd, b[:ioSize/4], b[ioSize/4:]); n != ioSize || err != nil {
						check("readv at the shared offset", false, "n=", n, " err=", err)
						return
					}
				}
			}
		}()
	}
	start.Done()
	wg.Wait()
	writers, seekers := (threads+1)/2, threads/2
	want := int64(writers*rounds*ioSize + seekers*rounds*seekStep)
	got, err := syscall.Seek(fd, 0, 1)
	check("offset after concurrent writes, reads and lseeks", err == nil && got == want,
		"got ", got, " want ", want, " err=", err)
	fmt.Printf("seek under io: %d threads × %d calls, offset %d\n", threads, rounds, got)
	_ = os.Remove(name)
}
