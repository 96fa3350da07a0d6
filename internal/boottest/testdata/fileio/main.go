// Command fileio hammers file reads and writes across cores: threads
// reading their own /tmp files and /dev/zero while others write, truncate
// and close descriptors under them, a pipe whose writer closes mid-read,
// reads into and writes from memory the program has not touched, has
// unmapped, maps from a file or that holds its globals, and writes
// (writes.go) appending to one file from every core, growing one file
// from every core, and rewriting a file another thread truncates; and
// reads of the read-only packed files (packed.go) from every core, and
// one offset moved by writes, reads and lseeks from every core (seek.go).
// It prints "fileio ok" when every check passed.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

var failed atomic.Bool

func check(what string, ok bool, detail ...any) {
	if !ok {
		failed.Store(true)
		fmt.Println("FAIL", what, fmt.Sprint(detail...))
	}
}

const fileSize = 64 << 10

// pattern is the content of file k: byte k+1 everywhere.
func pattern(k int) []byte { return bytes.Repeat([]byte{byte(k + 1)}, fileSize) }

// ownFiles: every thread reads its own file and /dev/zero; the data must
// always be the file's.
func ownFiles(dir string, threads, rounds int) {
	var wg sync.WaitGroup
	for k := 0; k < threads; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			name := filepath.Join(dir, fmt.Sprintf("own%d", k))
			want := pattern(k)
			check("write "+name, os.WriteFile(name, want, 0o600) == nil)
			f, err := os.Open(name)
			if err != nil {
				check("open "+name, false, err)
				return
			}
			defer f.Close()
			zero, err := os.Open("/dev/zero")
			if err != nil {
				check("open /dev/zero", false, err)
				return
			}
			defer zero.Close()
			null, err := os.OpenFile("/dev/null", os.O_WRONLY, 0)
			if err != nil {
				check("open /dev/null", false, err)
				return
			}
			defer null.Close()
			buf := make([]byte, 8<<10)
			for r := 0; r < rounds; r++ {
				off := int64(r%8) * 4096
				n, err := f.ReadAt(buf, off)
				if n != len(buf) || err != nil || !bytes.Equal(buf, want[:n]) {
					check("pread of own file", false, name, " n=", n, " err=", err)
					return
				}
				n, err = zero.Read(buf)
				if n != len(buf) || err != nil || bytes.Count(buf, []byte{0}) != n {
					check("read of /dev/zero", false, n, err)
					return
				}
				if n, err := null.Write(buf); n != len(buf) || err != nil {
					check("write to /dev/null", false, n, err)
					return
				}
			}
			// Sequential reads share the file offset correctly.
			f.Seek(0, 0)
			got := 0
			for {
				n, err := f.Read(buf)
				if n > 0 && !bytes.Equal(buf[:n], want[:n]) {
					check("read of own file", false, name)
				}
				got += n
				if err != nil {
					break
				}
			}
			check("sequential reads see the whole file", got == fileSize, got)
		}()
	}
	wg.Wait()
}

// closeUnderReader: threads read a descriptor while another closes it and
// opens other files (which may get the same number). A read returns a
// whole buffer of one file's pattern or EBADF, never a mix or garbage.
func closeUnderReader(dir string, readers, rounds int) {
	names := make([]string, 4)
	for k := range names {
		names[k] = filepath.Join(dir, fmt.Sprintf("swap%d", k))
		check("write "+names[k], os.WriteFile(names[k], pattern(10+k), 0o600) == nil)
	}
	var fd atomic.Int64
	open := func(k int) int {
		n, err := syscall.Open(names[k], syscall.O_RDONLY, 0)
		check("open", err == nil, err)
		return n
	}
	fd.Store(int64(open(0)))
	var stop atomic.Bool
	var wg sync.WaitGroup
	var reads, badf atomic.Int64
	for i := 0; i < readers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			buf := make([]byte, 16<<10)
			for !stop.Load() {
				n, err := syscall.Pread(int(fd.Load()), buf, 4096)
				switch {
				case err == syscall.EBADF:
					badf.Add(1)
				case err != nil:
					check("pread under close", false, err)
					return
				case n != len(buf):
					// Another file may have the number: a short read is not expected,
					// every file is fileSize long.
					check("pread under close: short read", false, n)
					return
				case buf[0] < 11 || buf[0] > 14 || bytes.Count(buf, buf[:1]) != n:
					check("pread under close: mixed or foreign data", false, buf[0])
					return
				default:
					reads.Add(1)
				}
			}
		}()
	}
	runtime.LockOSThread()
	for r := 0; r < rounds; r++ {
		time.Sleep(100 * time.Microsecond)
		syscall.Close(int(fd.Load()))
		fd.Store(int64(open(r % len(names))))
	}
	runtime.UnlockOSThread()
	stop.Store(true)
	wg.Wait()
	syscall.Close(int(fd.Load()))
	fmt.Printf("close under reader: %d reads, %d EBADF\n", reads.Load(), badf.Load())
}

// truncateUnderReader: one thread truncates and rewrites a file while
// others read it: every byte read is the pattern or zero (a page being
// rewritten), and nothing crashes.
func truncateUnderReader(dir string, readers, rounds int) {
	name := filepath.Join(dir, "trunc")
	want := pattern(20)
	check("write trunc", os.WriteFile(name, want, 0o600) == nil)
	w, err := os.OpenFile(name, os.O_RDWR, 0)
	check("open trunc", err == nil, err)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for i := 0; i < readers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			f, err := os.Open(name)
			if err != nil {
				check("open trunc", false, err)
				return
			}
			defer f.Close()
			buf := make([]byte, fileSize)
			for !stop.Load() {
				n, err := f.ReadAt(buf, 0)
				if err != nil && !errors.Is(err, io.EOF) {
					check("read under truncate", false, err)
					return
				}
				for _, b := range buf[:n] {
					if b != 21 && b != 0 {
						check("read under truncate: foreign byte", false, b)
						return
					}
				}
			}
		}()
	}
	for r := 0; r < rounds; r++ {
		check("truncate", w.Truncate(int64(r%3)*4000) == nil)
		if _, err := w.WriteAt(want, 0); err != nil {
			check("rewrite", false, err)
		}
	}
	stop.Store(true)
	wg.Wait()
	w.Close()
}

// pipeCloseMidRead: a reader blocked in read on one core gets the data
// written before the writer closed, then EOF.
func pipeCloseMidRead(rounds int) {
	for r := 0; r < rounds; r++ {
		pr, pw, err := os.Pipe()
		if err != nil {
			check("pipe", false, err)
			return
		}
		done := make(chan []byte)
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var got []byte
			buf := make([]byte, 1000)
			for {
				n, err := syscall.Read(int(pr.Fd()), buf)
				if n <= 0 || err != nil {
					break
				}
				got = append(got, buf[:n]...)
			}
			done <- got
		}()
		time.Sleep(time.Duration(r%4) * 100 * time.Microsecond)
		msg := bytes.Repeat([]byte("x"), 100+r)
		syscall.Write(int(pw.Fd()), msg)
		pw.Close()
		got := <-done
		check("pipe reader got what was written before the close", bytes.Equal(got, msg), len(got), " want ", len(msg))
		pr.Close()
	}
}

var global [3 << 12]byte

// buffers: reads into memory not yet backed (the kernel backs it), into
// the program's globals, and into unmapped memory (EFAULT).
func buffers(dir string) {
	name := filepath.Join(dir, "buf")
	want := pattern(30)
	check("write buf", os.WriteFile(name, want, 0o600) == nil)
	fd, err := syscall.Open(name, syscall.O_RDONLY, 0)
	check("open buf", err == nil, err)
	mem, err := syscall.Mmap(-1, 0, 8<<12, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	check("mmap", err == nil, err)
	n, err := syscall.Pread(fd, mem[100:100+5*4096], 7)
	check("pread into untouched pages", n == 5*4096 && err == nil && bytes.Equal(mem[100:100+n], want[:n]), n, err)
	n, err = syscall.Pread(fd, global[:], 0)
	check("pread into globals", n == len(global) && err == nil && bytes.Equal(global[:], want[:n]), n, err)
	zero, _ := syscall.Open("/dev/zero", syscall.O_RDONLY, 0)
	n, err = syscall.Read(zero, mem[6<<12:])
	check("read /dev/zero into untouched pages", n == 2<<12 && err == nil && bytes.Count(mem[6<<12:], []byte{0}) == n, n, err)
	p := unsafe.Pointer(&mem[0])
	syscall.Munmap(mem)
	_, _, e := syscall.Syscall6(syscall.SYS_PREAD64, uintptr(fd), uintptr(p), 4096, 0, 0, 0)
	check("pread into unmapped memory: EFAULT", e == syscall.EFAULT, e)
	_, _, e = syscall.Syscall(syscall.SYS_READ, uintptr(zero), uintptr(p), 4096)
	check("read /dev/zero into unmapped memory: EFAULT", e == syscall.EFAULT, e)
	_, _, e = syscall.Syscall6(syscall.SYS_PREAD64, uintptr(fd), uintptr(unsafe.Pointer(&global[0])), 10, ^uintptr(0), 0, 0)
	check("pread at a negative offset: EINVAL", e == syscall.EINVAL, e)
	_, _, e = syscall.Syscall(syscall.SYS_READ, 999, uintptr(unsafe.Pointer(&global[0])), 10)
	check("read of a closed descriptor: EBADF", e == syscall.EBADF, e)
	syscall.Close(fd)
	syscall.Close(zero)
}

func main() {
	dir, err := os.MkdirTemp("", "fileio")
	if err != nil {
		fmt.Println("FAIL mkdtemp", err)
		os.Exit(1)
	}
	cores := runtime.NumCPU()
	fmt.Println("cores", cores)
	buffers(dir)
	ownFiles(dir, 2*cores+1, 400)
	closeUnderReader(dir, cores+1, 300)
	truncateUnderReader(dir, cores, 200)
	pipeCloseMidRead(40)
	writeBuffers(dir)
	sharedAppends(dir, 2*cores+1, 120)
	sparseBlocks(dir, 2*cores+1, 40)
	writeUnderTruncate(dir, cores, 150)
	packedReads(2*cores+1, 300)
	for range 4 {
		seekUnderIO(dir, 2*cores, 400) // a lost update needs an unlucky overlap
	}
	os.RemoveAll(dir)
	if failed.Load() {
		fmt.Println("fileio FAILED")
		os.Exit(1)
	}
	fmt.Println("fileio ok")
}
