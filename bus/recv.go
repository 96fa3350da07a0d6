package bus

import (
	"sync/atomic"

	"github.com/gotoro/gotoro"
	"github.com/gotoro/gotoro/internal/virtio"
)

// take copies the chain that starts at c.next into s, returns it to the
// sender and reports the payload bytes copied. A message's first chain
// of one slot needs no descriptor read: its header says it all.
func (r *ring) take(s *scatter, single bool) int {
	h := r.c.next
	if single {
		n := s.fill(r.slot(h)[slotHeader : slotHeader+r.size()])
		r.release(h, (h+1)&r.mask)
		return n
	}
	n := 0
	i := h
	for {
		d := r.desc(i)
		n += s.fill(r.buffer(d)[slotHeader:])
		if d.Flags&virtio.DescNext == 0 {
			break
		}
		i = uint32(d.Next) & r.mask
	}
	r.release(h, (i+1)&r.mask)
	return n
}

// release puts chain h into the used ring, notes where the next chain
// starts, and wakes the sender's core in case it waits for descriptors.
func (r *ring) release(h, next uint32) {
	e := r.usedEntry(r.c.availSeen)
	e.ID, e.Len = h, 0
	r.c.availSeen++
	r.c.next = next
	atomic.StoreUint32(r.usedHdr, uint32(r.c.availSeen)<<16|virtio.UsedNoNotify)
	gotoro.Wake(r.srcCore)
}

// recv receives the message that has arrived (arrived() is true) into
// hdr then body. A message longer than both is left queued.
func (r *ring) recv(hdr, body []byte, w *waiter) (int, error) {
	total := r.size()
	if total > len(hdr)+len(body) {
		return 0, &ShortBufferError{Size: total, Have: len(hdr) + len(body)}
	}
	r.c.seq = nextSeq(r.c.seq)
	s := scatter{hdr, body}
	got := r.take(&s, total <= r.payload)
	for got < total {
		// The rest is on its way: the sender is inside send and
		// publishes more chains as descriptors come back.
		w.wait(r.pending)
		got += r.take(&s, false)
	}
	return total, nil
}

// peek copies the first bytes of the message that has arrived (at most
// one slot's worth) without taking it, and returns its length.
func (r *ring) peek(p []byte) (size, n int) {
	total := r.size()
	return total, copy(p, r.slot(r.c.next)[slotHeader:slotHeader+min(total, r.payload)])
}
