// Command mpi-reduce is MPI_Reduce on gotoro: every rank fills a vector
// with its rank, rank 0 sums the vectors and checks that every element is
// 0+1+…+(size-1). It prints "success! value: <sum>" and exits 0, or
// "failed!" and exits 1.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/gotoro/gotoro"
	"github.com/gotoro/gotoro/mpi"
)

const vectorLen = 64

func main() {
	ranks := flag.Int("ranks", gotoro.Cores(), "number of ranks")
	flag.Parse()
	ok := false
	err := mpi.RunRanks(*ranks, func(c *mpi.Comm) {
		v := make([]int32, vectorLen)
		for i := range v {
			v[i] = int32(c.Rank())
		}
		sum := make([]int32, vectorLen)
		if err := mpi.Reduce(c, v, sum, mpi.Sum, 0); err != nil {
			fmt.Fprintf(os.Stderr, "rank %d: %v\n", c.Rank(), err)
			if c.Rank() == 0 {
				fmt.Println("failed!")
			}
			return
		}
		if c.Rank() != 0 {
			return
		}
		want := int32(c.Size() * (c.Size() - 1) / 2)
		for i, s := range sum {
			if s != want {
				fmt.Printf("failed! element %d is %d, want %d\n", i, s, want)
				return
			}
		}
		fmt.Printf("success! value: %d\n", sum[vectorLen-1])
		ok = true
	})
	if err != nil || !ok {
		if err != nil {
			fmt.Println("failed!", err)
		}
		os.Exit(1)
	}
}
