package build

import (
	"context"
	"debug/elf"
	"path/filepath"
	"testing"

	"github.com/gotoro/gotoro/host/image"
	"github.com/gotoro/gotoro/internal/bootabi"
)

// TestBuildRecordsProgramFacts checks what the boot block says about the
// program: whether it links the network service, and where runtime.main
// and main.main start (the boot-trace breakpoints), also for a stripped
// build.
func TestBuildRecordsProgramFacts(t *testing.T) {
	root := testRoot(t)
	for _, c := range []struct {
		name, pkg string
		goFlags   []string
		network   bool
	}{
		{"hello", "./examples/hello", nil, false},
		{"hello stripped", "./examples/hello", []string{"-ldflags=-s -w"}, false},
		{"webserver", "./examples/webserver", nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "x.img")
			if _, err := Build(context.Background(), Options{Package: c.pkg, Dir: root, Output: out, GoFlags: c.goFlags}); err != nil {
				t.Fatal(err)
			}
			bb, err := image.ReadBootBlock(out)
			if err != nil {
				t.Fatal(err)
			}
			if got := bb.Flags&bootabi.FlagNetwork != 0; got != c.network {
				t.Errorf("FlagNetwork = %v, want %v", got, c.network)
			}
			if bb.RuntimeMain == 0 || bb.MainMain == 0 || bb.RuntimeMain == bb.MainMain {
				t.Fatalf("runtime.main at %#x, main.main at %#x", bb.RuntimeMain, bb.MainMain)
			}
			f, err := elf.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			syms, err := f.Symbols()
			if err != nil {
				if len(c.goFlags) == 0 {
					t.Fatal(err)
				}
				return // stripped: nothing to compare with
			}
			want := map[string]uint64{"runtime.main": bb.RuntimeMain, "main.main": bb.MainMain}
			for _, s := range syms {
				if w, ok := want[s.Name]; ok {
					if s.Value != w {
						t.Errorf("%s is at %#x, the boot block says %#x", s.Name, s.Value, w)
					}
					delete(want, s.Name)
				}
			}
			if len(want) != 0 {
				t.Errorf("symbols not found: %v", want)
			}
		})
	}
}

// TestBuildDropsBSS: no PT_LOAD of an image asks the VMM to zero memory
// (a fresh guest's RAM is zero), and the boot block still reserves the
// zero-initialized data: ImageEnd lies past the linker's end of it.
func TestBuildDropsBSS(t *testing.T) {
	root := testRoot(t)
	out := filepath.Join(t.TempDir(), "hello.img")
	if _, err := Build(context.Background(), Options{Package: "./examples/hello", Dir: root, Output: out}); err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Memsz != p.Filesz {
			t.Errorf("PT_LOAD at %#x: memory size %#x, file size %#x", p.Vaddr, p.Memsz, p.Filesz)
		}
	}
	bb, err := image.ReadBootBlock(out)
	if err != nil {
		t.Fatal(err)
	}
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range syms {
		if s.Name == "runtime.end" || s.Name == "runtime.enoptrbss" {
			if s.Value > bb.ImageEnd {
				t.Errorf("%s at %#x is beyond the boot block's ImageEnd %#x", s.Name, s.Value, bb.ImageEnd)
			}
		}
	}
	if bss := f.Section(".noptrbss"); bss == nil || bss.Addr+bss.Size > bb.ImageEnd || bb.ReservedTo < bb.ImageEnd {
		t.Errorf(".noptrbss %+v not reserved by ImageEnd %#x, ReservedTo %#x", bss, bb.ImageEnd, bb.ReservedTo)
	}
}
