package prof

import (
	"encoding/binary"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"sync"
	"testing"
)

// The test binary's own functions stand in for guest code: the tests
// build guest stacks from their addresses.

//go:noinline
func leafA(x int) int { return x*3 + 1 }

//go:noinline
func midB(x int) int {
	var buf [16]int
	for i := range buf {
		buf[i] = leafA(x + i)
	}
	return buf[3] + buf[9]
}

//go:noinline
func topC(x int) int { return midB(x) + midB(x+1) }

//go:noinline
func userD(x int) int { return topC(x) * 2 }

var selfSyms = sync.OnceValues(func() (*Symbols, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return LoadSymbols(exe)
})

func testSymbols(t *testing.T) *Symbols {
	t.Helper()
	s, err := selfSyms()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fn returns the code range of the Go function f.
func fn(t *testing.T, s *Symbols, f any) funcRange {
	t.Helper()
	pc := uint64(reflect.ValueOf(f).Pointer())
	rf := runtime.FuncForPC(uintptr(pc))
	got, ok := s.FuncAt(pc)
	if !ok || got.Name != rf.Name() {
		t.Fatalf("FuncAt(%#x) = %+v, %v; want %s", pc, got, ok, rf.Name())
	}
	return funcRange{got.Entry, got.End}
}

// fakeMem is guest memory: 64-bit words at addresses, zero elsewhere in
// the pages it has, unreadable outside them.
type fakeMem struct {
	words map[uint64]uint64
	reads int
}

func newFakeMem() *fakeMem { return &fakeMem{words: map[uint64]uint64{}} }

func (m *fakeMem) put(addr, v uint64) { m.words[addr] = v }

func (m *fakeMem) Read(cpu int, addr uint64, size int) ([]byte, error) {
	m.reads++
	b := make([]byte, size)
	found := false
	for a, v := range m.words {
		if a >= addr && a+8 <= addr+uint64(size) {
			binary.LittleEndian.PutUint64(b[a-addr:], v)
			found = true
		}
	}
	if !found {
		return nil, fmt.Errorf("unmapped %#x", addr)
	}
	return b, nil
}

// names returns the function (or pseudo-frame) names of a stack.
func names(s *Symbols, st []Frame) []string {
	var out []string
	for _, f := range st {
		if f.Kernel != "" {
			out = append(out, f.Kernel)
			continue
		}
		fn, ok := s.FuncAt(f.PC)
		if !ok {
			out = append(out, f.String())
			continue
		}
		out = append(out, fn.Name)
	}
	return out
}
