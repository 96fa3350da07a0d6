package virtio

import (
	"testing"
	"unsafe"
)

func TestLayout(t *testing.T) {
	if s := unsafe.Sizeof(Desc{}); s != DescSize {
		t.Errorf("Desc is %d bytes, the spec says %d", s, DescSize)
	}
	if s := unsafe.Sizeof(UsedElem{}); s != 8 {
		t.Errorf("UsedElem is %d bytes, the spec says 8", s)
	}
	for _, c := range []struct{ n, desc, avail, used int }{
		{1, 16, 8, 14},
		{256, 4096, 518, 2054},
	} {
		if DescTableSize(c.n) != c.desc || AvailRingSize(c.n) != c.avail || UsedRingSize(c.n) != c.used {
			t.Errorf("n=%d: sizes %d %d %d, want %d %d %d", c.n,
				DescTableSize(c.n), AvailRingSize(c.n), UsedRingSize(c.n), c.desc, c.avail, c.used)
		}
	}
	if MMIOMagicValue != uint32('v')|uint32('i')<<8|uint32('r')<<16|uint32('t')<<24 {
		t.Errorf("MMIOMagicValue is not \"virt\"")
	}
}

func TestVsockHdrRoundTrip(t *testing.T) {
	h := VsockHdr{SrcCID: 3, DstCID: VsockHostCID, SrcPort: 1 << 30, DstPort: 1234, Len: 4096,
		Type: VsockTypeStream, Op: VsockOpRW, Flags: VsockShutdownSend, BufAlloc: 256 << 10, FwdCnt: 77}
	var b [VsockHdrSize]byte
	h.Encode(b[:])
	if got := DecodeVsockHdr(b[:]); got != h {
		t.Errorf("decoded %+v, want %+v", got, h)
	}
	if b[30] != VsockOpRW || b[16] != 0 || b[19] != 0x40 {
		t.Errorf("wrong byte layout: % x", b)
	}
}
