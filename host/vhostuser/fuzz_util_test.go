package vhostuser

import (
	"os"
	"unsafe"
)

func fileFD(fd int) *os.File { return os.NewFile(uintptr(fd), "socketpair") }

func uintptrOf(p *byte) uintptr { return uintptr(unsafe.Pointer(p)) }
