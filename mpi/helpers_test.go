package mpi

import (
	"fmt"
	"testing"
)

// rankCounts is every rank count the tests run: more ranks than this
// machine's cores share cores.
var rankCounts = []int{1, 2, 3, 4, 5, 6, 7, 8}

// sizes are the message sizes every operation is tried with.
var sizes = []int{0, 1, 1020, 1021, 4096, 1 << 20}

// runRanks runs fn on n ranks and fails t with every rank's error.
func runRanks(t *testing.T, n int, fn func(c *Comm) error) {
	t.Helper()
	errs := make([]error, n)
	if err := RunRanks(n, func(c *Comm) { errs[c.Rank()] = fn(c) }); err != nil {
		t.Fatal(err)
	}
	for r, err := range errs {
		if err != nil {
			t.Errorf("%d ranks, rank %d: %v", n, r, err)
		}
	}
}

// pattern returns n bytes that depend on seed and position.
func pattern(seed, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(seed*131 + i*7 + i>>9)
	}
	return b
}

// equal reports the first difference of two byte slices.
func equal(got, want []byte) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d bytes, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			return fmt.Errorf("byte %d is %d, want %d", i, got[i], want[i])
		}
	}
	return nil
}
