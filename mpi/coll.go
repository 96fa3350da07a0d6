package mpi

import (
	"fmt"
	"unsafe"
)

// Collective kinds, the high half of a collective message's tag.
const (
	kindBarrier = iota + 1
	kindBcast
	kindReduce
	kindAllreduce
	kindGather
	kindScatter
)

// coll runs one collective on one rank. Once it has an error it keeps
// taking part in every exchange — error-flagged empty messages instead of
// data, received messages dropped — so that no rank waits forever.
type coll struct {
	c    *Comm
	kind int32
	err  error
}

func (c *Comm) coll(kind int32) *coll { return &coll{c: c, kind: kind} }

// fail records the first error.
func (k *coll) fail(err error) {
	if k.err == nil {
		k.err = err
	}
}

func (k *coll) tag(round int) int32 { return k.kind<<16 | int32(round) }

// send sends data to dst, or an error flag if the collective has failed.
func (k *coll) send(dst, round int, data []byte) {
	flags := uint32(flagColl)
	if k.err != nil {
		flags |= flagErr
		data = nil
	}
	if err := k.c.send(dst, k.tag(round), flags, data); err != nil {
		k.fail(err)
	}
}

// recv receives exactly len(buf) bytes from src; anything else fails the
// collective. It reports whether buf holds good data.
func (k *coll) recv(src, round int, buf []byte) bool {
	if k.err != nil {
		buf = nil
	}
	st, flags, err := k.c.recv(buf, src, k.tag(round), flagColl, true)
	switch {
	case isTruncate(err):
		k.fail(fmt.Errorf("mpi: %d bytes from rank %d, expected %d: %w", st.Count, src, len(buf), ErrSize))
	case err != nil:
		k.fail(err)
	case flags&flagErr != 0:
		k.fail(fmt.Errorf("mpi: rank %d: %w", src, ErrPeer))
	case st.Count != len(buf):
		k.fail(fmt.Errorf("mpi: %d bytes from rank %d, expected %d: %w", st.Count, src, len(buf), ErrSize))
	}
	return k.err == nil
}

// scratchBytes returns the comm's i-th scratch buffer of at least n bytes.
func (c *Comm) scratchBytes(i, n int) []byte {
	if cap(c.scratch[i]) < n {
		// Whole cache lines: aligned for any element type.
		c.scratch[i] = make([]byte, (n+63)&^63)
	}
	return c.scratch[i][:n]
}

// Scalar is an element type whose slices travel as their bytes.
type Scalar interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 |
		~int | ~uint | ~float32 | ~float64
}

// Bytes views s as bytes, without copying, for Send, Bcast, Gather and
// Scatter. Ranks share one machine, so byte order is the same everywhere.
func Bytes[T Scalar](s []T) []byte {
	if len(s) == 0 {
		return []byte{}
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(s[0])))
}

// view is Bytes' inverse: n elements of T over b's storage.
func view[T Scalar](b []byte, n int) []T {
	if n == 0 {
		return []T{}
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), n)
}
