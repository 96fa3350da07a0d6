package mpi

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/gotoro/gotoro/bus"
)

// Wildcards for Recv.
const (
	AnySource = -1
	AnyTag    = -1
	MaxTag    = 1<<30 - 1 // user tags are 0..MaxTag
)

// Header flags.
const (
	flagColl = 1 << iota // a collective's message; tag = kind<<16 | round
	flagErr              // the sender failed; no data
)

const headerSize = 8

// Comm is one rank's view of the ranks of a Run. Its methods must be
// called from the rank's own goroutine.
type Comm struct {
	rank, size int
	ep         *bus.Endpoint
	eager      int         // largest message an exchange may send first
	held       [][]message // messages set aside, per source
	nheld      int         // messages in held
	hdr        [headerSize]byte
	scratch    [2][]byte
}

// message is one set-aside message.
type message struct {
	tag   int32
	flags uint32
	data  []byte
}

// Status describes a received message.
type Status struct {
	Source int
	Tag    int
	Count  int // bytes
}

func newComm(rank int, b *bus.Bus) *Comm {
	return &Comm{rank: rank, size: b.Size(), ep: b.Endpoint(rank), eager: b.Capacity() / 2, held: make([][]message, b.Size())}
}

// Rank returns the caller's rank.
func (c *Comm) Rank() int { return c.rank }

// Size returns the number of ranks.
func (c *Comm) Size() int { return c.size }

func (c *Comm) checkRank(r int, what string) error {
	if r < 0 || r >= c.size {
		return fmt.Errorf("mpi: %s %d of %d: %w", what, r, c.size, ErrRank)
	}
	return nil
}

// Send sends buf to rank dst with tag, waiting while dst's ring is full.
func (c *Comm) Send(buf []byte, dst, tag int) error {
	if err := c.checkRank(dst, "send to"); err != nil {
		return err
	}
	if tag < 0 || tag > MaxTag {
		return fmt.Errorf("mpi: send tag %d: %w", tag, ErrTag)
	}
	return c.send(dst, int32(tag), 0, buf)
}

// send sends one message; a message to oneself is set aside at once.
func (c *Comm) send(dst int, tag int32, flags uint32, buf []byte) error {
	if dst == c.rank {
		c.hold(dst, message{tag, flags, append([]byte(nil), buf...)})
		return nil
	}
	var h [headerSize]byte
	binary.LittleEndian.PutUint32(h[:], uint32(tag))
	binary.LittleEndian.PutUint32(h[4:], flags)
	if err := c.ep.SendToV(dst, h[:], buf); err != nil {
		return fmt.Errorf("mpi: send to %d: %w", dst, err)
	}
	return nil
}

// Recv receives a message from src (or AnySource) with tag (or AnyTag)
// into buf. A message larger than buf is ErrTruncate and stays queued.
func (c *Comm) Recv(buf []byte, src, tag int) (Status, error) {
	if src != AnySource {
		if err := c.checkRank(src, "receive from"); err != nil {
			return Status{}, err
		}
	}
	if tag != AnyTag && (tag < 0 || tag > MaxTag) {
		return Status{}, fmt.Errorf("mpi: receive tag %d: %w", tag, ErrTag)
	}
	st, _, err := c.recv(buf, src, int32(tag), 0, false)
	return st, err
}

// matches reports whether a message's tag and flags match a receive.
func matches(tag int32, flags uint32, wantTag int32, wantColl uint32) bool {
	if flags&flagColl != wantColl {
		return false
	}
	return tag == wantTag || (wantTag == AnyTag && wantColl == 0)
}

// recv receives the first message from src matching tag and coll. If the
// message is larger than buf it is left queued, or with drain, received
// and dropped; either way the error is ErrTruncate.
func (c *Comm) recv(buf []byte, src int, tag int32, coll uint32, drain bool) (Status, uint32, error) {
	if c.nheld > 0 {
		if st, flags, ok, err := c.takeHeld(buf, src, tag, coll, drain); ok {
			return st, flags, err
		}
	}
	if src == c.rank || c.size == 1 {
		return Status{}, 0, fmt.Errorf("mpi: rank %d receives from %d, and nothing is queued: %w", c.rank, src, ErrDeadlock)
	}
	for {
		s := src
		if s == AnySource {
			s = c.ep.WaitAny()
		}
		// Receive straight into buf: it is the right message almost
		// always. One for another receive is copied aside; one too long
		// for buf stays queued, and its header decides.
		n, err := c.ep.RecvFromV(s, c.hdr[:], buf)
		if err == nil {
			mtag, mflags := c.header()
			count := n - headerSize
			if matches(mtag, mflags, tag, coll) {
				return Status{Source: s, Tag: int(mtag), Count: count}, mflags, nil
			}
			c.hold(s, message{mtag, mflags, append([]byte(nil), buf[:count]...)})
			continue
		}
		if !errors.Is(err, bus.ErrShortBuffer) {
			return Status{}, 0, fmt.Errorf("mpi: receive from %d: %w", s, err)
		}
		size, _, err := c.ep.Peek(s, c.hdr[:])
		if err != nil {
			return Status{}, 0, fmt.Errorf("mpi: receive from %d: %w", s, err)
		}
		mtag, mflags := c.header()
		count := size - headerSize
		if !matches(mtag, mflags, tag, coll) {
			data := make([]byte, count)
			if _, err := c.ep.RecvFromV(s, c.hdr[:], data); err != nil {
				return Status{}, 0, fmt.Errorf("mpi: receive from %d: %w", s, err)
			}
			c.hold(s, message{mtag, mflags, data})
			continue
		}
		st := Status{Source: s, Tag: int(mtag), Count: count}
		err = fmt.Errorf("mpi: %d bytes from %d, buffer %d: %w", count, s, len(buf), ErrTruncate)
		if drain {
			c.ep.RecvFromV(s, c.hdr[:], make([]byte, count))
		}
		return st, mflags, err
	}
}

// header decodes the message header in c.hdr.
func (c *Comm) header() (tag int32, flags uint32) {
	return int32(binary.LittleEndian.Uint32(c.hdr[:])), binary.LittleEndian.Uint32(c.hdr[4:])
}

// hold sets a message aside for a later receive.
func (c *Comm) hold(src int, m message) {
	c.held[src] = append(c.held[src], m)
	c.nheld++
}

// takeHeld receives from the set-aside messages, if one matches.
func (c *Comm) takeHeld(buf []byte, src int, tag int32, coll uint32, drain bool) (Status, uint32, bool, error) {
	for s := range c.held {
		if src != AnySource && s != src {
			continue
		}
		for i, m := range c.held[s] {
			if !matches(m.tag, m.flags, tag, coll) {
				continue
			}
			st := Status{Source: s, Tag: int(m.tag), Count: len(m.data)}
			var err error
			if len(m.data) > len(buf) {
				err = fmt.Errorf("mpi: %d bytes from %d, buffer %d: %w", len(m.data), s, len(buf), ErrTruncate)
				if !drain {
					return st, m.flags, true, err
				}
			}
			copy(buf, m.data)
			c.held[s] = append(c.held[s][:i], c.held[s][i+1:]...)
			c.nheld--
			return st, m.flags, true, err
		}
	}
	return Status{}, 0, false, nil
}

// isTruncate reports whether err is ErrTruncate.
func isTruncate(err error) bool { return errors.Is(err, ErrTruncate) }
