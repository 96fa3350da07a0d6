package vhostuser

import (
	"encoding/binary"
	"fmt"
	"syscall"

	"github.com/gotoro/gotoro/internal/virtio"
)

// maybeStart starts the device once every queue is complete and enabled.
func (s *session) maybeStart() {
	if s.started || s.mem == nil {
		return
	}
	for i := range s.rings {
		r := &s.rings[i]
		if r.num == 0 || !r.haveAddr || !r.haveKick || r.kick < 0 || r.disabled {
			return
		}
	}
	queues := make([]*Queue, len(s.rings))
	for i := range s.rings {
		q, err := s.newQueue(i)
		if err != nil {
			// The frontend set up something unusable: leave the device
			// stopped, as a real device would mark itself broken.
			for _, q := range queues[:i] {
				s.releaseQueue(q)
			}
			return
		}
		queues[i] = q
	}
	for i, q := range queues {
		s.rings[i].queue = q
	}
	s.started = true
	s.dev.Start(queues)
}

// newQueue makes the Queue of ring i and starts its kick reader.
func (s *session) newQueue(i int) (*Queue, error) {
	r := &s.rings[i]
	n := int(r.num)
	part := func(uva uint64, size int, align uint64) ([]byte, error) {
		gpa, err := s.mem.guestAddr(uva)
		if err != nil {
			return nil, err
		}
		if gpa%align != 0 {
			return nil, fmt.Errorf("queue %d: ring at %#x is not %d-aligned", i, gpa, align)
		}
		return s.mem.Slice(gpa, uint32(size))
	}
	desc, err := part(r.desc, virtio.DescTableSize(n), virtio.DescAlign)
	if err != nil {
		return nil, err
	}
	avail, err := part(r.avail, virtio.AvailRingSize(n), virtio.AvailAlign)
	if err != nil {
		return nil, err
	}
	used, err := part(r.used, virtio.UsedRingSize(n), virtio.UsedAlign)
	if err != nil {
		return nil, err
	}
	q := &Queue{
		index: i, num: r.num, desc: desc, avail: avail, used: used, mem: s.mem,
		lastAvail: r.base,
		usedIdx:   binary.LittleEndian.Uint16(used[virtio.RingIdx:]),
		kicked:    make(chan struct{}, 1),
	}
	if r.call >= 0 {
		fd, err := syscall.Dup(r.call)
		if err != nil {
			return nil, fmt.Errorf("queue %d: %w", i, err)
		}
		q.call = eventFile(fd, "vhost-user call")
	}
	kfd, err := syscall.Dup(r.kick)
	if err != nil {
		if q.call != nil {
			q.call.Close()
		}
		return nil, fmt.Errorf("queue %d: %w", i, err)
	}
	r.kickFile = eventFile(kfd, "vhost-user kick")
	r.kickDone = make(chan struct{})
	go readKicks(r.kickFile, q.kicked, r.kickDone)
	return q, nil
}

// readKicks turns reads of a kick eventfd into sends on kicked until the
// file is closed.
func readKicks(f interface{ Read([]byte) (int, error) }, kicked chan<- struct{}, done chan<- struct{}) {
	defer close(done)
	var b [8]byte
	for {
		if _, err := f.Read(b[:]); err != nil {
			return
		}
		select {
		case kicked <- struct{}{}:
		default:
		}
	}
}

// releaseQueue stops q's kick reader and closes its descriptors.
func (s *session) releaseQueue(q *Queue) {
	r := &s.rings[q.index]
	if r.kickFile != nil {
		r.kickFile.Close()
		<-r.kickDone
		r.kickFile = nil
	}
	if q.call != nil {
		q.call.Close()
	}
	r.base = q.lastAvail
	r.queue = nil
}

// stop stops the device if it runs, keeping each queue's position.
func (s *session) stop() {
	if !s.started {
		return
	}
	s.dev.Stop()
	for i := range s.rings {
		if q := s.rings[i].queue; q != nil {
			s.releaseQueue(q)
		}
	}
	s.started = false
}
