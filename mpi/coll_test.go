package mpi

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
)

func TestBarrierSeparatesPhases(t *testing.T) {
	for _, n := range rankCounts {
		var arrived atomic.Int64
		runRanks(t, n, func(c *Comm) error {
			for phase := 1; phase <= 20; phase++ {
				arrived.Add(1)
				if err := c.Barrier(); err != nil {
					return err
				}
				if got := arrived.Load(); got < int64(phase*n) {
					return fmt.Errorf("phase %d: left the barrier with %d arrivals, want %d", phase, got, phase*n)
				}
				// A second barrier keeps fast ranks from starting the
				// next phase before everyone has checked this one.
				if err := c.Barrier(); err != nil {
					return err
				}
			}
			return nil
		})
	}
}

func TestBcastEveryRootAndSize(t *testing.T) {
	for _, n := range rankCounts {
		runRanks(t, n, func(c *Comm) error {
			for _, size := range sizes {
				for root := 0; root < n; root++ {
					if size == 1<<20 && root > 1 {
						break
					}
					buf := make([]byte, size)
					if c.Rank() == root {
						copy(buf, pattern(root, size))
					}
					if err := c.Bcast(buf, root); err != nil {
						return err
					}
					if err := equal(buf, pattern(root, size)); err != nil {
						return fmt.Errorf("size %d root %d: %v", size, root, err)
					}
				}
			}
			return nil
		})
	}
}

func TestGatherScatter(t *testing.T) {
	for _, n := range rankCounts {
		runRanks(t, n, func(c *Comm) error {
			for _, size := range []int{0, 1, 1020, 1021, 4096, 1 << 17} {
				for root := 0; root < n; root += 2 {
					recv := make([]byte, n*size)
					if err := c.Gather(pattern(c.Rank(), size), recv, root); err != nil {
						return err
					}
					if c.Rank() == root {
						for r := 0; r < n; r++ {
							if err := equal(recv[r*size:(r+1)*size], pattern(r, size)); err != nil {
								return fmt.Errorf("gather size %d root %d, piece %d: %v", size, root, r, err)
							}
						}
					}
					piece := make([]byte, size)
					if err := c.Scatter(recv, piece, root); err != nil {
						return err
					}
					if err := equal(piece, pattern(c.Rank(), size)); err != nil {
						return fmt.Errorf("scatter size %d root %d: %v", size, root, err)
					}
				}
			}
			return nil
		})
	}
}

// value is rank r's element i: small integers, so that sums and products
// are exact in every type.
func value[T Number](r, i int) T { return T((r+i)%3 + 1) }

// expect is the reduction of value over n ranks.
func expect[T Number](op Op, n, i int) T {
	acc := value[T](0, i)
	for r := 1; r < n; r++ {
		x := []T{value[T](r, i)}
		a := []T{acc}
		combine(op, a, x)
		acc = a[0]
	}
	return acc
}

func testReductions[T Number](t *testing.T) {
	for _, n := range rankCounts {
		runRanks(t, n, func(c *Comm) error {
			for _, elems := range []int{0, 1, 255, 256, 1024, (1 << 20) / 8} {
				send := make([]T, elems)
				for i := range send {
					send[i] = value[T](c.Rank(), i)
				}
				for _, op := range []Op{Sum, Min, Max, Prod} {
					if op == Prod && elems > 1024 {
						continue
					}
					for _, root := range []int{0, n - 1} {
						recv := make([]T, elems)
						if err := Reduce(c, send, recv, op, root); err != nil {
							return err
						}
						if c.Rank() == root {
							if err := check(recv, op, n); err != nil {
								return fmt.Errorf("reduce %v of %d root %d: %v", op, elems, root, err)
							}
						}
					}
					recv := make([]T, elems)
					if err := Allreduce(c, send, recv, op); err != nil {
						return err
					}
					if err := check(recv, op, n); err != nil {
						return fmt.Errorf("allreduce %v of %d: %v", op, elems, err)
					}
				}
			}
			return nil
		})
	}
}

func check[T Number](got []T, op Op, n int) error {
	for i := range got {
		if want := expect[T](op, n, i); got[i] != want {
			return fmt.Errorf("element %d = %v, want %v", i, got[i], want)
		}
	}
	return nil
}

func TestReduceInt32(t *testing.T)   { testReductions[int32](t) }
func TestReduceInt64(t *testing.T)   { testReductions[int64](t) }
func TestReduceFloat32(t *testing.T) { testReductions[float32](t) }
func TestReduceFloat64(t *testing.T) { testReductions[float64](t) }

// TestCollectiveErrors checks that bad arguments on some ranks give every
// rank an error or a correct result, and that no rank hangs.
func TestCollectiveErrors(t *testing.T) {
	cases := []struct {
		name string
		run  func(c *Comm) error
		// want is the error each rank must return (nil: success).
		want func(rank int) error
	}{
		{"bcast root out of range", func(c *Comm) error { return c.Bcast(nil, c.Size()) },
			func(int) error { return ErrRank }},
		{"bcast, rank 1 has a shorter buffer", func(c *Comm) error {
			return c.Bcast(make([]byte, 100-boolInt(c.Rank() == 1)), 0)
		}, func(r int) error { return map[bool]error{true: ErrSize, false: nil}[r == 1] }},
		{"reduce into a short buffer at root", func(c *Comm) error {
			return Reduce(c, make([]int32, 8), make([]int32, 7), Sum, 0)
		}, func(r int) error { return map[bool]error{true: ErrSize, false: nil}[r == 0] }},
		{"allreduce, one rank's buffer differs", func(c *Comm) error {
			n := 8 + boolInt(c.Rank() == 2)
			return Allreduce(c, make([]float64, n), make([]float64, n), Max)
		}, func(int) error { return errAny }},
		{"allreduce with a bad op", func(c *Comm) error {
			return Allreduce(c, []int64{1}, []int64{0}, Op(99))
		}, func(int) error { return ErrOp }},
		{"gather into a wrong-sized buffer", func(c *Comm) error {
			return c.Gather(make([]byte, 10), make([]byte, 10*c.Size()+1), 0)
		}, func(r int) error { return map[bool]error{true: ErrSize, false: nil}[r == 0] }},
		{"scatter from a wrong-sized buffer", func(c *Comm) error {
			return c.Scatter(make([]byte, 3), make([]byte, 10), 0)
		}, func(r int) error { return map[bool]error{true: ErrSize, false: ErrPeer}[r == 0] }},
	}
	for _, k := range cases {
		t.Run(k.name, func(t *testing.T) {
			const n = 6
			errs := make([]error, n)
			RunRanks(n, func(c *Comm) {
				errs[c.Rank()] = k.run(c)
				// The ranks still work together afterwards.
				if err := c.Barrier(); err != nil {
					errs[c.Rank()] = fmt.Errorf("barrier after: %w", err)
				}
			})
			for r, err := range errs {
				want := k.want(r)
				switch {
				case want == errAny && err == nil:
					t.Errorf("rank %d: no error", r)
				case want == nil && err != nil, want != nil && want != errAny && !errors.Is(err, want):
					t.Errorf("rank %d: %v, want %v", r, err, want)
				}
			}
		})
	}
}

var errAny = errors.New("any error")

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestWtime(t *testing.T) {
	if Wtick() <= 0 {
		t.Fatalf("Wtick() = %v", Wtick())
	}
	prev := Wtime()
	for i := 0; i < 1000; i++ {
		now := Wtime()
		if now < prev {
			t.Fatalf("Wtime went back from %v to %v", prev, now)
		}
		prev = now
	}
}
