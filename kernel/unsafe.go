package kernel

import "unsafe"

// unsafeSlice returns the n bytes at addr (kernel or mapped user memory;
// never the Go heap). It fills the slice's header itself: unsafe.Slice
// checks for a nil pointer and a length past the address space, three
// conditional branches at each of the many places it is inlined, and under
// TCG every branch ends a block that is translated (docs/boot.md); the
// callers bound n. A zero n gives an empty slice (nil for a zero addr).
func unsafeSlice(addr, n uintptr) []byte {
	var s []byte
	h := (*sliceHeader)(unsafe.Pointer(&s))
	h.data, h.len, h.cap = addr, n, n
	return s
}

// sliceHeader is the layout of a slice: its data pointer (an address
// outside the Go heap here), length and capacity.
type sliceHeader struct {
	data, len, cap uintptr
}

// unsafeString returns b as a string without copying. Like unsafeSlice it
// fills the header itself: unsafe.String's length check and the empty
// slice's test were conditional branches at each inlined use, each a
// translated block under TCG. An empty b gives an empty string.
func unsafeString(b []byte) string {
	var s string
	h := (*stringHeader)(unsafe.Pointer(&s))
	h.data, h.len = uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b))
	return s
}

// stringHeader is the layout of a string: its data pointer and length.
type stringHeader struct {
	data, len uintptr
}

// ptrTo returns the address of a kernel global.
func ptrTo[T any](p *T) unsafe.Pointer { return unsafe.Pointer(p) }

// copyWords copies n bytes (a multiple of 8) between kernel or user
// addresses, one word at a time.
func copyWords(dst, src, n uintptr) {
	for i := uintptr(0); i < n; i += 8 {
		*(*uint64)(ptr(dst + i)) = *(*uint64)(ptr(src + i))
	}
}

// uintptrOf returns the address of a kernel object, used as a wait key.
func uintptrOf[T any](p *T) uintptr { return uintptr(unsafe.Pointer(p)) }

// unsafeSliceOfString returns the bytes of s without copying; they must not
// be written.
func unsafeSliceOfString(s string) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// ptr converts an address held as uintptr (kernel memory, never the Go
// heap) into a pointer.
func ptr(p uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&p))
}
