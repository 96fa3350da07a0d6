package bus

import (
	"encoding/binary"
	"sync/atomic"

	"github.com/gotoro/gotoro"
	"github.com/gotoro/gotoro/internal/virtio"
)

// descsFor returns how many slots n bytes occupy (at least one).
func (r *ring) descsFor(n int) uint32 {
	if n == 0 {
		return 1
	}
	return uint32((n + r.l.slotSize - 1) / r.l.slotSize)
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
// available ring. If total >= 0 the chain starts a message: its first
// slot begins with the frame header holding total.
func (r *ring) publish(k uint32, g *gather, total int) {
	head := r.p.head
	for j := uint32(0); j < k; j++ {
		i := (head + j) & r.mask
		a := r.slotAddr(i)
		s := r.mem[a : a+r.l.slotSize]
		n := 0
		if j == 0 && total >= 0 {
			binary.LittleEndian.PutUint64(s, uint64(total))
			n = frameHeader
		}
		n += g.fill(s[n:])
		d := r.desc(i)
		d.Addr = uint64(a)
		d.Len = uint32(n)
		if j+1 < k {
			d.Flags, d.Next = virtio.DescNext, uint16((i+1)&r.mask)
		} else {
			d.Flags, d.Next = 0, 0
		}
	}
	r.p.chainLen[head] = k
	*r.availEntry(r.p.availIdx) = uint16(head)
	r.p.availIdx++
	// The release: everything above happens before the receiver's load.
	atomic.StoreUint32(r.availHdr, uint32(r.p.availIdx)<<16|virtio.AvailNoInterrupt)
	r.p.head = (head + k) & r.mask
	r.p.free -= k
	gotoro.Wake(r.dstCore)
}

// trySend publishes the whole message if the free descriptors hold it.
func (r *ring) trySend(hdr, body []byte) bool {
	total := len(hdr) + len(body)
	need := r.descsFor(total + frameHeader)
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
		left := g.left()
		if first {
			left += frameHeader
		}
		need := r.descsFor(left)
		// Wait for half the ring (or all that is left) so that the
		// receiver drains one half while the sender fills the other.
		want := min(need, max(1, entries/2))
		if r.p.free < want {
			r.reclaim()
			if r.p.free < want {
				r.waitFree(want, w)
			}
		}
		t := -1
		if first {
			t = total
		}
		r.publish(min(need, r.p.free), &g, t)
	}
}

// waitFree waits until want descriptors are free.
func (r *ring) waitFree(want uint32, w *waiter) {
	ready := func() bool {
		r.reclaim()
		return r.p.free >= want
	}
	if w.spinFor(ready) {
		return
	}
	// Ask for a notification: clear AvailNoInterrupt. The receiver
	// checks it after every return of descriptors.
	atomic.StoreUint32(r.availHdr, uint32(r.p.availIdx)<<16)
	w.halt(ready)
}
