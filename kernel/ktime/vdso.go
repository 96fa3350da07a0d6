package ktime

import (
	"unsafe"

	"github.com/gotoro/gotoro/internal/byteorder"
)

// The vDSO: a tiny ELF shared object, built in memory at boot and passed to
// the Go runtime in the auxiliary vector (AT_SYSINFO_EHDR), whose one
// symbol, __vdso_clock_gettime (version LINUX_2.6), points at
// vdsoClockGettime. The runtime then reads the clock without a system call
// (see docs/benchmarks.md for what that saves).

func vdsoClockGettime()
func vdsoClockGettimeAddr() uintptr

// vdsoImage (vdso_image.go, generated from vdsoEncode by
// `go test ./kernel/ktime -run TestVDSOImage -update`) holds the ELF object
// with the symbol's value left 0; VDSO fills it in at boot, so that boot
// writes 8 bytes instead of assembling the object.

// Layout of the object (byte offsets).
const (
	vdsoPhdrs   = 64
	vdsoDynamic = 176 // 9 entries
	vdsoHash    = 320 // nbucket, nchain, bucket[1], chain[2]
	vdsoSymtab  = 344 // null symbol, __vdso_clock_gettime
	vdsoVersym  = 392
	vdsoVerdef  = 400 // two Verdef+Verdaux pairs of 28 bytes
	vdsoStrtab  = 456
	vdsoSize    = 512

	vdsoStrings  = "\x00__vdso_clock_gettime\x00LINUX_2.6\x00linux-vdso.so.1\x00"
	vdsoNameSym  = 1
	vdsoNameVer  = 22
	vdsoNameBase = 32

	// ELF hash of "LINUX_2.6", as the runtime expects it.
	vdsoVersionHash = 0x3ae75f6
)

// vdsoSymValue is the offset of __vdso_clock_gettime's st_value in the
// object.
const vdsoSymValue = vdsoSymtab + 24 + 8

// VDSO completes the object and returns its address, for the auxiliary
// vector's AT_SYSINFO_EHDR.
func VDSO() uintptr {
	base := uintptr(unsafe.Pointer(&vdsoImage))
	vdsoImage[vdsoSymValue/8] = uint64(vdsoClockGettimeAddr() - base)
	return base
}

// vdsoEncode writes the object into b with symValue as the symbol's value
// (relative to the object's address).
func vdsoEncode(b *[vdsoSize]byte, symValue uint64) {
	le := byteorder.LittleEndian
	copy(b[0:], "\x7fELF\x02\x01\x01")
	le.PutUint16(b[16:], 3)  // ET_DYN
	le.PutUint16(b[18:], 62) // EM_X86_64
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[32:], vdsoPhdrs)
	le.PutUint16(b[52:], 64)
	le.PutUint16(b[54:], 56)
	le.PutUint16(b[56:], 2)
	phdr := func(off int, typ uint32, start, size uint64) {
		le.PutUint32(b[off:], typ)
		le.PutUint32(b[off+4:], 5) // R+X
		le.PutUint64(b[off+8:], start)
		le.PutUint64(b[off+16:], start)
		le.PutUint64(b[off+24:], start)
		le.PutUint64(b[off+32:], size)
		le.PutUint64(b[off+40:], size)
		le.PutUint64(b[off+48:], 8)
	}
	phdr(vdsoPhdrs, 1, 0, vdsoSize)          // PT_LOAD
	phdr(vdsoPhdrs+56, 2, vdsoDynamic, 9*16) // PT_DYNAMIC
	dyn := [...][2]uint64{
		{5, vdsoStrtab}, {6, vdsoSymtab}, {4, vdsoHash}, {10, uint64(len(vdsoStrings))},
		{11, 24}, {0x6ffffff0, vdsoVersym}, {0x6ffffffc, vdsoVerdef}, {0x6ffffffd, 2}, {0, 0},
	}
	for i, d := range dyn {
		le.PutUint64(b[vdsoDynamic+16*i:], d[0])
		le.PutUint64(b[vdsoDynamic+16*i+8:], d[1])
	}
	for i, v := range [...]uint32{1, 2, 1, 0, 0} {
		le.PutUint32(b[vdsoHash+4*i:], v)
	}
	sym := b[vdsoSymtab+24:]
	le.PutUint32(sym[0:], vdsoNameSym)
	sym[4] = 0x12            // STB_GLOBAL, STT_FUNC
	le.PutUint16(sym[6:], 1) // any defined section
	le.PutUint64(sym[8:], symValue)
	le.PutUint16(b[vdsoVersym+2:], 2)
	verdef := func(off int, flags, ndx uint16, hash, name, next uint32) {
		le.PutUint16(b[off:], 1)
		le.PutUint16(b[off+2:], flags)
		le.PutUint16(b[off+4:], ndx)
		le.PutUint16(b[off+6:], 1)
		le.PutUint32(b[off+8:], hash)
		le.PutUint32(b[off+12:], 20)
		le.PutUint32(b[off+16:], next)
		le.PutUint32(b[off+20:], name)
	}
	verdef(vdsoVerdef, 1, 1, 0, vdsoNameBase, 28) // VER_FLG_BASE
	verdef(vdsoVerdef+28, 0, 2, vdsoVersionHash, vdsoNameVer, 0)
	copy(b[vdsoStrtab:], vdsoStrings)
}
