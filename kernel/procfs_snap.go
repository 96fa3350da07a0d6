package kernel

import (
	"unsafe"

	"github.com/gotoro/gotoro/kernel/mm"
)

// Snapshots of /proc files. A read at offset 0 (and the first read of an
// open file at any offset) generates the whole file once into pages the
// open file owns; every later read copies from that text. So a program
// reading in small pieces sees one consistent text, with whole lines,
// even when the content changes between its reads (a mapping added by
// the runtime on another core changes /proc/self/maps), as Linux's
// seq_file keeps records whole. Reading again from offset 0, or after
// lseek to 0, shows the current state.
//
// The text lives in pages from the page allocator, listed in a table
// page taken with the text's first byte (an empty text, such as
// /proc/self/cgroup's, takes no page: the Go runtime reads that file at
// every start); the pages are kept for the next generation and given
// back when the open file is released. A text longer than procSnapMax (2 MiB,
// far beyond any file of /proc here: 1024 mappings of maps take under
// 300 KiB) ends after its last whole line that fits.

const (
	procSnapSlots = pageSize / 8
	procSnapMax   = procSnapSlots * pageSize
)

// procSnap is the text of an open /proc file; guarded by the big kernel
// lock, under which /proc files are read and released.
type procSnap struct {
	table uintptr // a page of page addresses; 0 until the text has a byte
	pages int     // slots in use are [0, pages)
	size  int64   // bytes of text
	made  bool    // the text was generated (the file's first read done)
}

// procSnaps holds the snapshot of each open file description.
var procSnaps [maxFiles]procSnap

// procSnapIndex returns the index of description f's snapshot.
func procSnapIndex(f *file) int {
	return int((uintptr(unsafe.Pointer(f)) - uintptr(unsafe.Pointer(&files[0]))) / unsafe.Sizeof(files[0]))
}

// procSnapOf returns the snapshot of description f.
func procSnapOf(f *file) *procSnap { return &procSnaps[procSnapIndex(f)] }

func (s *procSnap) slots() []uintptr {
	return unsafe.Slice((*uintptr)(ptr(s.table)), procSnapSlots)
}

// fill generates the text of r into snapshot i, reusing the pages it
// holds.
//
//go:nosplit
func procSnapFill(i int, r procRef) int64 {
	s := &procSnaps[i]
	w := procWriter{snap: i + 1}
	procGenerate(&w, r)
	if w.nomem {
		s.free()
		return -ENOMEM
	}
	size := w.total
	if size > procSnapMax {
		size = s.lastLineEnd(procSnapMax)
	}
	s.size = size
	s.made = true
	if s.table == 0 {
		return 0 // an empty text, and none before: no page to give back
	}
	// Pages past the text go back.
	keep := int((size + pageSize - 1) / pageSize)
	sl := s.slots()
	for i := keep; i < s.pages; i++ {
		if sl[i] != 0 {
			mm.Free(sl[i])
			sl[i] = 0
		}
	}
	if s.pages > keep {
		s.pages = keep
	}
	return 0
}

// snapByte stores c at w.total in the snapshot's pages, taking a page
// at each page boundary; past procSnapMax, or when memory is out, the
// byte is only counted.
func (w *procWriter) snapByte(c byte) {
	o := uintptr(w.total % pageSize)
	if o == 0 {
		w.page = w.snapPage()
	}
	if w.page != 0 {
		*(*byte)(ptr(w.page + o)) = c
	}
	w.total++
}

// snapPage returns the page for the text at w.total, or 0.
func (w *procWriter) snapPage() uintptr {
	s := &procSnaps[w.snap-1]
	i := int(w.total / pageSize)
	if i >= procSnapSlots || w.nomem {
		return 0
	}
	if s.table == 0 {
		if s.table = mm.Alloc(); s.table == 0 {
			w.nomem = true
			return 0
		}
	}
	sl := s.slots()
	if sl[i] == 0 {
		if sl[i] = mm.Alloc(); sl[i] == 0 {
			w.nomem = true
			return 0
		}
	}
	if i >= s.pages {
		s.pages = i + 1
	}
	return sl[i]
}

// byteAt returns the text's byte at off.
func (s *procSnap) byteAt(off int64) byte {
	return *(*byte)(ptr(s.slots()[off/pageSize] + uintptr(off%pageSize)))
}

// lastLineEnd returns the length of the text up to and including its
// last newline before max (max if there is none).
func (s *procSnap) lastLineEnd(max int64) int64 {
	for i := max - 1; i >= 0; i-- {
		if s.byteAt(i) == '\n' {
			return i + 1
		}
	}
	return max
}

// copyOut copies the text from off into b.
//
//go:nosplit
func (s *procSnap) copyOut(b []byte, off int64) int {
	if off >= s.size {
		return 0 // also an empty text, which has no table page
	}
	n := 0
	sl := s.slots()
	for n < len(b) && off < s.size {
		po := off % pageSize
		page := unsafeSlice(sl[off/pageSize]+uintptr(po), uintptr(pageSize-po))
		end := s.size - off
		if end < int64(len(page)) {
			page = page[:end]
		}
		c := copy(b[n:], page)
		n += c
		off += int64(c)
	}
	return n
}

// free gives the snapshot's pages back.
//
//go:nosplit
func (s *procSnap) free() {
	if s.table == 0 {
		*s = procSnap{}
		return
	}
	sl := s.slots()
	for i := 0; i < s.pages; i++ {
		if sl[i] != 0 {
			mm.Free(sl[i])
		}
	}
	mm.Free(s.table)
	*s = procSnap{}
}
