package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/gotoro/gotoro/internal/guestcheck"
)

// mapFixedNoReplace is MAP_FIXED_NOREPLACE (Linux 4.17), which package
// syscall does not name.
const mapFixedNoReplace = 0x100000

// sysGetrandom is getrandom(2)'s number on amd64, which package syscall
// does not name.
const sysGetrandom = 318

// testFreshPopulate backs untouched anonymous memory by every way other
// than the program's own store: a read(2) into it from a pipe (the
// kernel's copy) and from a file, mlock (which backs the pages, so the
// stores after it do not fault), system calls that write their result
// (uname, getrandom), and a read that maps the zero page.
// Then it replaces or unmaps the memory and checks that the old data is
// gone: the kernel skips the page-table walk of memory no page was mapped
// in, and a path that backed a page without saying so would leave it
// mapped.
func testFreshPopulate(dir string) {
	const rw = syscall.PROT_READ | syscall.PROT_WRITE
	res, err := mmapAt(0, 16*page, syscall.PROT_NONE, 0)
	guestcheck.Must("reserve 16 pages for the populating paths", err)
	pg := func(i int) uintptr { return res + uintptr(i)*page }
	mapFixed := func(what string, i, n, prot int) {
		a, err := mmapAt(pg(i), n*page, prot, syscall.MAP_FIXED)
		guestcheck.Must(what, err)
		guestcheck.Check(what+" lands at its address", a == pg(i), "at %#x, want %#x", a, pg(i))
	}

	// Each case has its own pages with PROT_NONE ones between them, so
	// that no case's memory merges with another's (a merge with backed
	// memory would clear the mark and hide a path that forgot to).

	// read(2) from a pipe into untouched memory.
	mapFixed("MAP_FIXED for a pipe read", 0, 2, rw)
	var p [2]int
	guestcheck.Must("pipe", syscall.Pipe(p[:]))
	data := bytes.Repeat([]byte{0x5a}, page)
	n, err := syscall.Write(p[1], data)
	guestcheck.Must("write the pipe", err)
	n, err = syscall.Read(p[0], mem(pg(1), n))
	guestcheck.Must("read the pipe into untouched memory", err)
	guestcheck.Check("the pipe's data lands in untouched memory", n == page && filled(mem(pg(1), page), 0x5a), "read %d", n)
	syscall.Close(p[0])
	syscall.Close(p[1])
	mapFixed("MAP_FIXED over memory a read filled", 0, 2, rw)
	guestcheck.Check("memory a pipe read filled reads zero after MAP_FIXED", filled(mem(pg(0), 2*page), 0), "got %x", mem(pg(1), 1)[0])

	// read(2) from a file into untouched memory, then munmap.
	name := filepath.Join(dir, "fresh-read")
	guestcheck.Must("write the file to read", os.WriteFile(name, bytes.Repeat([]byte{0x3c}, 2*page), 0o600))
	fd, err := syscall.Open(name, syscall.O_RDONLY, 0)
	guestcheck.Must("open the file to read", err)
	mapFixed("MAP_FIXED for a file read", 3, 2, rw)
	n, err = syscall.Read(fd, mem(pg(3), 2*page))
	guestcheck.Must("read the file into untouched memory", err)
	guestcheck.Check("the file's data lands in untouched memory", n == 2*page && filled(mem(pg(3), 2*page), 0x3c), "read %d", n)
	syscall.Close(fd)
	guestcheck.Must("munmap memory a file read filled", munmapAt(pg(3), 2*page))
	guestcheck.Check("memory a file read filled faults after munmap", guestcheck.Faults(func() { sink = mem(pg(3), 1)[0] }) && guestcheck.Faults(func() { sink = mem(pg(4), 1)[0] }), "no fault")
	// MAP_FIXED_NOREPLACE: fails rather than replace what the runtime may
	// have put in the hole meanwhile.
	a, err := mmapAt(pg(3), 2*page, rw, mapFixedNoReplace)
	guestcheck.Must("MAP_FIXED_NOREPLACE where a file read's memory was unmapped", err)
	guestcheck.Check("MAP_FIXED_NOREPLACE lands at its address", a == pg(3), "at %#x, want %#x", a, pg(3))
	guestcheck.Check("memory mapped where a file read was reads zero", filled(mem(pg(3), 2*page), 0), "got %x", mem(pg(3), 1)[0])

	// mlock backs the pages: the stores after it do not fault.
	mapFixed("MAP_FIXED for mlock", 6, 2, rw)
	guestcheck.Must("mlock untouched memory", syscall.Mlock(mem(pg(6), 2*page)))
	copy(mem(pg(6), 2*page), bytes.Repeat([]byte{0x6b}, 2*page))
	guestcheck.Must("munlock", syscall.Munlock(mem(pg(6), 2*page)))
	mapFixed("MAP_FIXED over memory mlock backed", 7, 1, rw)
	guestcheck.Check("a page mlock backed reads zero after MAP_FIXED", filled(mem(pg(7), page), 0), "got %x", mem(pg(7), 1)[0])
	guestcheck.Check("the page beside it keeps its data", filled(mem(pg(6), page), 0x6b), "got %x", mem(pg(6), 1)[0])

	// A read maps the zero page; MAP_FIXED read-only over it, then munmap.
	mapFixed("MAP_FIXED for a read", 9, 1, rw)
	guestcheck.Check("untouched memory reads zero", filled(mem(pg(9), page), 0), "not zero")
	mapFixed("MAP_FIXED PROT_NONE over memory read", 9, 1, syscall.PROT_NONE)
	guestcheck.Check("memory read then replaced with PROT_NONE faults", guestcheck.Faults(func() { sink = mem(pg(9), 1)[0] }), "no fault")

	// System calls that write a result into untouched memory: uname's
	// struct and getrandom's bytes.
	mapFixed("MAP_FIXED for uname", 11, 1, rw)
	guestcheck.Must("uname into untouched memory", syscall.Uname((*syscall.Utsname)(unsafe.Pointer(&mem(pg(11), 1)[0]))))
	guestcheck.Check("uname writes untouched memory", string(mem(pg(11), 5)) == "Linux", "got %q", mem(pg(11), 5))
	mapFixed("MAP_FIXED over memory uname wrote", 11, 1, rw)
	guestcheck.Check("memory uname wrote reads zero after MAP_FIXED", filled(mem(pg(11), page), 0), "got %q", mem(pg(11), 5))
	mapFixed("MAP_FIXED for getrandom", 13, 1, rw)
	if _, _, e := syscall.Syscall(sysGetrandom, pg(13)+page-64, 64, 0); e != 0 {
		guestcheck.Must("getrandom into untouched memory", e)
	}
	guestcheck.Check("getrandom writes untouched memory", !filled(mem(pg(13)+page-64, 64), 0), "64 zero bytes")
	guestcheck.Must("munmap memory getrandom wrote", munmapAt(pg(13), page))
	a, err = mmapAt(pg(13), page, rw, mapFixedNoReplace)
	guestcheck.Must("MAP_FIXED_NOREPLACE where getrandom's memory was unmapped", err)
	guestcheck.Check("memory mapped where getrandom wrote reads zero", a == pg(13) && filled(mem(pg(13), page), 0), "at %#x", a)

	guestcheck.Must("munmap the populating paths' reservation", munmapAt(res, 16*page))
}

// testFreshRace has a second thread store into untouched memory while
// this one replaces that memory with PROT_NONE (MAP_FIXED; munmap takes
// the same path, but the hole it leaves could be handed to the runtime),
// over and over: whichever comes first, the memory must fault afterwards
// — a page the other thread's fault mapped just before the replacement
// and left in the page table would read without one.
func testFreshRace() {
	const rw = syscall.PROT_READ | syscall.PROT_WRITE
	const rounds = 400
	// Four pages between two PROT_NONE ones, which keep them from merging
	// with a neighbour that has pages.
	outer, err := mmapAt(0, 6*page, syscall.PROT_NONE, 0)
	guestcheck.Must("reserve 6 pages for the race", err)
	res := outer + page
	// The other thread spins (yielding, for one core) rather than block,
	// so that on two cores its stores come while this one is in mmap.
	var addr, done, jitter atomic.Uintptr
	// Each thread on its own core, where there are two: the scheduler
	// could otherwise run them one after the other on one.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	setAffinity(^uint64(0) &^ 2)
	defer setAffinity(^uint64(0))
	go func() {
		runtime.LockOSThread()
		setAffinity(2)
		debug.SetPanicOnFault(true)
		for spins := 0; ; spins++ {
			a := addr.Load()
			if a == 0 {
				if spins%4096 == 0 {
					runtime.Gosched() // one core: let the other thread run
				}
				continue
			}
			if a == 1 {
				return
			}
			addr.Store(0)
			guestcheck.Faults(func() {
				for i := 0; i < 4; i++ {
					mem(a+uintptr(i)*page, 1)[0] = 0x99
				}
			})
			done.Store(1)
		}
	}()
	stale := -1
	for r := 0; r < rounds && stale < 0; r++ {
		a, err := mmapAt(res, 4*page, rw, syscall.MAP_FIXED)
		guestcheck.Must("MAP_FIXED untouched memory for the race", err)
		done.Store(0)
		addr.Store(a)
		// A delay that sweeps over the rounds, so that some replacements
		// meet the other thread's fault.
		for k := 0; k < r%100*32; k++ {
			jitter.Add(1)
		}
		_, err = mmapAt(res, 4*page, syscall.PROT_NONE, syscall.MAP_FIXED)
		guestcheck.Must("replace memory another thread stores into", err)
		for done.Load() == 0 {
			runtime.Gosched()
		}
		for i := 0; i < 4; i++ {
			if !guestcheck.Faults(func() { sink = mem(res+uintptr(i)*page, 1)[0] }) {
				stale = r
			}
		}
	}
	addr.Store(1)
	guestcheck.Check("memory another thread stored into while it was replaced faults", stale < 0, "round %d read without a fault", stale)
	guestcheck.Must("munmap the race's reservation", munmapAt(outer, 6*page))
}

// setAffinity binds the calling thread to the cores in mask, as far as
// they exist (the error of a mask with none is ignored: one core).
func setAffinity(mask uint64) {
	syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, 8, uintptr(unsafe.Pointer(&mask)))
}
