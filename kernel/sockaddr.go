package kernel

import "github.com/gotoro/gotoro/internal/byteorder"

// What every socket family shares: the user-memory protocols of socket
// addresses (a buffer and a length the kernel updates) and of integer
// socket options, and the descriptor of a new socket.

// putSockaddr copies the encoded address sa to the user buffer p, whose
// length is at *lenp: at most that many bytes are copied, and *lenp
// becomes sa's full length, as Linux does. A nil p asks for nothing.
func putSockaddr(sa []byte, p, lenp uintptr) int64 {
	if p == 0 {
		return 0
	}
	lb, ok := userBytes(lenp, 4, true)
	if !ok {
		return -EFAULT
	}
	max := uintptr(byteorder.LittleEndian.Uint32(lb))
	b, ok := userBytes(p, min(max, uintptr(len(sa))), true)
	if !ok {
		return -EFAULT
	}
	copy(b, sa)
	byteorder.LittleEndian.PutUint32(lb, uint32(len(sa)))
	return 0
}

// sockoptLen returns the user's option length word at lenp, for
// putSockoptInt; getsockopt checks it before it looks at the option.
func sockoptLen(lenp uintptr) ([]byte, int64) {
	lb, ok := userBytes(lenp, 4, true)
	if !ok {
		return nil, -EFAULT
	}
	return lb, 0
}

// putSockoptInt answers getsockopt with the int v: written to val if the
// user's buffer (its length in lb) holds 4 bytes, and the length set to 4.
func putSockoptInt(val uintptr, lb []byte, v uint32) int64 {
	if byteorder.LittleEndian.Uint32(lb) >= 4 {
		b, ok := userBytes(val, 4, true)
		if !ok {
			return -EFAULT
		}
		byteorder.LittleEndian.PutUint32(b, v)
		byteorder.LittleEndian.PutUint32(lb, 4)
	}
	return 0
}

// newSocketFD gives a new socket of kind a description and a descriptor;
// flags are socket(2)'s or accept4(2)'s (SOCK_NONBLOCK, SOCK_CLOEXEC).
func newSocketFD(kind fileKind, flags uint32) (int64, *file) {
	return newFD(kind, flags&(sockNonblock|sockCloexec)|oRdwr)
}
