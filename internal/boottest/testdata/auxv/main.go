// Command auxv checks the auxiliary vector the kernel puts on the initial
// stack, as the Go runtime read it: the page size, the clock tick, 16
// random bytes, AT_SECURE 0, AT_EXECFN naming argv[0], the vDSO's ELF
// header when the first argument is "vdso" (none when it is "novdso"),
// and nothing else (the runtime's copy stops at AT_NULL). It prints "auxv ok" or what was wrong, and
// exits 1 then.
package main

import (
	"bytes"
	"fmt"
	"os"
	"unsafe"
	_ "unsafe" // go:linkname
)

//go:linkname getAuxv runtime.getAuxv
func getAuxv() []uintptr

const (
	atNull        = 0
	atPagesz      = 6
	atClktck      = 17
	atSecure      = 23
	atRandom      = 25
	atExecfn      = 31
	atSysinfoEhdr = 33
)

func main() {
	a := getAuxv()
	var bad []string
	fail := func(f string, args ...any) { bad = append(bad, fmt.Sprintf(f, args...)) }
	// The runtime's copy ends before AT_NULL: that it ends after the
	// types the kernel writes says the kernel's AT_NULL is in place.
	if len(a)%2 != 0 {
		fail("odd length %d: %#x", len(a), a)
	}
	got := map[uintptr]uintptr{}
	for i := 0; i+1 < len(a) && a[i] != atNull; i += 2 {
		switch a[i] {
		case atPagesz, atClktck, atSecure, atRandom, atExecfn, atSysinfoEhdr:
		default:
			fail("type %d (a missing AT_NULL?): %#x", a[i], a)
		}
		if _, dup := got[a[i]]; dup {
			fail("type %d twice", a[i])
		}
		got[a[i]] = a[i+1]
	}
	if got[atPagesz] != 4096 {
		fail("AT_PAGESZ %d, want 4096", got[atPagesz])
	}
	if v, ok := got[atClktck]; !ok || v != 100 {
		fail("AT_CLKTCK %d (present %v), want 100", v, ok)
	}
	if v, ok := got[atSecure]; !ok || v != 0 {
		fail("AT_SECURE %d (present %v), want 0", v, ok)
	}
	if p := got[atRandom]; p == 0 {
		fail("no AT_RANDOM")
	} else if r := *(*[16]byte)(unsafe.Pointer(p)); r == [16]byte{} {
		fail("AT_RANDOM's 16 bytes are zero")
	}
	if p := got[atExecfn]; p == 0 {
		fail("no AT_EXECFN")
	} else if s := cString(p); s != os.Args[0] {
		fail("AT_EXECFN %q, argv[0] %q", s, os.Args[0])
	}
	ehdr, vdso := got[atSysinfoEhdr]
	switch want := len(os.Args) > 1 && os.Args[1] == "vdso"; {
	case want && !vdso:
		fail("no AT_SYSINFO_EHDR")
	case want && !bytes.Equal((*[4]byte)(unsafe.Pointer(ehdr))[:], []byte("\x7fELF")):
		fail("AT_SYSINFO_EHDR %#x is not an ELF header", ehdr)
	case !want && vdso:
		fail("AT_SYSINFO_EHDR %#x without a vDSO", ehdr)
	}
	if len(bad) > 0 {
		for _, b := range bad {
			fmt.Println("auxv:", b)
		}
		os.Exit(1)
	}
	fmt.Println("auxv ok")
}

// cString returns the NUL-terminated string at p.
func cString(p uintptr) string {
	var b []byte
	for c := *(*byte)(unsafe.Pointer(p)); c != 0; c = *(*byte)(unsafe.Pointer(p)) {
		b = append(b, c)
		p++
	}
	return string(b)
}
