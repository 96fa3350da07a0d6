package main

import (
	"bytes"
	"syscall"
	"unsafe"

	"github.com/gotoro/gotoro/internal/guestcheck"
)

// mmapAt is mmap(2) of anonymous memory with an address (MAP_FIXED in
// flags places it there).
func mmapAt(addr uintptr, n, prot, flags int) (uintptr, error) {
	r, _, e := syscall.Syscall6(syscall.SYS_MMAP, addr, uintptr(n), uintptr(prot), uintptr(flags|syscall.MAP_PRIVATE|syscall.MAP_ANON), ^uintptr(0), 0)
	if e != 0 {
		return 0, e
	}
	return r, nil
}

// mem is the n bytes of memory at addr.
func mem(addr uintptr, n int) []byte {
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(nil), addr)), n)
}

// munmapAt is munmap(2) (syscall.Munmap takes only its own mappings).
func munmapAt(addr uintptr, n int) error {
	if _, _, e := syscall.Syscall(syscall.SYS_MUNMAP, addr, uintptr(n), 0); e != 0 {
		return e
	}
	return nil
}

func filled(b []byte, c byte) bool { return len(b) > 0 && bytes.Count(b, []byte{c}) == len(b) }

// testAnonFixed replaces parts of anonymous memory with MAP_FIXED, as the
// Go runtime does with its heap's reservation: memory never touched,
// memory written, and memory merged with pages MAP_POPULATE backed (the
// kernel skips unmapping pages only where none was ever mapped).
func testAnonFixed() {
	const rw = syscall.PROT_READ | syscall.PROT_WRITE
	const fixed = syscall.MAP_FIXED
	res, err := mmapAt(0, 16*page, syscall.PROT_NONE, 0)
	guestcheck.Must("reserve 16 pages PROT_NONE", err)
	pg := func(i int) uintptr { return res + uintptr(i)*page }
	mapFixed := func(what string, i, n, prot, flags int) {
		a, err := mmapAt(pg(i), n*page, prot, fixed|flags)
		guestcheck.Must(what, err)
		guestcheck.Check(what+" lands at its address", a == pg(i), "at %#x, want %#x", a, pg(i))
	}

	mapFixed("MAP_FIXED in a reservation", 4, 4, rw, 0)
	b := mem(pg(4), 4*page)
	guestcheck.Check("memory mapped in a reservation reads zero", filled(b, 0), "not zero")
	for i := range b {
		b[i] = 0x55
	}
	guestcheck.Check("its neighbours stay PROT_NONE", guestcheck.Faults(func() { sink = mem(pg(3), 1)[0] }) && guestcheck.Faults(func() { sink = mem(pg(8), 1)[0] }), "no fault")

	mapFixed("MAP_FIXED over written memory", 5, 1, rw, 0)
	guestcheck.Check("the replaced page reads zero", filled(mem(pg(5), page), 0), "got %x", mem(pg(5), 1)[0])
	guestcheck.Check("the pages around it keep their data", filled(mem(pg(4), page), 0x55) && filled(mem(pg(6), 2*page), 0x55), "lost")

	// A fresh page, then a populated one after it (they merge) and written.
	mapFixed("MAP_FIXED of an untouched page", 10, 1, rw, 0)
	mapFixed("MAP_FIXED|MAP_POPULATE beside it", 11, 1, rw, syscall.MAP_POPULATE)
	copy(mem(pg(11), page), bytes.Repeat([]byte{0x66}, page))
	mapFixed("MAP_FIXED over both", 10, 2, rw, 0)
	guestcheck.Check("a populated page merged after an untouched one is replaced", filled(mem(pg(10), 2*page), 0), "got %x", mem(pg(11), 1)[0])

	// The same with the populated page before the untouched one.
	mapFixed("MAP_FIXED of an untouched page above", 13, 1, rw, 0)
	mapFixed("MAP_FIXED|MAP_POPULATE below it", 12, 1, rw, syscall.MAP_POPULATE)
	copy(mem(pg(12), page), bytes.Repeat([]byte{0x77}, page))
	mapFixed("MAP_FIXED over the populated page", 12, 1, rw, 0)
	guestcheck.Check("a populated page merged before an untouched one is replaced", filled(mem(pg(12), page), 0), "got %x", mem(pg(12), 1)[0])

	// Merged by mprotect: an untouched read-only page becomes writable
	// beside a written one.
	mapFixed("MAP_FIXED read-only", 14, 1, syscall.PROT_READ, 0)
	mapFixed("MAP_FIXED|MAP_POPULATE writable", 15, 1, rw, syscall.MAP_POPULATE)
	copy(mem(pg(15), page), bytes.Repeat([]byte{0x44}, page))
	guestcheck.Must("mprotect the read-only page", syscall.Mprotect(mem(pg(14), page), rw))
	mapFixed("MAP_FIXED over the written page", 15, 1, rw, 0)
	guestcheck.Check("a written page merged by mprotect is replaced", filled(mem(pg(14), 2*page), 0), "got %x", mem(pg(15), 1)[0])

	guestcheck.Must("munmap written memory", munmapAt(pg(4), 4*page))
	guestcheck.Check("unmapped memory faults", guestcheck.Faults(func() { sink = mem(pg(4), 1)[0] }), "no fault")
	mapFixed("MAP_FIXED where memory was unmapped", 4, 4, rw, 0)
	guestcheck.Check("memory mapped again reads zero", filled(mem(pg(4), 4*page), 0), "not zero")
	guestcheck.Must("munmap the reservation", munmapAt(res, 16*page))
}
