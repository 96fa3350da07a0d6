package bench

import (
	"fmt"
	"io"
	"strings"
)

// The Go runtime runs every linked package's initialization (its init
// functions and the variables the compiler could not lay out statically)
// between runtime.main and main.main, one package at a time: first the
// runtime's own packages (runtime_inittasks, before gcenable), then the
// program's in import order (runtime.doInit1 of main's inittasks). QEMU
// translates a block the first time it runs, so the -d in_asm log lists
// the blocks in the order their code first ran, and the blocks translated
// from the first block of a package's init function to the next package's
// (or to runtime.main's own next block) are what that package's
// initialization cost: its own code and whatever it was the first to call
// (the map code, the allocator's slow paths, a page fault's kernel path).

// InitBlocks is what one package's initialization translated.
type InitBlocks struct {
	// Package is the package's import path, or RuntimeMain for
	// runtime.main's own blocks outside any initialization (gcenable,
	// sysmon's start, doInit's loop).
	Package string
	Blocks  int // translated blocks
	Kernel  int // of which the kernel's (system calls, faults, interrupts)
	// Signal says a signal's delivery was first translated while this
	// package's initialization ran (in a booted hello, sysmon's
	// preemption): its few hundred blocks count here.
	Signal bool
}

// RuntimeMain names runtime.main's own blocks in an Inits list.
const RuntimeMain = "(runtime.main itself)"

// initPackage returns the package whose initialization sym (a -d in_asm
// block's symbol) starts: the import path for "P.init", "P.init.N"
// (init functions) and "P.map.init.N" (a map variable's outlined
// initialization), "" for anything else (methods named init included).
func initPackage(sym string) string {
	p, n, ok := strings.Cut(sym, ".init")
	if !ok || strings.Contains(p, "(") || strings.Contains(p, ")") {
		return ""
	}
	if n != "" {
		if n[0] != '.' || len(n) == 1 || strings.Trim(n[1:], "0123456789") != "" {
			return "" // P.init.0.func1, P.initX: not an init function's entry
		}
	}
	// The path's last element has no dot of its own in a symbol (the
	// linker escapes it), so a dot after the last slash ends the package.
	slash := strings.LastIndexByte(p, '/')
	if dot := strings.IndexByte(p[slash+1:], '.'); dot >= 0 {
		if p[slash+1+dot:] != ".map" {
			return "" // a function or method of P named init…
		}
		p = p[:slash+1+dot]
	}
	return p
}

// initCounter attributes the blocks of the runtime.main → main.main phase
// to the package whose initialization was running when QEMU translated
// them.
type initCounter struct {
	inits []InitBlocks
	cur   int // index in inits of the segment being counted
}

// block counts one translated block of function sym.
func (c *initCounter) block(sym string, kernel bool) {
	name := initPackage(sym)
	if name == "" && (len(c.inits) == 0 || sym == "runtime.main" || strings.HasPrefix(sym, "runtime.doInit")) {
		name = RuntimeMain
	}
	if name != "" && (len(c.inits) == 0 || c.inits[c.cur].Package != name) {
		c.cur = c.index(name)
	}
	in := &c.inits[c.cur]
	in.Blocks++
	if kernel {
		in.Kernel++
	}
	if sym == sigframeSym {
		in.Signal = true
	}
}

// index returns the index of name's entry in c.inits, adding one.
func (c *initCounter) index(name string) int {
	for i := range c.inits {
		if c.inits[i].Package == name {
			return i
		}
	}
	c.inits = append(c.inits, InitBlocks{Package: name})
	return len(c.inits) - 1
}

// printInits prints the blocks of each package's initialization, in the
// order they ran.
func printInits(w io.Writer, inits []InitBlocks) {
	if len(inits) == 0 {
		return
	}
	total, pkgs := 0, 0
	for _, in := range inits {
		if in.Package != RuntimeMain {
			total += in.Blocks
			pkgs++
		}
	}
	fmt.Fprintf(w, "package initializations (runtime.main → main.main, blocks translated from each package's first init block on, in the order they ran; kernel's in brackets): %d packages, %d blocks\n", pkgs, total)
	for _, in := range inits {
		note := ""
		if in.Signal {
			note = "  with a signal's delivery (the SIGURG of docs/boot.md)"
		}
		fmt.Fprintf(w, "  %-48s %6d (%d)%s\n", in.Package, in.Blocks, in.Kernel, note)
	}
}
