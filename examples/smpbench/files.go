package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gotoro/gotoro"
)

// File-reading benchmark: each of two threads reads its own file with
// small pread calls, so the time is system calls on two independent
// objects. "Sequential" is one thread reading both files in turn;
// "parallel" is two threads on cores 0 and 1, one file each. With the
// kernel serialising the calls the parallel run takes as long as the
// sequential one (ratio near 1); with independent objects on independent
// locks it takes about half (the native process's ratio is the target).
const (
	fileSize   = 256 << 10
	readSize   = 4 << 10
	filePasses = 64
)

func benchFiles() error {
	if gotoro.Cores() < 2 {
		return fmt.Errorf("files needs at least 2 cores, have %d", gotoro.Cores())
	}
	files, _, done, err := twoFiles(os.O_RDONLY)
	if err != nil {
		return err
	}
	defer done()
	read := func(f *os.File) error {
		buf := make([]byte, readSize)
		for p := 0; p < filePasses; p++ {
			for off := int64(0); off < fileSize; off += readSize {
				n, err := f.ReadAt(buf, off)
				if err != nil || n != readSize {
					return fmt.Errorf("reading %s at %d: %d bytes, %v", f.Name(), off, n, err)
				}
			}
		}
		return nil
	}
	bs, bp, err := seqPar(func(i int) error { return read(files[i]) })
	if err != nil {
		return err
	}
	calls := float64(2 * filePasses * fileSize / readSize)
	report("files/sequential", float64(bs.Microseconds())/1000, "ms")
	report("files/parallel", float64(bp.Microseconds())/1000, "ms")
	report("files/ratio", float64(bp)/float64(bs), "x")
	report("files/ns-per-read", float64(bs.Nanoseconds())/calls, "ns")
	return nil
}

// twoFiles writes two /tmp files of fileSize bytes of the same data, in a
// directory of their own, and opens them with flag (os.O_RDONLY,
// os.O_RDWR). done closes them and removes the directory.
func twoFiles(flag int) (files [2]*os.File, data []byte, done func(), err error) {
	dir, err := os.MkdirTemp("", "smpbench-files-")
	if err != nil {
		return files, nil, nil, err
	}
	done = func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
		os.RemoveAll(dir)
	}
	data = make([]byte, fileSize)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for i := range files {
		name := filepath.Join(dir, fmt.Sprintf("f%d", i))
		if err = os.WriteFile(name, data, 0o600); err == nil {
			files[i], err = os.OpenFile(name, flag, 0)
		}
		if err != nil {
			done()
			return files, nil, nil, err
		}
	}
	return files, data, done, nil
}
