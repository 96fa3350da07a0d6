package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// Writes to /tmp from every core at once. Half the writers use write or
// pwrite64, the other half writev, so that the two paths a kernel may
// give them (with and without a global lock) meet on one file.

// writev writes bufs to fd with one writev call.
func writev(fd int, bufs ...[]byte) (int, error) { return vectorIO(syscall.SYS_WRITEV, fd, bufs) }

// readv reads into bufs from fd with one readv call.
func readv(fd int, bufs ...[]byte) (int, error) { return vectorIO(syscall.SYS_READV, fd, bufs) }

// vectorIO makes system call trap (readv or writev) on fd with bufs.
func vectorIO(trap uintptr, fd int, bufs [][]byte) (int, error) {
	iov := make([]syscall.Iovec, len(bufs))
	for k, b := range bufs {
		iov[k].Base = unsafe.SliceData(b)
		iov[k].SetLen(len(b))
	}
	n, _, e := syscall.Syscall(trap, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
	runtime.KeepAlive(bufs)
	if e != 0 {
		return int(n), e
	}
	return int(n), nil
}

// record is append record seq of writer w: a header naming both and the
// payload's length, a payload of one letter, and a trailer.
func record(w, seq int) []byte {
	n := 1 + (w*977+seq*131)%3000
	if seq%40 == 7 {
		n = 70<<10 + w // more than 16 pages: a write translated in parts
	}
	h := fmt.Sprintf("<%02d:%05d:%06d:", w, seq, n)
	b := make([]byte, 0, len(h)+n+2)
	b = append(b, h...)
	b = append(b, bytes.Repeat([]byte{byte('a' + (w+seq)%26)}, n)...)
	return append(b, ">\n"...)
}

// parseRecords checks that b is a sequence of whole, intact records and
// counts them per writer in seen. With cut set, the last record may be
// cut short (a read racing a write may see part of it: Linux grows the
// size a page at a time), but what is there must be intact. It returns
// the length of the whole records and a description of the first damage,
// or "".
func parseRecords(b []byte, seen map[[2]int]int, cut bool) (int, string) {
	for off := 0; off < len(b); {
		if len(b)-off < 17 {
			if cut && bytes.HasPrefix([]byte("<00:00000:000000:"), b[off:off+1]) {
				return off, ""
			}
			return off, fmt.Sprintf("short header at %d", off)
		}
		if b[off] != '<' || b[off+3] != ':' || b[off+9] != ':' || b[off+16] != ':' {
			return off, fmt.Sprintf("bad header at %d", off)
		}
		w, e1 := strconv.Atoi(string(b[off+1 : off+3]))
		seq, e2 := strconv.Atoi(string(b[off+4 : off+9]))
		_, e3 := strconv.Atoi(string(b[off+10 : off+16]))
		if e1 != nil || e2 != nil || e3 != nil {
			return off, fmt.Sprintf("bad header at %d", off)
		}
		want := record(w, seq)
		if len(b)-off < len(want) {
			if cut && bytes.Equal(b[off:], want[:len(b)-off]) {
				return off, ""
			}
			return off, fmt.Sprintf("record %d/%d at %d cut short", w, seq, off)
		}
		if !bytes.Equal(b[off:off+len(want)], want) {
			return off, fmt.Sprintf("record %d/%d at %d damaged", w, seq, off)
		}
		if seen != nil {
			seen[[2]int{w, seq}]++
		}
		off += len(want)
	}
	return len(b), ""
}

// sharedAppends: writers on every core append records to one O_APPEND
// file (write or writev) while a reader reads it whole and another maps
// it and reads the mapping: every read and every view is a sequence of
// intact records, and at the end every record is there exactly once and
// the size is their sum.
func sharedAppends(dir string, writers, perWriter int) {
	name := filepath.Join(dir, "appends")
	check("create appends", os.WriteFile(name, nil, 0o600) == nil)
	var wg, obs sync.WaitGroup
	var stop atomic.Bool
	var total atomic.Int64
	var started sync.WaitGroup // the observers, before the writers start
	started.Add(2)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			started.Wait()
			fd, err := syscall.Open(name, syscall.O_WRONLY|syscall.O_APPEND, 0)
			if err != nil {
				check("open appends", false, err)
				return
			}
			defer syscall.Close(fd)
			for seq := 0; seq < perWriter; seq++ {
				r := record(w, seq)
				var n int
				if w%2 == 0 {
					n, err = syscall.Write(fd, r)
				} else {
					h := len(r) / 3
					n, err = writev(fd, r[:h], r[h:])
				}
				if n != len(r) || err != nil {
					check("append", false, w, "/", seq, " n=", n, " err=", err)
					return
				}
				total.Add(int64(n))
			}
		}()
	}
	var reads, views atomic.Int64
	obs.Add(2)
	go func() { // reads of what was appended since the last read
		defer obs.Done()
		started.Done()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		fd, err := syscall.Open(name, syscall.O_RDONLY, 0)
		if err != nil {
			check("open appends", false, err)
			return
		}
		defer syscall.Close(fd)
		buf := make([]byte, 1<<20)
		good := int64(0) // the end of the records checked so far
		for !stop.Load() {
			n, err := syscall.Pread(fd, buf, good)
			if err != nil {
				check("read appends", false, err)
				return
			}
			m, d := parseRecords(buf[:n], nil, true)
			if d != "" {
				check("read of appends under writers", false, d, " (from ", good, ")")
				return
			}
			good += int64(m)
			reads.Add(1)
		}
	}()
	go func() { // a shared mapping read up to the size fstat gives
		defer obs.Done()
		started.Done()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		f, err := os.Open(name)
		if err != nil {
			check("open appends for mmap", false, err)
			return
		}
		defer f.Close()
		m, err := syscall.Mmap(int(f.Fd()), 0, 64<<20, syscall.PROT_READ, syscall.MAP_SHARED)
		if err != nil {
			check("mmap appends", false, err)
			return
		}
		defer syscall.Munmap(m)
		good := int64(0)
		for !stop.Load() {
			st, err := f.Stat()
			if err != nil || st.Size() > int64(len(m)) {
				check("stat appends", false, err)
				return
			}
			k, d := parseRecords(m[good:st.Size()], nil, true)
			if d != "" {
				check("mapping of appends under writers", false, d, " (from ", good, ")")
				return
			}
			good += int64(k)
			views.Add(1)
		}
	}()
	wg.Wait()
	stop.Store(true)
	obs.Wait()
	b, err := os.ReadFile(name)
	check("read appends", err == nil, err)
	seen := map[[2]int]int{}
	if _, d := parseRecords(b, seen, false); d != "" {
		check("appends at the end", false, d)
	}
	for w := 0; w < writers; w++ {
		for seq := 0; seq < perWriter; seq++ {
			if c := seen[[2]int{w, seq}]; c != 1 {
				check("append record count", false, w, "/", seq, " seen ", c, " times")
				w = writers
				break
			}
		}
	}
	check("appends: size is the sum of the writes", int64(len(b)) == total.Load(), len(b), " want ", total.Load())
	fmt.Printf("appends: %d records from %d threads, %d reads, %d views\n", len(seen), writers, reads.Load(), views.Load())
}

// blockPattern is block k of round r of the blocks file.
func blockPattern(k, r, n int) []byte { return bytes.Repeat([]byte{byte(1 + (k*7+r)%250)}, n) }

// sparseBlocks: writers each pwrite (or seek and writev) their own block
// of a new file, in an order that differs per round, so that the file
// grows from several cores at once: the size must end at the last block's
// end, and every block must be its writer's.
func sparseBlocks(dir string, writers, rounds int) {
	const block = 5000 // not page aligned: blocks share pages
	for r := 0; r < rounds; r++ {
		name := filepath.Join(dir, fmt.Sprintf("blocks%d", r%4))
		os.Remove(name)
		fd, err := syscall.Open(name, syscall.O_RDWR|syscall.O_CREAT, 0o600)
		if err != nil {
			check("open blocks", false, err)
			return
		}
		var wg sync.WaitGroup
		for k := 0; k < writers; k++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				k2 := (k + r) % writers
				b := blockPattern(k2, r, block)
				var n int
				var err error
				if k%2 == 0 {
					n, err = syscall.Pwrite(fd, b, int64(k2*block))
				} else {
					// Its own description: the file offset is its own.
					own, e := syscall.Open(name, syscall.O_WRONLY, 0)
					if e != nil {
						check("open blocks", false, e)
						return
					}
					syscall.Seek(own, int64(k2*block), 0)
					n, err = writev(own, b[:100], b[100:])
					syscall.Close(own)
				}
				check("write block", n == block && err == nil, n, err)
			}()
		}
		wg.Wait()
		var st syscall.Stat_t
		syscall.Fstat(fd, &st)
		if st.Size != int64(writers*block) {
			check("blocks: size after parallel growth", false, st.Size, " want ", writers*block)
		}
		got := make([]byte, writers*block+10)
		n, _ := syscall.Pread(fd, got, 0)
		for k := 0; k < writers && n == writers*block; k++ {
			if !bytes.Equal(got[k*block:(k+1)*block], blockPattern(k, r, block)) {
				check("blocks: a block is not its writer's", false, "round ", r, " block ", k)
				break
			}
		}
		syscall.Close(fd)
	}
	fmt.Printf("blocks: %d rounds of %d writers\n", rounds, writers)
}

// writeUnderTruncate: writers rewrite their own page-crossing ranges of a
// file while another thread truncates it to varied sizes and extends it
// again, and readers read it: every byte read is zero or the pattern of
// the range it lies in. At the end, after one last rewrite, the file is
// whole.
func writeUnderTruncate(dir string, writers, rounds int) {
	const span = 3*4096 + 123
	name := filepath.Join(dir, "wtrunc")
	size := writers * span
	fd, err := syscall.Open(name, syscall.O_RDWR|syscall.O_CREAT|syscall.O_TRUNC, 0o600)
	if err != nil {
		check("open wtrunc", false, err)
		return
	}
	defer syscall.Close(fd)
	pat := func(k int) []byte { return bytes.Repeat([]byte{byte(100 + k)}, span) }
	var stop atomic.Bool
	var wg, obs sync.WaitGroup
	for k := 0; k < writers; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b := pat(k)
			for r := 0; r < rounds; r++ {
				if n, err := syscall.Pwrite(fd, b, int64(k*span)); n != span || err != nil {
					check("write under truncate", false, n, err)
					return
				}
			}
		}()
	}
	obs.Add(2)
	go func() {
		defer obs.Done()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for r := 0; !stop.Load(); r++ {
			check("truncate under writers", syscall.Ftruncate(fd, int64((r*4099)%size)) == nil)
			if r%3 == 0 {
				check("extend under writers", syscall.Ftruncate(fd, int64(size)) == nil)
			}
		}
	}()
	go func() {
		defer obs.Done()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		buf := make([]byte, size)
		for !stop.Load() {
			n, _ := syscall.Pread(fd, buf, 0)
			for j, c := range buf[:max(n, 0)] {
				if c != 0 && c != byte(100+j/span) {
					check("read under writes and truncation: foreign byte", false, c, " at ", j)
					return
				}
			}
		}
	}()
	wg.Wait()
	stop.Store(true)
	obs.Wait()
	check("last truncate", syscall.Ftruncate(fd, 0) == nil)
	for k := 0; k < writers; k++ {
		syscall.Pwrite(fd, pat(k), int64(k*span))
	}
	got := make([]byte, size+1)
	n, _ := syscall.Pread(fd, got, 0)
	check("write under truncate: size at the end", n == size, n, " want ", size)
	for k := 0; k < writers && n == size; k++ {
		if !bytes.Equal(got[k*span:(k+1)*span], pat(k)) {
			check("write under truncate: content at the end", false, k)
			break
		}
	}
}

// writeBuffers: writes from memory the program has not touched (zeros),
// from a shared mapping of another /tmp file not yet touched (its data),
// from globals, and from unmapped memory (EFAULT, nothing written).
func writeBuffers(dir string) {
	src := filepath.Join(dir, "wsrc")
	want := pattern(40)
	check("write wsrc", os.WriteFile(src, want, 0o600) == nil)
	dst := filepath.Join(dir, "wdst")
	fd, err := syscall.Open(dst, syscall.O_RDWR|syscall.O_CREAT|syscall.O_TRUNC, 0o600)
	if err != nil {
		check("open wdst", false, err)
		return
	}
	defer syscall.Close(fd)
	mem, err := syscall.Mmap(-1, 0, 8<<12, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	check("mmap", err == nil, err)
	n, err := syscall.Pwrite(fd, mem[100:100+5*4096], 0)
	check("pwrite from untouched pages", n == 5*4096 && err == nil, n, err)
	sf, err := syscall.Open(src, syscall.O_RDONLY, 0)
	check("open wsrc", err == nil, err)
	m, err := syscall.Mmap(sf, 0, fileSize, syscall.PROT_READ, syscall.MAP_SHARED)
	check("mmap wsrc", err == nil, err)
	n, err = syscall.Pwrite(fd, m[3:3+9000], 5*4096)
	check("pwrite from an untouched file mapping", n == 9000 && err == nil, n, err)
	for k := range global {
		global[k] = byte(k % 251)
	}
	n, err = syscall.Pwrite(fd, global[:], 5*4096+9000)
	check("pwrite from globals", n == len(global) && err == nil, n, err)
	got := make([]byte, 5*4096+9000+len(global)+1)
	n, _ = syscall.Pread(fd, got, 0)
	check("size after the buffer writes", n == len(got)-1, n)
	check("content from untouched pages", bytes.Count(got[:5*4096], []byte{0}) == 5*4096)
	check("content from a file mapping", bytes.Equal(got[5*4096:5*4096+9000], want[3:3+9000]))
	check("content from globals", bytes.Equal(got[5*4096+9000:n], global[:]))
	p := unsafe.Pointer(&mem[0])
	syscall.Munmap(mem)
	syscall.Munmap(m)
	syscall.Close(sf)
	_, _, e := syscall.Syscall6(syscall.SYS_PWRITE64, uintptr(fd), uintptr(p), 4096, 0, 0, 0)
	check("pwrite from unmapped memory: EFAULT", e == syscall.EFAULT, e)
	_, _, e = syscall.Syscall(syscall.SYS_WRITE, uintptr(fd), uintptr(p), 4096)
	check("write from unmapped memory: EFAULT", e == syscall.EFAULT, e)
	var st syscall.Stat_t
	syscall.Fstat(fd, &st)
	check("a failed write changes nothing", st.Size == int64(n), st.Size)
	_, _, e = syscall.Syscall6(syscall.SYS_PWRITE64, uintptr(fd), uintptr(unsafe.Pointer(&global[0])), 10, ^uintptr(0), 0, 0)
	check("pwrite at a negative offset: EINVAL", e == syscall.EINVAL, e)
	ro, _ := syscall.Open(dst, syscall.O_RDONLY, 0)
	_, err = syscall.Write(ro, global[:10])
	check("write to a read-only descriptor: EBADF", err == syscall.EBADF, err)
	syscall.Close(ro)
}
