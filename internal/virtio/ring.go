package virtio

// Desc is one entry of a split virtqueue's descriptor table (spec 2.7.5),
// little-endian in memory.
type Desc struct {
	Addr  uint64 // guest-physical address of the buffer
	Len   uint32
	Flags uint16
	Next  uint16 // next descriptor of the chain when Flags has DescNext
}

// Descriptor flags.
const (
	DescNext     = 1 // the chain continues at Next
	DescWrite    = 2 // the device writes the buffer (otherwise it reads it)
	DescIndirect = 4 // the buffer is a table of Desc
)

// Ring flags: the available ring's flags word and the used ring's.
const (
	AvailNoInterrupt = 1 // driver → device: do not interrupt on used buffers
	UsedNoNotify     = 1 // device → driver: do not notify on new buffers
)

// UsedElem is one entry of the used ring: the head of a chain the device
// finished and how many bytes it wrote into it.
type UsedElem struct {
	ID  uint32
	Len uint32
}

// Sizes of the three parts of a split virtqueue of n entries, and the
// alignments the spec requires of their addresses (spec 2.7). The avail
// ring is flags, idx, ring[n], used_event; the used ring is flags, idx,
// ring[n] of UsedElem, avail_event.
const (
	DescAlign  = 16
	AvailAlign = 2
	UsedAlign  = 4
	DescSize   = 16
)

// DescTableSize returns the bytes of a descriptor table of n entries.
func DescTableSize(n int) int { return DescSize * n }

// AvailRingSize returns the bytes of an available ring of n entries,
// used_event included.
func AvailRingSize(n int) int { return 6 + 2*n }

// UsedRingSize returns the bytes of a used ring of n entries, avail_event
// included.
func UsedRingSize(n int) int { return 6 + 8*n }

// Offsets inside the rings.
const (
	RingFlags = 0 // uint16
	RingIdx   = 2 // uint16
	RingStart = 4 // first entry
)
