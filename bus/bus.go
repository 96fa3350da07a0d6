package bus

import (
	"fmt"

	"github.com/gotoro/gotoro"
)

// Options shape the rings of a Bus. Zero fields take the defaults.
type Options struct {
	// Entries is the number of descriptors (and slots) per ring, a power
	// of two. Default 16: the available ring then fits in one cache line.
	Entries int
	// SlotSize is the bytes of each descriptor's buffer, a multiple of 64.
	// Default 4096. Each slot holds SlotSize-8 bytes of a message.
	SlotSize int
	// Spin is how many times a waiting endpoint polls before it halts
	// through gotoro.PollWait. Default 4096, or 16 when endpoints
	// outnumber cores (a spinning thread would then hold the core its
	// peer needs).
	Spin int
}

// Default geometry: 16 entries of 4 KiB, 64 KiB of slots per ring.
const (
	DefaultEntries  = 16
	DefaultSlotSize = 4096
)

// MaxMessage is the largest message the bus carries.
const MaxMessage = 1<<32 - 1

// Bus is n endpoints and the n×(n-1) rings between them.
type Bus struct {
	eps []*Endpoint
	o   Options
}

// New makes a bus of n endpoints; endpoint i is served by core
// i % gotoro.Cores().
func New(n int, o Options) (*Bus, error) {
	if n < 1 {
		return nil, fmt.Errorf("bus: %d endpoints: %w", n, ErrRange)
	}
	if o.Entries == 0 {
		o.Entries = DefaultEntries
	}
	if o.SlotSize == 0 {
		o.SlotSize = DefaultSlotSize
	}
	if o.Spin <= 0 {
		o.Spin = 4096
		if n > gotoro.Cores() {
			o.Spin = 16
		}
	}
	if err := checkOptions(o); err != nil {
		return nil, err
	}
	core := func(i int) int { return i % gotoro.Cores() }
	b := &Bus{eps: make([]*Endpoint, n), o: o}
	for i := range b.eps {
		b.eps[i] = &Endpoint{
			b: b, id: i,
			out: make([]*ring, n), in: make([]*ring, n),
			w: waiter{spin: o.Spin, core: core(i)},
		}
	}
	for s := 0; s < n; s++ {
		for d := 0; d < n; d++ {
			if s != d {
				r := newRing(o, core(s), core(d))
				b.eps[s].out[d] = r
				b.eps[d].in[s] = r
			}
		}
	}
	return b, nil
}

// Size returns the number of endpoints.
func (b *Bus) Size() int { return len(b.eps) }

// Endpoint returns endpoint i, or nil if i is out of range.
func (b *Bus) Endpoint(i int) *Endpoint {
	if i < 0 || i >= len(b.eps) {
		return nil
	}
	return b.eps[i]
}

// Options returns the bus's geometry, defaults filled in.
func (b *Bus) Options() Options { return b.o }

// Capacity returns the largest message that fits in an empty ring at
// once, which TrySendTo can send.
func (b *Bus) Capacity() int { return b.o.Entries * (b.o.SlotSize - slotHeader) }
