package byteorder

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// The accessors must agree with encoding/binary's, which they replace.
func TestMatchesEncodingBinary(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		v := r.Uint64()
		b := make([]byte, 8)
		r2 := make([]byte, 8)

		binary.LittleEndian.PutUint16(b, uint16(v))
		LittleEndian.PutUint16(r2, uint16(v))
		binary.LittleEndian.PutUint32(b[2:], uint32(v))
		LittleEndian.PutUint32(r2[2:], uint32(v))
		if string(b) != string(r2) {
			t.Fatalf("little-endian puts of %#x: %x, encoding/binary %x", v, r2, b)
		}
		binary.LittleEndian.PutUint64(b, v)
		LittleEndian.PutUint64(r2, v)
		if string(b) != string(r2) {
			t.Fatalf("PutUint64(%#x): %x, encoding/binary %x", v, r2, b)
		}
		if LittleEndian.Uint16(b) != binary.LittleEndian.Uint16(b) ||
			LittleEndian.Uint32(b[1:]) != binary.LittleEndian.Uint32(b[1:]) ||
			LittleEndian.Uint64(b) != binary.LittleEndian.Uint64(b) ||
			BigEndian.Uint16(b[3:]) != binary.BigEndian.Uint16(b[3:]) {
			t.Fatalf("reads of %x differ from encoding/binary's", b)
		}
		if got, want := LittleEndian.AppendUint32([]byte{9}, uint32(v)), binary.LittleEndian.AppendUint32([]byte{9}, uint32(v)); string(got) != string(want) {
			t.Fatalf("AppendUint32(%#x): %x, want %x", uint32(v), got, want)
		}
		if got, want := LittleEndian.AppendUint64(nil, v), binary.LittleEndian.AppendUint64(nil, v); string(got) != string(want) {
			t.Fatalf("AppendUint64(%#x): %x, want %x", v, got, want)
		}
		BigEndian.PutUint16(b, uint16(v))
		binary.BigEndian.PutUint16(r2, uint16(v))
		if string(b[:2]) != string(r2[:2]) {
			t.Fatalf("BigEndian.PutUint16(%#x): %x, want %x", uint16(v), b[:2], r2[:2])
		}
	}
}

func TestUvarint(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cases := [][]byte{
		nil, {}, {0}, {1}, {0x7f}, {0x80}, {0x80, 0x01}, {0xff, 0xff},
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},       // max uint64
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02},       // overflow in the 10th byte
		{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, // 11 bytes
	}
	for range 1000 {
		v := r.Uint64() >> r.IntN(64)
		b := binary.AppendUvarint(nil, v)
		cases = append(cases, b, b[:len(b)-1], append(b, 0x55))
	}
	for _, b := range cases {
		v, n := Uvarint(b)
		wv, wn := binary.Uvarint(b)
		if v != wv || n != wn {
			t.Errorf("Uvarint(%x) = %d, %d; encoding/binary %d, %d", b, v, n, wv, wn)
		}
	}
}
