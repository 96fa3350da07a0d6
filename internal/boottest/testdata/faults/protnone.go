package main

import (
	"fmt"
	"runtime/debug"
	"syscall"

	"github.com/gotoro/gotoro/internal/boottest/stress"
)

// protectTouched takes access away from memory already backed and gives
// it back: after mprotect(PROT_NONE) a write is a fault (a recovered
// panic) and a write(2) from it or a read(2) into it is EFAULT, after
// PROT_READ a read sees the data and a write faults, after PROT_READ|
// PROT_WRITE both work, and the data is never lost. (A read of the
// program's own is not checked: gotoro runs the program in ring 0, where
// a page already backed stays readable.)
func protectTouched() {
	b, err := syscall.Mmap(-1, 0, 2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if !stress.Check("mmap", err == nil, err) {
		return
	}
	defer syscall.Munmap(b)
	b[0], b[page] = 7, 8
	var p [2]int
	if !stress.Check("pipe", syscall.Pipe(p[:]) == nil) {
		return
	}
	defer syscall.Close(p[0])
	defer syscall.Close(p[1])
	protect := func(prot int) bool {
		return stress.Check("mprotect", syscall.Mprotect(b, prot) == nil, prot)
	}
	if !protect(syscall.PROT_NONE) {
		return
	}
	stress.Check("touched page written after PROT_NONE: a fault", faults(func() { b[page] = 1 }))
	_, err = syscall.Write(p[1], b[:100])
	stress.Check("write(2) from touched PROT_NONE memory: EFAULT", err == syscall.EFAULT, err)
	_, err = syscall.Write(p[1], []byte("x"))
	stress.Check("pipe write", err == nil, err)
	_, err = syscall.Read(p[0], b[page:page+1])
	stress.Check("read(2) into touched PROT_NONE memory: EFAULT", err == syscall.EFAULT, err)
	if !protect(syscall.PROT_READ) {
		return
	}
	stress.Check("PROT_READ again: the data is there", b[0] == 7 && b[page] == 8, b[0], " ", b[page])
	stress.Check("PROT_READ: a write is a fault", faults(func() { b[0] = 1 }))
	if !protect(syscall.PROT_READ | syscall.PROT_WRITE) {
		return
	}
	b[0] = 9
	stress.Check("PROT_READ|PROT_WRITE again: written", b[0] == 9 && b[page] == 8, b[0], " ", b[page])
	fmt.Println("protect touched: checked")
}

// faults reports whether f faults (a memory fault turned into a panic).
func faults(f func()) (faulted bool) {
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() { faulted = recover() != nil }()
	f()
	return false
}
