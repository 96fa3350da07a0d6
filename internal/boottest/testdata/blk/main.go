// Command blk exercises /dev/vda: "write SEED" fills the disk with a
// pattern from SEED, flushes it and prints its sha256; "verify SEED" reads
// the whole disk back and prints its sha256; "edges" checks unaligned
// I/O, the size and errors.
package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand"
	"os"
	"strconv"

	"github.com/gotoro/gotoro/blockdev"
)

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: blk write|verify SEED | edges"))
	}
	flag := os.O_RDWR
	if os.Args[1] == "verify" {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile("/dev/vda", flag, 0)
	if err != nil {
		fail(err)
	}
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		fail(err)
	}
	fmt.Println("size", size)
	switch os.Args[1] {
	case "write":
		seed, _ := strconv.Atoi(os.Args[2])
		data := make([]byte, size)
		rand.New(rand.NewSource(int64(seed))).Read(data)
		// Write in uneven pieces, so requests of many sizes are made.
		for off, n := 0, 1; off < len(data); n = n*3 + 512 {
			end := min(off+n, len(data))
			if _, err := f.WriteAt(data[off:end], int64(off)); err != nil {
				fail(err)
			}
			off = end
		}
		if err := f.Sync(); err != nil {
			fail(err)
		}
		fmt.Printf("sha256 %x\n", sha256.Sum256(data))
	case "verify":
		// Through package blockdev, as an application would.
		d, err := blockdev.Open("/dev/vda", false)
		if err != nil {
			fail(err)
		}
		data := make([]byte, d.Size())
		if _, err := d.ReadAt(data, 0); err != nil {
			fail(err)
		}
		d.Close()
		fmt.Printf("sha256 %x\n", sha256.Sum256(data))
	case "edges":
		edges(f, size)
	}
	if err := f.Close(); err != nil {
		fail(err)
	}
}

func edges(f *os.File, size int64) {
	// An unaligned write across a sector boundary, read back unaligned.
	msg := []byte("gotoro block device")
	if _, err := f.WriteAt(msg, 1000); err != nil {
		fail(err)
	}
	got := make([]byte, len(msg)+2)
	if _, err := f.ReadAt(got, 999); err != nil {
		fail(err)
	}
	if !bytes.Equal(got[1:len(msg)+1], msg) {
		fail(fmt.Errorf("unaligned read back %q", got))
	}
	// Reads at the end are short, then EOF.
	buf := make([]byte, 4096)
	n, err := f.ReadAt(buf, size-100)
	fmt.Println("tail read", n, err)
	_, err = f.ReadAt(buf, size)
	fmt.Println("read at end:", err)
	st, err := f.Stat()
	if err != nil {
		fail(err)
	}
	fmt.Println("mode", st.Mode().Type()&os.ModeDevice != 0, "stat size", st.Size())
	fmt.Println("edges ok")
}

func fail(err error) {
	fmt.Println("FAIL:", err)
	os.Exit(1)
}
