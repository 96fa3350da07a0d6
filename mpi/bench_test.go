package mpi

import "testing"

// BenchmarkPingPong reports an empty message's round trip between ranks 0
// and 1 (ns/op is one round trip).
func BenchmarkPingPong(b *testing.B) {
	n := b.N
	RunRanks(2, func(c *Comm) {
		buf := make([]byte, 0)
		peer := 1 - c.Rank()
		for i := 0; i < n; i++ {
			if c.Rank() == 0 {
				c.Send(buf, peer, 0)
				c.Recv(buf, peer, 0)
			} else {
				c.Recv(buf, peer, 0)
				c.Send(buf, peer, 0)
			}
		}
	})
}

// BenchmarkBarrier reports a two-rank barrier.
func BenchmarkBarrier(b *testing.B) {
	n := b.N
	RunRanks(2, func(c *Comm) {
		for i := 0; i < n; i++ {
			c.Barrier()
		}
	})
}
