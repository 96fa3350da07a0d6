package bus

import (
	"encoding/binary"
	"testing"

	"github.com/gotoro/gotoro/internal/virtio"
)

func TestLayoutAlignsParts(t *testing.T) {
	for _, n := range []int{2, 16, 256} {
		l := newLayout(n, 128)
		for name, off := range map[string]int{"avail": l.avail, "used": l.used, "slots": l.slots} {
			if off%cacheLine != 0 {
				t.Errorf("%d entries: %s at %d, not on a cache line", n, name, off)
			}
		}
		if l.avail < virtio.DescTableSize(n) || l.used < l.avail+virtio.AvailRingSize(n) || l.slots < l.used+virtio.UsedRingSize(n) {
			t.Errorf("%d entries: parts overlap: %+v", n, l)
		}
	}
}

// TestRingBytesAreVirtio reads a ring's memory as a virtio device would
// after one chain has been published and returned.
func TestRingBytesAreVirtio(t *testing.T) {
	b := newBus(t, 2, Options{Entries: 4, SlotSize: 64})
	msg := pattern(3, 100) // 56 + 44 bytes: two slots, one chain
	if ok, err := b.Endpoint(0).TrySendTo(1, msg); !ok || err != nil {
		t.Fatal(ok, err)
	}
	r := b.Endpoint(0).out[1]
	le := binary.LittleEndian
	avail := r.mem[r.l.avail:]
	if flags, idx, head := le.Uint16(avail), le.Uint16(avail[2:]), le.Uint16(avail[4:]); flags != virtio.AvailNoInterrupt || idx != 1 || head != 0 {
		t.Fatalf("avail ring: flags %d idx %d ring[0] %d", flags, idx, head)
	}
	d0 := r.mem[r.l.desc:]
	d1 := r.mem[r.l.desc+virtio.DescSize:]
	if a, n, f, next := le.Uint64(d0), le.Uint32(d0[8:]), le.Uint16(d0[12:]), le.Uint16(d0[14:]); a != uint64(r.l.slots) || n != 64 || f != virtio.DescNext || next != 1 {
		t.Fatalf("desc[0] = addr %d len %d flags %d next %d", a, n, f, next)
	}
	if a, n, f := le.Uint64(d1), le.Uint32(d1[8:]), le.Uint16(d1[12:]); a != uint64(r.l.slots+64) || n != slotHeader+44 || f != 0 {
		t.Fatalf("desc[1] = addr %d len %d flags %d", a, n, f)
	}
	if size, seq, next := le.Uint32(r.mem[r.l.slots:]), le.Uint32(r.mem[r.l.slots+4:]), le.Uint64(r.mem[r.l.slots+64:]); size != 100 || seq != 1 || next != 0 {
		t.Fatalf("slot headers: size %d seq %d, second slot %#x", size, seq, next)
	}
	buf := make([]byte, 100)
	if _, ok, err := b.Endpoint(1).TryRecvFrom(0, buf); !ok || err != nil {
		t.Fatal(ok, err)
	}
	used := r.mem[r.l.used:]
	if flags, idx, id := le.Uint16(used), le.Uint16(used[2:]), le.Uint32(used[4:]); flags != virtio.UsedNoNotify || idx != 1 || id != 0 {
		t.Fatalf("used ring: flags %d idx %d ring[0].id %d", flags, idx, id)
	}
}
