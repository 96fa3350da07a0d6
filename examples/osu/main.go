// Command osu runs OSU-style MPI micro-benchmarks on gotoro's mpi package:
//
//	osu [-hosted] [-ranks N] [-iters N] [-max BYTES] latency|barrier|bcast|reduce|allreduce|pingpong
//
// The method is the OSU micro-benchmarks': warm-up iterations, then timed
// ones; latency is half the round trip between ranks 0 and 1; a collective
// is timed per call, with an untimed barrier between calls, and averaged
// over the ranks; barrier times a loop of barriers. pingpong is not MPI:
// it is the raw cache-line ping-pong between two pinned threads, the floor
// the others compare with. Results are tables: '#' header lines, then
// "size  avg-latency-us" rows.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/gotoro/gotoro"
	"github.com/gotoro/gotoro/mpi"
)

// params are the command-line settings every benchmark reads.
type params struct {
	iters   int // timed iterations for small messages (0: default)
	maxSize int // largest message size
}

var benchmarks = map[string]func(c *mpi.Comm, p params) error{
	"latency":   latency,
	"barrier":   barrier,
	"bcast":     bcast,
	"reduce":    reduce,
	"allreduce": allreduce,
}

func main() {
	hosted := flag.Bool("hosted", false, "insist on running hosted (refuse to run in a gotoro guest)")
	ranks := flag.Int("ranks", gotoro.Cores(), "number of ranks (hosted, ranks beyond the cores share them)")
	iters := flag.Int("iters", 0, "timed iterations for small messages (default 10000, 1000 in a guest)")
	maxSize := flag.Int("max", 1<<20, "largest message size in bytes")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: osu [-hosted] [-ranks N] [-iters N] [-max BYTES] latency|barrier|bcast|reduce|allreduce|pingpong\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if *hosted && inGuest {
		fmt.Fprintln(os.Stderr, "osu: -hosted, but this is a gotoro guest")
		os.Exit(2)
	}
	p := params{iters: *iters, maxSize: *maxSize}
	if p.iters <= 0 {
		p.iters = 10000
		if inGuest {
			p.iters = 1000
		}
	}
	name := flag.Arg(0)
	if name == "pingpong" {
		if err := pingpong(p); err != nil {
			fmt.Fprintln(os.Stderr, "osu:", err)
			os.Exit(1)
		}
		return
	}
	bench, ok := benchmarks[name]
	if !ok {
		flag.Usage()
		os.Exit(2)
	}
	failed := false
	err := mpi.RunRanks(*ranks, func(c *mpi.Comm) {
		if err := bench(c, p); err != nil {
			fmt.Fprintf(os.Stderr, "osu %s: rank %d: %v\n", name, c.Rank(), err)
			failed = true
		}
	})
	if err != nil || failed {
		if err != nil {
			fmt.Fprintln(os.Stderr, "osu:", err)
		}
		os.Exit(1)
	}
}

// header prints the table's '#' lines.
func header(title string, c *mpi.Comm) {
	mode := "hosted"
	if inGuest {
		mode = "guest"
	}
	fmt.Printf("# OSU MPI %s Test (gotoro)\n", title)
	fmt.Printf("# %s, %d ranks on %d cores\n", mode, c.Size(), gotoro.Cores())
	fmt.Printf("# %-10s %15s\n", "size", "avg-latency-us")
}

// row prints one table row.
func row(size int, us float64) { fmt.Printf("%-12d %15.3f\n", size, us) }

// sizes returns from, 2·from, 4·from … up to max (and 0 first if from is 0).
func sizes(from, max int) []int {
	var s []int
	if from == 0 {
		s = append(s, 0)
		from = 1
	}
	for n := from; n <= max; n *= 2 {
		s = append(s, n)
	}
	return s
}

// iterations follows OSU: fewer iterations and warm-ups for large sizes.
func iterations(p params, size int) (iters, warmup int) {
	iters = p.iters
	if size > 8192 {
		iters = max(1, p.iters/10)
	}
	return iters, max(1, iters/10)
}
