// Package pclntab reads the Go pcln table (.gopclntab, the format of Go
// 1.20 and later on a 64-bit target): which function holds a pc, its name,
// its file and line, and its frame size there. The guest kernel reads its
// own image's table with it to print a faulting stack (the runtime's
// reader needs an m), and the profiler (host/prof) reads an image's to
// unwind samples.
//
// It allocates nothing and has no package initialisation, so the kernel
// can use it: names and file names are strings that alias the table.
package pclntab

import (
	"unsafe"

	"github.com/gotoro/gotoro/internal/byteorder"
)

// magic starts a Go 1.20+ table.
const magic = 0xFFFFFFF1

// Table is an opened pcln table. The zero Table holds no function.
type Table struct {
	nfunc     int
	textStart uint64
	funcname  []byte
	cutab     []byte
	filetab   []byte
	pctab     []byte
	functab   []byte
}

// Open reads the header of the table tab of an image whose text starts at
// textStart (the header of Go 1.20+ does not record it). It reports false
// for a table it cannot read.
func Open(tab []byte, textStart uint64) (Table, bool) {
	if len(tab) < 72 || byteorder.LittleEndian.Uint32(tab) != magic || tab[7] != 8 {
		return Table{}, false
	}
	word := func(i int) uint64 { return byteorder.LittleEndian.Uint64(tab[8+8*i:]) }
	bad := false
	part := func(i int) []byte {
		o := word(i)
		if o >= uint64(len(tab)) {
			bad = true
			return nil
		}
		return tab[o:]
	}
	t := Table{
		nfunc:     int(word(0)),
		textStart: textStart,
		funcname:  part(3),
		cutab:     part(4),
		filetab:   part(5),
		pctab:     part(6),
		functab:   part(7),
	}
	if bad || t.nfunc < 0 || len(t.functab) < 8*(t.nfunc+1) {
		return Table{}, false
	}
	return t, true
}

// Func is a function of the table.
type Func struct {
	Entry uint64 // its first instruction
	raw   []byte // its _func record
}

// Fields of a _func record, in 32-bit words.
const (
	fNameOff = 1
	fPCSP    = 4
	fPCFile  = 5
	fPCLine  = 6
	fCUOff   = 8
	funcLen  = 44 // the fixed part of the record
)

func (f Func) u32(i int) uint32 { return byteorder.LittleEndian.Uint32(f.raw[4*i:]) }

// FuncAt returns the function containing pc.
func (t *Table) FuncAt(pc uint64) (Func, bool) {
	if t.functab == nil || pc < t.textStart || pc-t.textStart >= 1<<32 {
		return Func{}, false
	}
	off := uint32(pc - t.textStart)
	ft := t.functab
	entryAt := func(i int) uint32 { return byteorder.LittleEndian.Uint32(ft[8*i:]) }
	lo, hi := 0, t.nfunc
	if off >= entryAt(hi) {
		return Func{}, false
	}
	for hi-lo > 1 {
		m := (lo + hi) / 2
		if entryAt(m) <= off {
			lo = m
		} else {
			hi = m
		}
	}
	if off < entryAt(lo) {
		return Func{}, false
	}
	foff := byteorder.LittleEndian.Uint32(ft[8*lo+4:])
	if uint64(foff)+funcLen > uint64(len(ft)) {
		return Func{}, false
	}
	return Func{Entry: t.textStart + uint64(entryAt(lo)), raw: ft[foff:]}, true
}

// Name returns the function's name ("?" if the table is damaged).
func (t *Table) Name(f Func) string {
	no := f.u32(fNameOff)
	if int(no) >= len(t.funcname) {
		return "?"
	}
	return cstring(t.funcname[no:])
}

// FileLine returns the source file and line of pc in f ("?" and -1 where
// the table does not say).
func (t *Table) FileLine(f Func, pc uint64) (string, int32) {
	line, ok := t.value(f, f.u32(fPCLine), pc)
	if !ok {
		line = -1
	}
	fileno, ok := t.value(f, f.u32(fPCFile), pc)
	if !ok || fileno < 0 || t.cutab == nil {
		return "?", line
	}
	i := 4 * (int(f.u32(fCUOff)) + int(fileno))
	if i+4 > len(t.cutab) {
		return "?", line
	}
	fo := byteorder.LittleEndian.Uint32(t.cutab[i:])
	if int(fo) >= len(t.filetab) {
		return "?", line
	}
	return cstring(t.filetab[fo:]), line
}

// SPDelta returns how far the stack pointer at pc lies below its value at
// f's entry, not counting the return address: the return address is at
// SP+delta.
func (t *Table) SPDelta(f Func, pc uint64) (int32, bool) {
	return t.value(f, f.u32(fPCSP), pc)
}

// value decodes the pc-value table at off of function f for pc: pairs of a
// zig-zag varint value delta and a uvarint pc delta, ended by a zero value
// delta after the first pair. Values start at -1.
func (t *Table) value(f Func, off uint32, pc uint64) (int32, bool) {
	if off == 0 || int(off) >= len(t.pctab) {
		return 0, false
	}
	p := t.pctab[off:]
	val := int32(-1)
	cur := f.Entry
	for first := true; len(p) > 0; first = false {
		uv, n := byteorder.Uvarint(p)
		if n <= 0 || (uv == 0 && !first) {
			return 0, false
		}
		p = p[n:]
		d := int32(uv >> 1)
		if uv&1 != 0 {
			d = ^d
		}
		val += d
		du, n := byteorder.Uvarint(p)
		if n <= 0 {
			return 0, false
		}
		p = p[n:]
		cur += du // the minimum instruction size is 1 on amd64
		if pc < cur {
			return val, true
		}
	}
	return 0, false
}

// cstring returns the NUL-terminated string at the start of b, aliasing b.
func cstring(b []byte) string {
	for i, c := range b {
		if c == 0 {
			if i == 0 {
				return ""
			}
			return unsafe.String(&b[0], i)
		}
	}
	return ""
}
