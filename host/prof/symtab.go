package prof

import (
	"debug/elf"
	"debug/gosym"
	"encoding/binary"
	"fmt"
	"sort"
)

// Symbols names the code of one image: functions, files and lines from
// debug/gosym, and the pcln table's stack-pointer deltas (pcsp), which the
// unwinder needs for the innermost frame.
type Symbols struct {
	tab       *gosym.Table
	textStart uint64
	textEnd   uint64
	pcln      []byte
	nfunc     int
	functab   []byte
	pctab     []byte
}

// Func is a function of the image.
type Func struct {
	Name  string
	Entry uint64
	End   uint64
}

const pclnMagic120 = 0xFFFFFFF1 // Go 1.20 and later

// LoadSymbols reads the symbols of the image at path.
func LoadSymbols(path string) (*Symbols, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading symbols: %w", err)
	}
	defer f.Close()
	text := f.Section(".text")
	ps := f.Section(".gopclntab")
	if text == nil || ps == nil {
		return nil, fmt.Errorf("reading symbols: %s has no .text or .gopclntab section (not a Go image?)", path)
	}
	pcln, err := ps.Data()
	if err != nil {
		return nil, fmt.Errorf("reading symbols: %s: %w", path, err)
	}
	return newSymbols(pcln, text.Addr, text.Addr+text.Size)
}

func newSymbols(pcln []byte, textStart, textEnd uint64) (*Symbols, error) {
	if len(pcln) < 72 || binary.LittleEndian.Uint32(pcln) != pclnMagic120 || pcln[7] != 8 {
		return nil, fmt.Errorf("reading symbols: unsupported pcln table (want Go 1.20+ on a 64-bit target)")
	}
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(pcln, textStart))
	if err != nil {
		return nil, fmt.Errorf("reading symbols: %w", err)
	}
	word := func(i int) uint64 { return binary.LittleEndian.Uint64(pcln[8+8*i:]) }
	s := &Symbols{tab: tab, textStart: textStart, textEnd: textEnd, pcln: pcln, nfunc: int(word(0))}
	off := func(i int) ([]byte, error) {
		o := word(i)
		if o >= uint64(len(pcln)) {
			return nil, fmt.Errorf("reading symbols: pcln table offset %d out of range", o)
		}
		return pcln[o:], nil
	}
	if s.pctab, err = off(6); err != nil {
		return nil, err
	}
	if s.functab, err = off(7); err != nil {
		return nil, err
	}
	if len(s.functab) < 8*(s.nfunc+1) {
		return nil, fmt.Errorf("reading symbols: function table truncated")
	}
	return s, nil
}

// InText reports whether pc lies in the image's code.
func (s *Symbols) InText(pc uint64) bool { return pc >= s.textStart && pc < s.textEnd }

// FuncAt returns the function containing pc.
func (s *Symbols) FuncAt(pc uint64) (Func, bool) {
	f := s.tab.PCToFunc(pc)
	if f == nil {
		return Func{}, false
	}
	return Func{Name: f.Name, Entry: f.Entry, End: f.End}, true
}

// Line returns the source position of pc ("?", 0 if unknown).
func (s *Symbols) Line(pc uint64) (file string, line int) {
	file, line, fn := s.tab.PCToLine(pc)
	if fn == nil || file == "" {
		return "?", 0
	}
	return file, line
}

// SPDelta returns how far the stack pointer at pc lies below its value at
// the function's entry, not counting the return address: the return
// address is at SP+delta. ok is false if pc is in no known function.
func (s *Symbols) SPDelta(pc uint64) (delta int64, ok bool) {
	if pc < s.textStart {
		return 0, false
	}
	ft := s.functab
	entryOff := func(i int) uint64 { return uint64(binary.LittleEndian.Uint32(ft[8*i:])) }
	off := pc - s.textStart
	if off >= entryOff(s.nfunc) {
		return 0, false
	}
	i := sort.Search(s.nfunc, func(i int) bool { return entryOff(i) > off }) - 1
	if i < 0 {
		return 0, false
	}
	foff := uint64(binary.LittleEndian.Uint32(ft[8*i+4:]))
	if foff+44 > uint64(len(ft)) {
		return 0, false
	}
	fn := ft[foff:]
	pcsp := binary.LittleEndian.Uint32(fn[16:]) // _func.pcsp
	v, ok := pcvalue(s.pctab, pcsp, s.textStart+entryOff(i), pc)
	return int64(v), ok
}

// pcvalue decodes the pc-value table at off of the function starting at
// entry, for pc: pairs of a zig-zag varint value delta and a uvarint pc
// delta, ended by a zero value delta after the first pair.
func pcvalue(pctab []byte, off uint32, entry, pc uint64) (int32, bool) {
	if off == 0 || int(off) >= len(pctab) {
		return 0, false
	}
	p := pctab[off:]
	val := int32(-1)
	cur := entry
	for first := true; len(p) > 0; first = false {
		uv, n := binary.Uvarint(p)
		if n <= 0 || (uv == 0 && !first) {
			return 0, false
		}
		p = p[n:]
		d := int32(uv >> 1)
		if uv&1 != 0 {
			d = ^d
		}
		val += d
		du, n := binary.Uvarint(p)
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
