package mpi

// Barrier returns once every rank has called it. It is the dissemination
// barrier: in round k rank r signals r+2^k and waits for r-2^k (mod size),
// ⌈log2 size⌉ rounds of empty messages.
func (c *Comm) Barrier() error {
	k := c.coll(kindBarrier)
	for round, dist := 0, 1; dist < c.size; round, dist = round+1, dist*2 {
		k.send((c.rank+dist)%c.size, round, nil)
		k.recv((c.rank-dist+c.size)%c.size, round, nil)
	}
	return k.err
}
