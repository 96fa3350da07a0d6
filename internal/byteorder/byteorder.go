// Package byteorder reads and writes little- and big-endian integers in
// byte slices, as encoding/binary's LittleEndian and BigEndian do, for
// the kernel and the formats it reads.
//
// encoding/binary imports reflect (and through it errors, sync, unicode,
// math and iter), whose package initializations the Go runtime then runs
// at the start of every program linked with the kernel (about 100
// translated blocks under TCG: docs/boot.md). This package imports
// nothing, so a program pays only for what it imports itself. The
// accessors are the byte-combining forms the compiler turns into single
// loads and stores.
package byteorder

// LittleEndian is the little-endian byte order (x86's).
var LittleEndian littleEndian

// BigEndian is the big-endian byte order (the network's).
var BigEndian bigEndian

type littleEndian struct{}

// Uint16 returns the little-endian uint16 at the start of b.
func (littleEndian) Uint16(b []byte) uint16 {
	_ = b[1] // one bounds check
	return uint16(b[0]) | uint16(b[1])<<8
}

// PutUint16 writes v little-endian at the start of b.
func (littleEndian) PutUint16(b []byte, v uint16) {
	_ = b[1]
	b[0] = byte(v)
	b[1] = byte(v >> 8)
}

// Uint32 returns the little-endian uint32 at the start of b.
func (littleEndian) Uint32(b []byte) uint32 {
	_ = b[3]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// PutUint32 writes v little-endian at the start of b.
func (littleEndian) PutUint32(b []byte, v uint32) {
	_ = b[3]
	b[0] = byte(v)
	b[1] = byte(v >> 8)
	b[2] = byte(v >> 16)
	b[3] = byte(v >> 24)
}

// AppendUint32 appends v little-endian to b.
func (littleEndian) AppendUint32(b []byte, v uint32) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}

// Uint64 returns the little-endian uint64 at the start of b.
func (littleEndian) Uint64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// PutUint64 writes v little-endian at the start of b.
func (littleEndian) PutUint64(b []byte, v uint64) {
	_ = b[7]
	b[0] = byte(v)
	b[1] = byte(v >> 8)
	b[2] = byte(v >> 16)
	b[3] = byte(v >> 24)
	b[4] = byte(v >> 32)
	b[5] = byte(v >> 40)
	b[6] = byte(v >> 48)
	b[7] = byte(v >> 56)
}

// AppendUint64 appends v little-endian to b.
func (littleEndian) AppendUint64(b []byte, v uint64) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24),
		byte(v>>32), byte(v>>40), byte(v>>48), byte(v>>56))
}

type bigEndian struct{}

// Uint16 returns the big-endian uint16 at the start of b.
func (bigEndian) Uint16(b []byte) uint16 {
	_ = b[1]
	return uint16(b[1]) | uint16(b[0])<<8
}

// PutUint16 writes v big-endian at the start of b.
func (bigEndian) PutUint16(b []byte, v uint16) {
	_ = b[1]
	b[0] = byte(v >> 8)
	b[1] = byte(v)
}

// Uvarint decodes an unsigned varint (encoding/binary's format: seven
// bits a byte, least significant first, the high bit set on all but the
// last) from the start of b. It returns the value and the bytes read; 0
// bytes when b ends first, a negative count (-bytes read) when the value
// overflows 64 bits.
func Uvarint(b []byte) (uint64, int) {
	var x uint64
	var s uint
	for i, c := range b {
		if i == maxVarintLen64 {
			return 0, -(i + 1) // overflow
		}
		if c < 0x80 {
			if i == maxVarintLen64-1 && c > 1 {
				return 0, -(i + 1) // overflow
			}
			return x | uint64(c)<<s, i + 1
		}
		x |= uint64(c&0x7f) << s
		s += 7
	}
	return 0, 0
}

// maxVarintLen64 is the longest varint of a uint64.
const maxVarintLen64 = 10
