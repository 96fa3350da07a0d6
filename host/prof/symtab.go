package prof

import (
	"debug/elf"
	"debug/gosym"
	"fmt"

	"github.com/gotoro/gotoro/internal/pclntab"
)

// Symbols names the code of one image: functions, files and lines from
// debug/gosym, and the pcln table's stack-pointer deltas (pcsp, read with
// internal/pclntab, the kernel's reader too), which the unwinder needs for
// the innermost frame.
type Symbols struct {
	tab       *gosym.Table
	textStart uint64
	textEnd   uint64
	pcln      pclntab.Table
}

// Func is a function of the image.
type Func struct {
	Name  string
	Entry uint64
	End   uint64
}

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
	t, ok := pclntab.Open(pcln, textStart)
	if !ok {
		return nil, fmt.Errorf("reading symbols: unsupported pcln table (want Go 1.20+ on a 64-bit target)")
	}
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(pcln, textStart))
	if err != nil {
		return nil, fmt.Errorf("reading symbols: %w", err)
	}
	return &Symbols{tab: tab, textStart: textStart, textEnd: textEnd, pcln: t}, nil
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
	f, ok := s.pcln.FuncAt(pc)
	if !ok {
		return 0, false
	}
	d, ok := s.pcln.SPDelta(f, pc)
	return int64(d), ok
}
