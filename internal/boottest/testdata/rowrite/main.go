// Command rowrite writes into its own read-only memory, as a stray
// unsafe store would: "rodata" into a string literal's bytes, "text" into
// main's code, "recover" into the literal with debug.SetPanicOnFault, so
// the fault is a panic the program recovers from and goes on. On Linux
// the first two die of the runtime's "unexpected fault address" panic
// (SIGSEGV, SEGV_ACCERR) with exit status 2; the guest must do the same.
package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"unsafe"
)

const literal = "a string literal in the program's read-only data"

// poke stores b at p.
//
//go:noinline
func poke(p unsafe.Pointer, b byte) { *(*byte)(p) = b }

// target returns the address the mode writes to.
func target(mode string) unsafe.Pointer {
	if mode == "text" {
		f := main
		return **(**unsafe.Pointer)(unsafe.Pointer(&f))
	}
	return unsafe.Add(unsafe.Pointer(unsafe.StringData(literal)), 8)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Println("usage: rowrite rodata|text|recover")
		os.Exit(64)
	}
	mode := os.Args[1]
	p := target(mode)
	fmt.Printf("writing to %p\n", p)
	if mode == "recover" {
		debug.SetPanicOnFault(true)
		func() {
			defer func() { fmt.Println("recovered:", recover()) }()
			poke(p, 'X')
		}()
		fmt.Println("literal:", literal)
		fmt.Println("rowrite ok")
		return
	}
	poke(p, 0xCC)
	fmt.Println("the write went through")
}
