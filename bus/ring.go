package bus

import (
	"sync/atomic"
	"unsafe"

	"github.com/gotoro/gotoro/internal/virtio"
)

// ring is one single-producer/single-consumer virtqueue from endpoint src
// to endpoint dst. Its shared state is all inside mem; p and c are the
// private bookkeeping of the producer and the consumer, each on its own
// cache lines.
type ring struct {
	mem      []byte
	l        layout
	mask     uint32
	availHdr *uint32 // flags (low 16 bits) | idx << 16, as virtio lays them out
	usedHdr  *uint32
	srcCore  int // core to wake for the sender
	dstCore  int // core to wake for the receiver

	_ [cacheLine]byte
	p producer
	_ [cacheLine]byte
	c consumer
	_ [cacheLine]byte
}

// producer is the sender's private state.
type producer struct {
	availIdx uint16   // chains published
	usedSeen uint16   // used entries already reclaimed
	head     uint32   // next descriptor to fill; descriptors go in ring order
	free     uint32   // descriptors not in flight
	chainLen []uint32 // descriptors in the chain headed by each index
}

// consumer is the receiver's private state.
type consumer struct {
	availSeen uint16 // chains taken (and returned: usedIdx == availSeen)
}

func newRing(o Options, src, dst, srcCore, dstCore int) *ring {
	l := newLayout(o.Entries, o.SlotSize)
	r := &ring{mem: allocBlock(l.size), l: l, mask: uint32(o.Entries - 1), srcCore: srcCore, dstCore: dstCore}
	r.availHdr = (*uint32)(unsafe.Pointer(&r.mem[l.avail]))
	r.usedHdr = (*uint32)(unsafe.Pointer(&r.mem[l.used]))
	r.p.free = uint32(o.Entries)
	r.p.chainLen = make([]uint32, o.Entries)
	atomic.StoreUint32(r.availHdr, virtio.AvailNoInterrupt)
	return r
}

// desc returns descriptor i.
func (r *ring) desc(i uint32) *virtio.Desc {
	return (*virtio.Desc)(unsafe.Pointer(&r.mem[r.l.desc+int(i)*virtio.DescSize]))
}

// availEntry returns the available ring's entry for chain number i.
func (r *ring) availEntry(i uint16) *uint16 {
	return (*uint16)(unsafe.Pointer(&r.mem[r.l.avail+virtio.RingStart+2*int(uint32(i)&r.mask)]))
}

// usedEntry returns the used ring's entry for chain number i.
func (r *ring) usedEntry(i uint16) *virtio.UsedElem {
	return (*virtio.UsedElem)(unsafe.Pointer(&r.mem[r.l.used+virtio.RingStart+8*int(uint32(i)&r.mask)]))
}

// slotAddr is descriptor i's buffer, as an offset into mem.
func (r *ring) slotAddr(i uint32) int { return r.l.slots + int(i)*r.l.slotSize }

// buffer returns the bytes a published descriptor points at.
func (r *ring) buffer(d *virtio.Desc) []byte {
	return r.mem[d.Addr : d.Addr+uint64(d.Len)]
}

// availIdx loads the published chain count (receiver side).
func (r *ring) loadAvail() (idx uint16, flags uint16) {
	w := atomic.LoadUint32(r.availHdr)
	return uint16(w >> 16), uint16(w)
}

// loadUsed loads the returned chain count (sender side).
func (r *ring) loadUsed() uint16 { return uint16(atomic.LoadUint32(r.usedHdr) >> 16) }

// pending reports whether a chain waits for the receiver.
func (r *ring) pending() bool {
	idx, _ := r.loadAvail()
	return idx != r.c.availSeen
}
