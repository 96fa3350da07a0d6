package main

import (
	"fmt"

	"github.com/gotoro/gotoro/mpi"
)

// latency is osu_latency: ranks 0 and 1 bounce a message; latency is half
// the round trip. Other ranks wait.
func latency(c *mpi.Comm, p params) error {
	if c.Size() < 2 {
		return fmt.Errorf("latency needs 2 ranks, have %d", c.Size())
	}
	if c.Rank() == 0 {
		header("Latency", c)
	}
	buf := make([]byte, p.maxSize)
	for _, size := range sizes(0, p.maxSize) {
		iters, warmup := iterations(p, size)
		msg := buf[:size]
		if err := c.Barrier(); err != nil {
			return err
		}
		var t0 float64
		for i := 0; i < warmup+iters; i++ {
			if i == warmup {
				t0 = mpi.Wtime()
			}
			var err error
			switch c.Rank() {
			case 0:
				if err = c.Send(msg, 1, 1); err == nil {
					_, err = c.Recv(msg, 1, 1)
				}
			case 1:
				if _, err = c.Recv(msg, 0, 1); err == nil {
					err = c.Send(msg, 0, 1)
				}
			}
			if err != nil {
				return err
			}
		}
		if c.Rank() == 0 {
			row(size, (mpi.Wtime()-t0)*1e6/float64(2*iters))
		}
	}
	return nil
}
