package bus

import (
	"encoding/binary"
	"sync/atomic"

	"github.com/gotoro/gotoro"
	"github.com/gotoro/gotoro/internal/virtio"
)

// head returns the next message's first descriptor and its length. The
// caller has seen pending() true.
func (r *ring) head() (*virtio.Desc, int) {
	d := r.desc(uint32(*r.availEntry(r.c.availSeen)) & r.mask)
	b := r.buffer(d)
	return d, int(binary.LittleEndian.Uint64(b[:frameHeader]))
}

// take copies the next chain into s, skipping skip bytes of its first
// buffer, returns the chain to the sender and reports the bytes copied.
func (r *ring) take(s *scatter, skip int) int {
	h := uint32(*r.availEntry(r.c.availSeen)) & r.mask
	n := 0
	for i := h; ; {
		d := r.desc(i)
		n += s.fill(r.buffer(d)[skip:])
		skip = 0
		if d.Flags&virtio.DescNext == 0 {
			break
		}
		i = uint32(d.Next) & r.mask
	}
	r.release(h)
	return n
}

// release puts chain h into the used ring and, if the sender asked for a
// notification, wakes it.
func (r *ring) release(h uint32) {
	e := r.usedEntry(r.c.availSeen)
	e.ID, e.Len = h, 0
	r.c.availSeen++
	atomic.StoreUint32(r.usedHdr, uint32(r.c.availSeen)<<16)
	if _, flags := r.loadAvail(); flags&virtio.AvailNoInterrupt == 0 {
		gotoro.Wake(r.srcCore)
	}
}

// recv receives the next message into hdr then body; the caller has seen
// pending() true. A message longer than both is left queued.
func (r *ring) recv(hdr, body []byte, w *waiter) (int, error) {
	_, total := r.head()
	if total > len(hdr)+len(body) {
		return 0, &ShortBufferError{Size: total, Have: len(hdr) + len(body)}
	}
	s := scatter{hdr, body}
	got := r.take(&s, frameHeader)
	for got < total {
		// The rest is on its way: the sender is inside send and
		// publishes more as descriptors come back.
		w.wait(r.pending)
		got += r.take(&s, 0)
	}
	return total, nil
}

// peek copies the first bytes of the next message (at most what its
// first slot holds) without taking it, and returns its length.
func (r *ring) peek(p []byte) (size, n int) {
	d, total := r.head()
	return total, copy(p, r.buffer(d)[frameHeader:])
}
