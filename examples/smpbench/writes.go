package main

import (
	"fmt"
	"os"

	"github.com/gotoro/gotoro"
)

// File-writing benchmark, the writes beside the reads of files.go: each
// of two threads rewrites its own /tmp file with 4 KiB pwrite calls (the
// file's pages exist after the first write, so the time is the system
// calls and the copies). "Sequential" is one thread writing both files in
// turn; "parallel" is two threads on cores 0 and 1, one file each. Writes
// serialised by a kernel lock give a ratio near 1; writes on independent
// locks give about half (the native process's ratio is the target).
const writePasses = 256

func benchWrites() error {
	if gotoro.Cores() < 2 {
		return fmt.Errorf("writes needs at least 2 cores, have %d", gotoro.Cores())
	}
	files, data, done, err := twoFiles(os.O_RDWR)
	if err != nil {
		return err
	}
	defer done()
	write := func(f *os.File) error {
		for p := 0; p < writePasses; p++ {
			for off := int64(0); off < fileSize; off += readSize {
				n, err := f.WriteAt(data[off:off+readSize], off)
				if err != nil || n != readSize {
					return fmt.Errorf("writing %s at %d: %d bytes, %v", f.Name(), off, n, err)
				}
			}
		}
		return nil
	}
	bs, bp, err := seqPar(func(i int) error { return write(files[i]) })
	if err != nil {
		return err
	}
	reportSeqPar("writes", bs, bp, 2*writePasses*fileSize/readSize)
	return nil
}
