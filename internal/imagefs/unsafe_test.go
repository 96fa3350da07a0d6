package imagefs

import "unsafe"

// uintptrOf returns the address of the first element of b (0 if empty).
func uintptrOf(b []byte) uintptr {
	if len(b) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(&b[0]))
}
