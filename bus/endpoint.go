package bus

import "fmt"

// Endpoint is one party of a Bus: the sending side of its n-1 outgoing
// rings and the receiving side of its n-1 incoming ones.
type Endpoint struct {
	b    *Bus
	id   int
	out  []*ring // out[d]: rings to d
	in   []*ring // in[s]: rings from s
	w    waiter
	next int // where RecvAny starts looking, for fairness
}

// ID returns the endpoint's number.
func (e *Endpoint) ID() int { return e.id }

func (e *Endpoint) outRing(dst int, size int) (*ring, error) {
	if dst < 0 || dst >= len(e.out) {
		return nil, fmt.Errorf("bus: send from %d to %d of %d: %w", e.id, dst, len(e.out), ErrRange)
	}
	if dst == e.id {
		return nil, fmt.Errorf("bus: send from %d to itself: %w", e.id, ErrSelf)
	}
	if size > MaxMessage {
		return nil, fmt.Errorf("bus: send of %d bytes: %w", size, ErrTooLarge)
	}
	return e.out[dst], nil
}

func (e *Endpoint) inRing(src int) (*ring, error) {
	if src < 0 || src >= len(e.in) {
		return nil, fmt.Errorf("bus: receive at %d from %d of %d: %w", e.id, src, len(e.in), ErrRange)
	}
	if src == e.id {
		return nil, fmt.Errorf("bus: receive at %d from itself: %w", e.id, ErrSelf)
	}
	return e.in[src], nil
}

// SendTo sends msg to endpoint dst, waiting while dst's ring from us is
// full. Messages of any size arrive whole; a long one streams through
// the ring while dst receives it.
func (e *Endpoint) SendTo(dst int, msg []byte) error { return e.SendToV(dst, nil, msg) }

// SendToV is SendTo of the concatenation of hdr and body, without copying
// them together first.
func (e *Endpoint) SendToV(dst int, hdr, body []byte) error {
	r, err := e.outRing(dst, len(hdr)+len(body))
	if err != nil {
		return err
	}
	r.send(hdr, body, &e.w)
	return nil
}

// TrySendTo sends msg if the ring to dst has room for all of it now, and
// reports whether it did. A message larger than Bus.Capacity never fits:
// that is ErrTooLarge.
func (e *Endpoint) TrySendTo(dst int, msg []byte) (bool, error) {
	return e.TrySendToV(dst, nil, msg)
}

// TrySendToV is TrySendTo of the concatenation of hdr and body.
func (e *Endpoint) TrySendToV(dst int, hdr, body []byte) (bool, error) {
	size := len(hdr) + len(body)
	r, err := e.outRing(dst, size)
	if err != nil {
		return false, err
	}
	if size > e.b.Capacity() {
		return false, fmt.Errorf("bus: try-send of %d bytes, ring capacity %d: %w", size, e.b.Capacity(), ErrTooLarge)
	}
	return r.trySend(hdr, body), nil
}

// RecvFrom receives the oldest message from src into buf, waiting for
// one, and returns its length. If buf is too small the error is a
// *ShortBufferError and the message stays queued.
func (e *Endpoint) RecvFrom(src int, buf []byte) (int, error) { return e.RecvFromV(src, nil, buf) }

// RecvFromV is RecvFrom into hdr, then body.
func (e *Endpoint) RecvFromV(src int, hdr, body []byte) (int, error) {
	r, err := e.inRing(src)
	if err != nil {
		return 0, err
	}
	e.awaitMessage(r)
	return r.recv(hdr, body, &e.w)
}

// TryRecvFrom receives the oldest message from src if one has arrived and
// reports whether it did. Once a message has started to arrive it is
// received whole: for one longer than the ring, TryRecvFrom waits for the
// rest, which its sender is already sending.
func (e *Endpoint) TryRecvFrom(src int, buf []byte) (n int, ok bool, err error) {
	r, err := e.inRing(src)
	if err != nil || !r.arrived() {
		return 0, false, err
	}
	n, err = r.recv(nil, buf, &e.w)
	return n, err == nil, err
}

// Probe reports the length of the oldest message from src, if one has
// arrived, without receiving it.
func (e *Endpoint) Probe(src int) (size int, ok bool, err error) {
	r, err := e.inRing(src)
	if err != nil || !r.arrived() {
		return 0, false, err
	}
	size = r.size()
	return size, true, nil
}

// Peek waits for a message from src, copies its first bytes into p
// without receiving it, and returns the message's length and how many
// bytes it copied (at most the first slot's worth).
func (e *Endpoint) Peek(src int, p []byte) (size, n int, err error) {
	r, err := e.inRing(src)
	if err != nil {
		return 0, 0, err
	}
	e.awaitMessage(r)
	size, n = r.peek(p)
	return size, n, nil
}

// awaitMessage waits until a message from r has arrived. It is the
// receive fast path: the spin loop is the doorbell load, a compare and
// PAUSE, with nothing called indirectly.
func (e *Endpoint) awaitMessage(r *ring) {
	for i := 0; i < e.w.spin; i++ {
		if r.arrived() {
			return
		}
		pause()
	}
	e.w.halt(r.arrived)
}

// WaitAny waits until a message from any endpoint has arrived and returns
// its sender. Senders are served in turn.
func (e *Endpoint) WaitAny() int {
	src := -1
	n := len(e.in)
	ready := func() bool {
		for k := 0; k < n; k++ {
			s := (e.next + k) % n
			if r := e.in[s]; r != nil && r.arrived() {
				src = s
				return true
			}
		}
		return false
	}
	if n > 1 {
		e.w.wait(ready)
		e.next = (src + 1) % n
	}
	return src
}

// RecvAny receives the oldest message of whichever sender has one, and
// returns the sender and the length. With a single endpoint there is no
// sender and it returns ErrSelf.
func (e *Endpoint) RecvAny(buf []byte) (src, n int, err error) {
	src = e.WaitAny()
	if src < 0 {
		return -1, 0, fmt.Errorf("bus: receive-from-any on a bus of one: %w", ErrSelf)
	}
	n, err = e.in[src].recv(nil, buf, &e.w)
	return src, n, err
}
