package main

import "github.com/gotoro/gotoro/mpi"

// barrier is osu_barrier: a timed loop of barriers after a warm-up, the
// average per call averaged over the ranks.
func barrier(c *mpi.Comm, p params) error {
	if c.Rank() == 0 {
		header("Barrier Latency", c)
	}
	iters, warmup := iterations(p, 0)
	for i := 0; i < warmup; i++ {
		if err := c.Barrier(); err != nil {
			return err
		}
	}
	t0 := mpi.Wtime()
	for i := 0; i < iters; i++ {
		if err := c.Barrier(); err != nil {
			return err
		}
	}
	return report(c, 0, (mpi.Wtime()-t0)*1e6/float64(iters))
}

// report averages a per-rank latency over the ranks and prints the row.
func report(c *mpi.Comm, size int, us float64) error {
	sum := []float64{0}
	if err := mpi.Reduce(c, []float64{us}, sum, mpi.Sum, 0); err != nil {
		return err
	}
	if c.Rank() == 0 {
		row(size, sum[0]/float64(c.Size()))
	}
	return nil
}

// timeEach is the OSU loop for a collective: op timed per call, an
// untimed barrier after each, warm-ups first; it reports the average.
func timeEach(c *mpi.Comm, p params, size int, op func() error) error {
	iters, warmup := iterations(p, size)
	if err := c.Barrier(); err != nil {
		return err
	}
	var total float64
	for i := 0; i < warmup+iters; i++ {
		t0 := mpi.Wtime()
		if err := op(); err != nil {
			return err
		}
		if i >= warmup {
			total += mpi.Wtime() - t0
		}
		if err := c.Barrier(); err != nil {
			return err
		}
	}
	return report(c, size, total*1e6/float64(iters))
}

// bcast is osu_bcast: root 0, 1 byte to max.
func bcast(c *mpi.Comm, p params) error {
	if c.Rank() == 0 {
		header("Broadcast Latency", c)
	}
	buf := make([]byte, p.maxSize)
	for _, size := range sizes(1, p.maxSize) {
		if err := timeEach(c, p, size, func() error { return c.Bcast(buf[:size], 0) }); err != nil {
			return err
		}
	}
	return nil
}

// reduce is osu_reduce: float32 sums to root 0, 4 bytes to max.
func reduce(c *mpi.Comm, p params) error {
	return reduction(c, p, "Reduce Latency", func(send, recv []float32) error {
		return mpi.Reduce(c, send, recv, mpi.Sum, 0)
	})
}

// allreduce is osu_allreduce: float32 sums, 4 bytes to max.
func allreduce(c *mpi.Comm, p params) error {
	return reduction(c, p, "Allreduce Latency", func(send, recv []float32) error {
		return mpi.Allreduce(c, send, recv, mpi.Sum)
	})
}

// reduction times op on float32 vectors of 4 bytes to max.
func reduction(c *mpi.Comm, p params, title string, op func(send, recv []float32) error) error {
	if c.Rank() == 0 {
		header(title, c)
	}
	send := make([]float32, p.maxSize/4)
	recv := make([]float32, p.maxSize/4)
	for _, size := range sizes(4, p.maxSize) {
		n := size / 4
		if err := timeEach(c, p, size, func() error { return op(send[:n], recv[:n]) }); err != nil {
			return err
		}
	}
	return nil
}
