package bus

import (
	"fmt"
	"unsafe"

	"github.com/gotoro/gotoro/internal/virtio"
)

// cacheLine is the alignment of every part a different side writes.
const cacheLine = 64

// slotHeader is the size of the header word at the start of every slot:
// in a message's first slot the message length (low 32 bits) and the
// message's sequence number (high 32 bits), zero in the others. The
// sender stores it last, with one atomic store; it is the receiver's
// doorbell. Zero elsewhere keeps stale payload from looking like one.
const slotHeader = 8

// layout is where the parts of one ring live inside its memory block. A
// descriptor's Addr is the offset of its slot from the start of the block:
// the block is the "physical memory" both sides see.
type layout struct {
	entries  int // descriptors; a power of two
	slotSize int
	desc     int // descriptor table
	avail    int // available ring: flags|idx word, ring[entries], used_event
	used     int // used ring: flags|idx word, ring[entries], avail_event
	slots    int // first slot
	size     int // whole block
}

func alignUp(x, a int) int { return (x + a - 1) &^ (a - 1) }

// newLayout places a ring of entries descriptors and slotSize-byte slots.
// Each part starts on its own cache line so that the sender's writes
// (descriptors, available ring) and the receiver's (used ring) never share
// one.
func newLayout(entries, slotSize int) layout {
	l := layout{entries: entries, slotSize: slotSize}
	l.desc = 0
	l.avail = alignUp(l.desc+virtio.DescTableSize(entries), cacheLine)
	l.used = alignUp(l.avail+virtio.AvailRingSize(entries), cacheLine)
	l.slots = alignUp(l.used+virtio.UsedRingSize(entries), cacheLine)
	l.size = l.slots + entries*slotSize
	return l
}

// allocBlock returns size zeroed bytes starting on a cache line. The Go
// heap does not move objects, so offsets into the block stay valid.
func allocBlock(size int) []byte {
	raw := make([]byte, size+cacheLine)
	off := int(-uintptr(unsafe.Pointer(&raw[0])) & (cacheLine - 1))
	return raw[off : off+size : off+size]
}

// checkOptions validates ring geometry.
func checkOptions(o Options) error {
	if o.Entries < 2 || o.Entries > 1<<15 || o.Entries&(o.Entries-1) != 0 {
		return fmt.Errorf("bus: Entries %d: want a power of two in [2, 32768]", o.Entries)
	}
	if o.SlotSize < cacheLine || o.SlotSize%cacheLine != 0 || o.SlotSize > 1<<24 {
		return fmt.Errorf("bus: SlotSize %d: want a multiple of %d in [%d, 16 MiB]", o.SlotSize, cacheLine, cacheLine)
	}
	return nil
}
