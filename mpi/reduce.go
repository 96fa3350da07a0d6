package mpi

import (
	"fmt"
	"unsafe"
)

// Reduce combines every rank's send element-wise with op into root's
// recv (len(recv) == len(send) at root; other ranks' recv is unused),
// along a binomial tree: ⌈log2 size⌉ steps.
func Reduce[T Number](c *Comm, send, recv []T, op Op, root int) error {
	if err := c.checkRank(root, "reduce root"); err != nil {
		return err
	}
	k := c.coll(kindReduce)
	if !op.valid() {
		k.fail(fmt.Errorf("mpi: reduce with %v: %w", op, ErrOp))
	}
	if c.rank == root && len(recv) != len(send) {
		k.fail(fmt.Errorf("mpi: reduce of %d elements into %d: %w", len(send), len(recv), ErrSize))
	}
	acc := recv
	if c.rank != root || k.err != nil {
		acc = view[T](c.scratchBytes(0, len(Bytes(send))), len(send))
	}
	reduceTree(k, send, acc, op, root)
	return k.err
}

// reduceTree leaves the reduction of every rank's send in root's acc.
func reduceTree[T Number](k *coll, send, acc []T, op Op, root int) {
	c := k.c
	copy(acc, send)
	tmp := view[T](c.scratchBytes(1, len(Bytes(acc))), len(acc))
	rel := (c.rank - root + c.size) % c.size
	for mask, round := 1, 0; mask < c.size; mask, round = mask<<1, round+1 {
		if rel&mask != 0 {
			k.send((rel-mask+root)%c.size, round, Bytes(acc))
			return
		}
		if rel+mask < c.size && k.recv((rel+mask+root)%c.size, round, Bytes(tmp)) {
			combine(op, acc, tmp)
		}
	}
}

// Allreduce combines every rank's send element-wise with op into every
// rank's recv (len(recv) == len(send)). With a power-of-two number of
// ranks and a message that fits the rings, it is recursive doubling
// (log2 size exchanges); otherwise a Reduce to rank 0 and a Bcast.
func Allreduce[T Number](c *Comm, send, recv []T, op Op) error {
	k := c.coll(kindAllreduce)
	if !op.valid() {
		k.fail(fmt.Errorf("mpi: allreduce with %v: %w", op, ErrOp))
	}
	if len(recv) != len(send) {
		k.fail(fmt.Errorf("mpi: allreduce of %d elements into %d: %w", len(send), len(recv), ErrSize))
		recv = make([]T, len(send))
	}
	bytes := len(send) * int(unsafe.Sizeof(*new(T)))
	if c.size&(c.size-1) == 0 && bytes+headerSize <= c.eager {
		copy(recv, send)
		tmp := view[T](c.scratchBytes(1, bytes), len(send))
		for mask, round := 1, 0; mask < c.size; mask, round = mask<<1, round+1 {
			p := c.rank ^ mask
			// Both sides send first: the message fits in the ring.
			k.send(p, round, Bytes(recv))
			if k.recv(p, round, Bytes(tmp)) {
				combine(op, recv, tmp)
			}
		}
		return k.err
	}
	reduceTree(k, send, recv, op, 0)
	k.kind = kindBcast
	k.bcast(Bytes(recv), 0)
	return k.err
}
