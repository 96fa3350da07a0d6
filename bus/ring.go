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
	payload  int            // bytes of data per slot: slotSize - slotHeader
	slots    unsafe.Pointer // first slot, for the receiver's poll
	availHdr *uint32        // flags (low 16 bits) | idx << 16, as virtio lays them out
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
	seq      uint32   // sequence number of the last message started
	chainLen []uint32 // descriptors in the chain headed by each index
}

// consumer is the receiver's private state.
type consumer struct {
	availSeen uint16 // chains taken (and returned: the used index)
	next      uint32 // descriptor that heads the next chain
	seq       uint32 // sequence number of the last message taken
}

// nextSeq returns the sequence number after s; 0 never is one.
func nextSeq(s uint32) uint32 {
	if s == ^uint32(0) {
		return 1
	}
	return s + 1
}

func newRing(o Options, srcCore, dstCore int) *ring {
	l := newLayout(o.Entries, o.SlotSize)
	r := &ring{mem: allocBlock(l.size), l: l, mask: uint32(o.Entries - 1), payload: o.SlotSize - slotHeader, srcCore: srcCore, dstCore: dstCore}
	r.slots = unsafe.Pointer(&r.mem[l.slots])
	r.availHdr = (*uint32)(unsafe.Pointer(&r.mem[l.avail]))
	r.usedHdr = (*uint32)(unsafe.Pointer(&r.mem[l.used]))
	r.p.free = uint32(o.Entries)
	r.p.chainLen = make([]uint32, o.Entries)
	// No virtio notifications either way: the polling hint replaces them.
	atomic.StoreUint32(r.availHdr, virtio.AvailNoInterrupt)
	atomic.StoreUint32(r.usedHdr, virtio.UsedNoNotify)
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

// slot returns descriptor i's whole buffer.
func (r *ring) slot(i uint32) []byte {
	a := r.slotAddr(i)
	return r.mem[a : a+r.l.slotSize : a+r.l.slotSize]
}

// header returns the header word of slot i (i < entries).
func (r *ring) header(i uint32) *uint64 {
	return (*uint64)(unsafe.Add(r.slots, uintptr(i)*uintptr(r.l.slotSize)))
}

// headerWord makes a first slot's header word.
func headerWord(size int, seq uint32) uint64 { return uint64(seq)<<32 | uint64(uint32(size)) }

// buffer returns the bytes a published descriptor points at.
func (r *ring) buffer(d *virtio.Desc) []byte {
	return r.mem[d.Addr : d.Addr+uint64(d.Len)]
}

// loadAvail loads the published chain count (receiver side).
func (r *ring) loadAvail() uint16 { return uint16(atomic.LoadUint32(r.availHdr) >> 16) }

// loadUsed loads the returned chain count (sender side).
func (r *ring) loadUsed() uint16 { return uint16(atomic.LoadUint32(r.usedHdr) >> 16) }

// arrived reports whether the next message has started to arrive: its
// first slot's header holds the next sequence number. The sender stores
// it last, after the slots, the descriptors and the available index.
func (r *ring) arrived() bool {
	return uint32(atomic.LoadUint64(r.header(r.c.next))>>32) == nextSeq(r.c.seq)
}

// size returns the length of the message that has arrived.
func (r *ring) size() int { return int(uint32(atomic.LoadUint64(r.header(r.c.next)))) }

// pending reports whether a chain is published and not yet taken: how
// the rest of a message longer than one chain is awaited.
func (r *ring) pending() bool { return r.loadAvail() != r.c.availSeen }
