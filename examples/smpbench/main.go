// Command smpbench measures gotoro's multi-core paths. It runs in a gotoro
// guest and, for comparison, as a plain Linux process (hosted); `gotoro
// bench smp` runs both and prints the ratios.
//
//	smpbench coreid   cost of gotoro.CoreID versus asking the local APIC
//	smpbench speedup  a CPU-bound job on one core versus split over two
//	smpbench wake     cross-core thread wake-up latency (futex ping-pong)
//	smpbench files    two threads reading their own files: parallel / sequential
//	smpbench writes   two threads writing their own files: parallel / sequential
//	smpbench faults   two threads faulting in their own fresh memory: parallel / sequential
//	smpbench pipes    two threads each using its own pipe: parallel / sequential;
//	                  a byte handed back and forth through pipes across cores
//	smpbench sockets  the pipes pairs over loopback TCP connections and
//	                  over unix stream socketpairs
//	smpbench eventfd  two threads each adding to and reading its own
//	                  eventfd: parallel / sequential
//	smpbench http     loopback HTTP requests per second, all cores / one core
//	smpbench sleep S  sleep S seconds (host CPU use of an idle guest)
//
// Results are printed as "name value unit" lines, one per measurement.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"
)

func main() {
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: smpbench coreid|speedup|wake|files|writes|faults|pipes|sockets|eventfd|http|sleep SECONDS")
	}
	flag.Parse()
	if flag.NArg() < 1 {
		flag.Usage()
		os.Exit(2)
	}
	var err error
	switch flag.Arg(0) {
	case "coreid":
		err = benchCoreID()
	case "speedup":
		err = benchSpeedup()
	case "wake":
		err = benchWake()
	case "files":
		err = benchFiles()
	case "writes":
		err = benchWrites()
	case "faults":
		err = benchFaults()
	case "pipes":
		err = benchPipes()
	case "sockets":
		err = benchSockets()
	case "eventfd":
		err = benchEventfd()
	case "http":
		err = benchHTTP()
	case "sleep":
		var s float64
		if s, err = strconv.ParseFloat(flag.Arg(1), 64); err == nil {
			time.Sleep(time.Duration(s * float64(time.Second)))
			fmt.Println("slept", s, "s")
		}
	default:
		err = fmt.Errorf("unknown benchmark %q", flag.Arg(0))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "smpbench:", err)
		os.Exit(1)
	}
}

// report prints one measurement.
func report(name string, v float64, unit string) {
	fmt.Printf("%s %.3f %s\n", name, v, unit)
}
