package main

import (
	"bytes"
	"embed"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// The program's sources, as compiled in. The boot case packs the
// program's directory into the image at "/" (the guest's working
// directory), so the same files are there as read-only packed files;
// natively, `go run .` in the directory finds them in place.
//
//go:embed main.go writes.go packed.go
var sources embed.FS

var sourceNames = []string{"main.go", "writes.go", "packed.go"}

// packedReads: threads on every core pread the packed files at offsets
// of their own and compare with the compiled-in copy, and read one shared
// descriptor with read(2): the file offset is shared, so the chunks the
// threads get must together be the file, each chunk once. Reads into
// untouched memory get the data; reads into unmapped memory are EFAULT.
func packedReads(threads, rounds int) {
	want := make([][]byte, len(sourceNames))
	for k, name := range sourceNames {
		b, err := sources.ReadFile(name)
		if err != nil {
			check("embedded "+name, false, err)
			return
		}
		want[k] = b
	}
	var wg sync.WaitGroup
	for t := 0; t < threads; t++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			k := t % len(sourceNames)
			fd, err := syscall.Open(sourceNames[k], syscall.O_RDONLY, 0)
			if err != nil {
				check("open packed "+sourceNames[k], false, err)
				return
			}
			defer syscall.Close(fd)
			w := want[k]
			buf := make([]byte, 3000)
			for r := 0; r < rounds; r++ {
				off := (r*977 + t*131) % len(w)
				n, err := syscall.Pread(fd, buf, int64(off))
				if err != nil || n != min(len(buf), len(w)-off) || !bytes.Equal(buf[:n], w[off:off+n]) {
					check("pread of a packed file", false, sourceNames[k], " at ", off, " n=", n, " err=", err)
					return
				}
			}
		}()
	}
	wg.Wait()

	// One description, its offset shared by every thread, read to its end
	// by all of them at once, again and again.
	w := want[1]
	const chunk = 700
	chunks := (len(w) + chunk - 1) / chunk
	for r := 0; r < 100 && !failed.Load(); r++ {
		sharedOffset(sourceNames[1], w, chunk, threads)
	}
	fd, err := syscall.Open(sourceNames[1], syscall.O_RDONLY, 0)
	if err != nil {
		check("open packed", false, err)
		return
	}
	defer syscall.Close(fd)

	// Buffers: untouched memory, unmapped memory, past the end.
	mem, err := syscall.Mmap(-1, 0, 4<<12, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	check("mmap", err == nil, err)
	n, err := syscall.Pread(fd, mem[5:5+2*4096], 0)
	m := min(2*4096, len(w))
	check("pread of a packed file into untouched pages", n == m && err == nil && bytes.Equal(mem[5:5+n], w[:n]), n, err)
	p := unsafe.Pointer(&mem[0])
	syscall.Munmap(mem)
	_, _, e := syscall.Syscall6(syscall.SYS_PREAD64, uintptr(fd), uintptr(p), 4096, 0, 0, 0)
	check("pread of a packed file into unmapped memory: EFAULT", e == syscall.EFAULT, e)
	n, err = syscall.Pread(fd, make([]byte, 10), int64(len(w)+5))
	check("pread of a packed file past its end", n == 0 && err == nil, n, err)
	_, err = os.Stat(sourceNames[0])
	check("stat packed", err == nil, err)
	fmt.Printf("packed reads: %d threads, %d chunks of one descriptor\n", threads, chunks)
}

// sharedOffset reads the packed file name (content w) to its end through
// one descriptor from threads threads at once, chunk bytes a read: each
// read must get a whole chunk, and every chunk must be read once.
func sharedOffset(name string, w []byte, chunk, threads int) {
	fd, err := syscall.Open(name, syscall.O_RDONLY, 0)
	if err != nil {
		check("open packed", false, err)
		return
	}
	defer syscall.Close(fd)
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[int]int{} // chunk index -> times read
	var bad atomic.Bool
	for t := 0; t < threads; t++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			buf := make([]byte, chunk)
			for {
				n, err := syscall.Read(fd, buf)
				if err != nil || n < 0 {
					check("read of a shared packed descriptor", false, err)
					bad.Store(true)
					return
				}
				if n == 0 {
					return
				}
				// A read at the shared offset gets a whole chunk at a
				// multiple of chunk (the last one shorter).
				i := -1
				for c := 0; c*chunk < len(w); c++ {
					if bytes.Equal(buf[:n], w[c*chunk:min((c+1)*chunk, len(w))]) {
						i = c
						break
					}
				}
				if i < 0 {
					check("read of a shared packed descriptor: a chunk not at a chunk boundary", false, n)
					bad.Store(true)
					return
				}
				mu.Lock()
				got[i]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for c := 0; c*chunk < len(w) && !bad.Load(); c++ {
		if got[c] != 1 {
			check("shared packed descriptor: chunk read other than once", false, c, " read ", got[c], " times")
			break
		}
	}
}
