package mpi

import "fmt"

// Bcast copies root's buf into every rank's buf along a binomial tree:
// ⌈log2 size⌉ steps. Every rank must pass a buffer of the same length.
func (c *Comm) Bcast(buf []byte, root int) error {
	if err := c.checkRank(root, "bcast root"); err != nil {
		return err
	}
	k := c.coll(kindBcast)
	k.bcast(buf, root)
	return k.err
}

// bcast is Bcast inside a collective that may already have failed.
func (k *coll) bcast(buf []byte, root int) {
	c := k.c
	rel := (c.rank - root + c.size) % c.size
	mask := 1
	for ; mask < c.size; mask <<= 1 {
		if rel&mask != 0 {
			k.recv((rel-mask+root)%c.size, 0, buf)
			break
		}
	}
	for mask >>= 1; mask > 0; mask >>= 1 {
		if rel+mask < c.size {
			k.send((rel+mask+root)%c.size, 0, buf)
		}
	}
}

// Gather collects every rank's send, in rank order, into root's recv,
// which must hold Size()*len(send) bytes; other ranks' recv is unused.
func (c *Comm) Gather(send, recv []byte, root int) error {
	if err := c.checkRank(root, "gather root"); err != nil {
		return err
	}
	k := c.coll(kindGather)
	if c.rank != root {
		k.send(root, 0, send)
		return k.err
	}
	m := len(send)
	if len(recv) != c.size*m {
		k.fail(fmt.Errorf("mpi: gather of %d bytes from %d ranks into %d: %w", m, c.size, len(recv), ErrSize))
		recv = make([]byte, c.size*m)
	}
	for r := 0; r < c.size; r++ {
		if r == root {
			copy(recv[r*m:], send)
			continue
		}
		k.recv(r, 0, recv[r*m:(r+1)*m])
	}
	return k.err
}

// Scatter sends the r-th len(recv)-byte piece of root's send to rank r;
// root's send must hold Size()*len(recv) bytes.
func (c *Comm) Scatter(send, recv []byte, root int) error {
	if err := c.checkRank(root, "scatter root"); err != nil {
		return err
	}
	k := c.coll(kindScatter)
	if c.rank != root {
		k.recv(root, 0, recv)
		return k.err
	}
	m := len(recv)
	if len(send) != c.size*m {
		k.fail(fmt.Errorf("mpi: scatter of %d bytes to %d ranks of %d: %w", len(send), c.size, m, ErrSize))
	}
	for r := 0; r < c.size; r++ {
		switch {
		case r == root && k.err == nil:
			copy(recv, send[r*m:])
		case r != root && k.err == nil:
			k.send(r, 0, send[r*m:(r+1)*m])
		case r != root:
			k.send(r, 0, nil)
		}
	}
	return k.err
}
