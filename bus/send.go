package bus

import (
	"sync/atomic"

	"github.com/gotoro/gotoro"
	"github.com/gotoro/gotoro/internal/virtio"
)

// descsFor returns how many slots n payload bytes occupy (at least one).
func (r *ring) descsFor(n int) uint32 {
	if n <= r.payload {
		return 1
	}
	return uint32((n + r.payload - 1) / r.payload)
}

// reclaim takes back the descriptors of chains the receiver returned.
func (r *ring) reclaim() {
	u := r.loadUsed()
	for r.p.usedSeen != u {
		e := r.usedEntry(r.p.usedSeen)
		r.p.free += r.p.chainLen[e.ID&r.mask]
		r.p.usedSeen++
	}
}

// publish fills k free descriptors from g and makes them one chain in the
// available ring. If total >= 0 the chain starts a message of total bytes:
// its first slot's header word, stored last, gets the length and the
// sequence number.
func (r *ring) publish(k uint32, g *gather, total int) {
	h := r.p.head
	for j := uint32(0); j < k; j++ {
		i := (h + j) & r.mask
		if j > 0 || total < 0 {
			atomic.StoreUint64(r.header(i), 0)
		}
		n := slotHeader + g.fill(r.slot(i)[slotHeader:])
		d := r.desc(i)
		d.Addr = uint64(r.slotAddr(i))
		d.Len = uint32(n)
		if j+1 < k {
			d.Flags, d.Next = virtio.DescNext, uint16((i+1)&r.mask)
		} else {
			d.Flags, d.Next = 0, 0
		}
	}
	r.p.chainLen[h] = k
	*r.availEntry(r.p.availIdx) = uint16(h)
	r.p.availIdx++
	// The releases: everything above happens before the receiver's
	// loads of these words. The header word goes last: a receiver that
	// sees it also sees the available index count the chain, which its
	// wait for a long message's later chains relies on.
	atomic.StoreUint32(r.availHdr, uint32(r.p.availIdx)<<16|virtio.AvailNoInterrupt)
	if total >= 0 {
		r.p.seq = nextSeq(r.p.seq)
		atomic.StoreUint64(r.header(h), headerWord(total, r.p.seq))
	}
	r.p.head = (h + k) & r.mask
	r.p.free -= k
	gotoro.Wake(r.dstCore)
}

// trySend publishes the whole message if the free descriptors hold it.
func (r *ring) trySend(hdr, body []byte) bool {
	total := len(hdr) + len(body)
	need := r.descsFor(total)
	if r.p.free < need {
		r.reclaim()
		if r.p.free < need {
			return false
		}
	}
	g := gather{hdr, body}
	r.publish(need, &g, total)
	return true
}

// send publishes the message, in several chains if it is longer than the
// free descriptors, waiting for the receiver to return descriptors.
func (r *ring) send(hdr, body []byte, w *waiter) {
	if r.trySend(hdr, body) {
		return
	}
	g := gather{hdr, body}
	total := g.left()
	entries := uint32(r.l.entries)
	for first := true; first || g.left() > 0; first = false {
		need := r.descsFor(g.left())
		// Wait for half the ring (or all that is left) so that the
		// receiver drains one half while the sender fills the other.
		want := min(need, max(1, entries/2))
		if r.p.free < want {
			r.reclaim()
			if r.p.free < want {
				w.wait(func() bool {
					r.reclaim()
					return r.p.free >= want
				})
			}
		}
		t := -1
		if first {
			t = total
		}
		r.publish(min(need, r.p.free), &g, t)
	}
}
