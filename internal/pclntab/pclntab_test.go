package pclntab

import (
	"debug/elf"
	"debug/gosym"
	"os"
	"reflect"
	"testing"
)

// ownTable opens the test binary's own pcln table, and debug/gosym's
// reading of it as the reference.
func ownTable(t *testing.T) (Table, *gosym.Table, *elf.Section) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(exe)
	if err != nil {
		t.Skipf("the test binary is not ELF: %v", err)
	}
	defer f.Close()
	text, ps := f.Section(".text"), f.Section(".gopclntab")
	if text == nil || ps == nil {
		t.Fatal("no .text or .gopclntab")
	}
	data, err := ps.Data()
	if err != nil {
		t.Fatal(err)
	}
	tab, ok := Open(data, text.Addr)
	if !ok {
		t.Fatal("Open refused the test binary's own table")
	}
	ref, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		t.Fatal(err)
	}
	return tab, ref, text
}

func TestAgainstDebugGosym(t *testing.T) {
	tab, ref, text := ownTable(t)
	checked := 0
	// Every 97th byte of the text: names, entries and lines must agree
	// with the standard library's reader.
	for pc := text.Addr; pc < text.Addr+text.Size; pc += 97 {
		fn := ref.PCToFunc(pc)
		f, ok := tab.FuncAt(pc)
		if fn == nil {
			continue // padding between functions
		}
		if !ok {
			t.Fatalf("FuncAt(%#x): not found; debug/gosym says %s", pc, fn.Name)
		}
		if name := tab.Name(f); name != fn.Name || f.Entry != fn.Entry {
			t.Fatalf("FuncAt(%#x) = %s at %#x; debug/gosym: %s at %#x", pc, name, f.Entry, fn.Name, fn.Entry)
		}
		wantFile, wantLine, _ := ref.PCToLine(pc)
		file, line := tab.FileLine(f, pc)
		if wantFile == "" { // no line table (the race detector's C code)
			if file != "?" {
				t.Fatalf("FileLine(%#x) in %s = %s:%d; debug/gosym has no file", pc, fn.Name, file, line)
			}
			continue
		}
		if file != wantFile || int(line) != wantLine {
			t.Fatalf("FileLine(%#x) in %s = %s:%d; debug/gosym: %s:%d", pc, fn.Name, file, line, wantFile, wantLine)
		}
		checked++
	}
	// At the entry of a function the stack pointer has not moved. (Some
	// have no pcsp table: markers such as go:textfipsstart, the race
	// detector's C code. Inside a function, a pc may lie in the padding
	// after the last instruction, which no table covers.)
	withPCSP := 0
	for _, fn := range ref.Funcs {
		f, ok := tab.FuncAt(fn.Entry)
		if !ok || f.Entry != fn.Entry {
			t.Fatalf("FuncAt(entry of %s) = %#x, %v", fn.Name, f.Entry, ok)
		}
		d, ok := tab.SPDelta(f, fn.Entry)
		if !ok {
			if file, _, _ := ref.PCToLine(fn.Entry); file != "" {
				t.Errorf("SPDelta(entry of %s, in %s): no frame-size table", fn.Name, file)
			}
			continue
		}
		withPCSP++
		if d != 0 {
			t.Fatalf("SPDelta(entry of %s) = %d, want 0", fn.Name, d)
		}
	}
	if withPCSP < 1000 {
		t.Errorf("only %d of %d functions have a frame-size table", withPCSP, len(ref.Funcs))
	}
	if checked < 1000 {
		t.Errorf("checked only %d pcs", checked)
	}
}

//go:noinline
func frameOf(n int) int {
	var buf [256]byte
	buf[n&255] = byte(n)
	return int(buf[(n+1)&255])
}

func TestSPDelta(t *testing.T) {
	tab, _, _ := ownTable(t)
	pc := uint64(reflect.ValueOf(frameOf).Pointer())
	f, ok := tab.FuncAt(pc)
	if !ok || f.Entry != pc {
		t.Fatalf("FuncAt(entry of frameOf) = %#x, %v", f.Entry, ok)
	}
	if d, ok := tab.SPDelta(f, pc); !ok || d != 0 {
		t.Errorf("SPDelta at the entry = %d, %v; want 0", d, ok)
	}
	// Somewhere inside, frameOf has its 256-byte array on the stack.
	max := int32(0)
	for p := pc; ; p++ {
		g, ok := tab.FuncAt(p)
		if !ok || g.Entry != pc {
			break
		}
		if d, ok := tab.SPDelta(g, p); ok && d > max {
			max = d
		}
	}
	if max < 256 {
		t.Errorf("largest frame of frameOf = %d bytes, want at least 256", max)
	}
}

func TestBadTables(t *testing.T) {
	if _, ok := Open(nil, 0); ok {
		t.Error("Open(nil) succeeded")
	}
	if _, ok := Open(make([]byte, 100), 0); ok {
		t.Error("Open of zeros succeeded")
	}
	var zero Table
	if _, ok := zero.FuncAt(0x401000); ok {
		t.Error("the zero Table found a function")
	}
	tab, _, text := ownTable(t)
	if _, ok := tab.FuncAt(text.Addr - 1); ok {
		t.Error("found a function below the text")
	}
	if _, ok := tab.FuncAt(1 << 62); ok {
		t.Error("found a function far above the text")
	}
}

func TestNoAllocation(t *testing.T) {
	tab, _, _ := ownTable(t)
	pc := uint64(reflect.ValueOf(frameOf).Pointer()) + 4
	n := testing.AllocsPerRun(100, func() {
		f, _ := tab.FuncAt(pc)
		_ = tab.Name(f)
		tab.FileLine(f, pc)
		tab.SPDelta(f, pc)
	})
	if n != 0 {
		t.Errorf("%v allocations", n)
	}
}
