package mpi

import (
	"errors"
	"fmt"
	"testing"
)

func TestSendRecvAroundTheRing(t *testing.T) {
	for _, n := range rankCounts {
		runRanks(t, n, func(c *Comm) error {
			next, prev := (c.Rank()+1)%n, (c.Rank()+n-1)%n
			buf := make([]byte, 1<<20)
			for i, size := range sizes {
				msg := pattern(c.Rank()*10+i, size)
				// Rank 0 starts the token, the others pass it on: a safe
				// order for messages larger than the rings.
				if c.Rank() == 0 {
					if err := c.Send(msg, next, i); err != nil {
						return err
					}
				}
				st, err := c.Recv(buf, prev, i)
				if err != nil {
					return err
				}
				if st.Source != prev || st.Tag != i || st.Count != size {
					return fmt.Errorf("status %+v, want source %d tag %d count %d", st, prev, i, size)
				}
				if err := equal(buf[:st.Count], pattern(prev*10+i, size)); err != nil {
					return fmt.Errorf("size %d from %d: %v", size, prev, err)
				}
				if c.Rank() != 0 {
					if err := c.Send(msg, next, i); err != nil {
						return err
					}
				}
			}
			return nil
		})
	}
}

func TestTagsMatchOutOfOrder(t *testing.T) {
	for _, n := range []int{1, 2, 4} {
		runRanks(t, n, func(c *Comm) error {
			dst := (c.Rank() + 1) % n
			src := (c.Rank() + n - 1) % n
			for tag := 5; tag >= 1; tag-- {
				if err := c.Send(pattern(tag, tag*300), dst, tag); err != nil {
					return err
				}
			}
			buf := make([]byte, 2000)
			for tag := 1; tag <= 5; tag++ {
				st, err := c.Recv(buf, src, tag)
				if err != nil {
					return err
				}
				if err := equal(buf[:st.Count], pattern(tag, tag*300)); err != nil {
					return fmt.Errorf("tag %d: %v", tag, err)
				}
			}
			return nil
		})
	}
}

func TestAnySourceAnyTag(t *testing.T) {
	for _, n := range rankCounts {
		runRanks(t, n, func(c *Comm) error {
			if c.Rank() != 0 {
				return c.Send(pattern(c.Rank(), 1021), 0, 100+c.Rank())
			}
			seen := map[int]bool{}
			buf := make([]byte, 1021)
			for i := 1; i < n; i++ {
				st, err := c.Recv(buf, AnySource, AnyTag)
				if err != nil {
					return err
				}
				if seen[st.Source] || st.Tag != 100+st.Source {
					return fmt.Errorf("status %+v (seen before: %v)", st, seen[st.Source])
				}
				seen[st.Source] = true
				if err := equal(buf[:st.Count], pattern(st.Source, 1021)); err != nil {
					return err
				}
			}
			return nil
		})
	}
}

func TestTruncatedReceiveKeepsMessage(t *testing.T) {
	for _, n := range []int{1, 2} {
		runRanks(t, n, func(c *Comm) error {
			peer := (c.Rank() + 1) % n
			if c.Rank() == 0 {
				if err := c.Send(pattern(9, 4096), peer, 7); err != nil {
					return err
				}
			}
			if c.Rank() != peer && n > 1 {
				return nil
			}
			_, err := c.Recv(make([]byte, 4095), 0, 7)
			if !errors.Is(err, ErrTruncate) {
				return fmt.Errorf("short receive: %v, want ErrTruncate", err)
			}
			buf := make([]byte, 4096)
			st, err := c.Recv(buf, 0, 7)
			if err != nil {
				return err
			}
			return equal(buf[:st.Count], pattern(9, 4096))
		})
	}
}

func TestPointToPointErrors(t *testing.T) {
	runRanks(t, 2, func(c *Comm) error {
		cases := []struct {
			name string
			err  error
			want error
		}{
			{"send to 2", c.Send(nil, 2, 0), ErrRank},
			{"send to -1", c.Send(nil, -1, 0), ErrRank},
			{"send tag -1", c.Send(nil, 0, -1), ErrTag},
			{"send tag MaxTag+1", c.Send(nil, 0, MaxTag+1), ErrTag},
			{"recv from 5", second(c.Recv(nil, 5, 0)), ErrRank},
			{"recv tag -2", second(c.Recv(nil, 0, -2)), ErrTag},
			{"recv from self, nothing sent", second(c.Recv(nil, c.Rank(), 0)), ErrDeadlock},
		}
		for _, k := range cases {
			if !errors.Is(k.err, k.want) {
				return fmt.Errorf("%s: %v, want %v", k.name, k.err, k.want)
			}
		}
		return nil
	})
	if err := RunRanks(0, func(*Comm) {}); !errors.Is(err, ErrRank) {
		t.Errorf("RunRanks(0): %v", err)
	}
}

func second[A any](_ A, err error) error { return err }
