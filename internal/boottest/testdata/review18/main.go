// Command review18 attacks madvise(MADV_REMOVE), st_blocks of tmpfs
// files, the RWF_* flags of preadv2/pwritev2 and truncate(2) of
// /proc/self/fd/N names through golang.org/x/sys/unix, with the inputs a
// hostile user would try: mixed and partly mapped ranges, sealed
// memfds, reads of holes, KEEP_SIZE pages under truncates, bad flag
// bits, descriptors of each kind. Usage:
//
//	review18 DIR
//
// DIR is a writable tmpfs directory. Each check names the result it saw,
// so the guest's lines must equal the ones Linux, the oracle, prints.
// The end prints "review18 ok" if no check failed, else exits 1.
package main

import (
	"fmt"
	"github.com/gotoro/gotoro/internal/guestcheck"
	"os"
)

const page = 4096

func main() {
	guestcheck.KeepGoing()
	if len(os.Args) < 2 {
		fmt.Println("usage: review18 DIR")
		os.Exit(2)
	}
	testRemoveMixed(os.Args[1])
	testBlocks(os.Args[1])
	testRWF(os.Args[1])
	testTruncateProc(os.Args[1])
	guestcheck.Done("review18 ok")
}

// see prints a check named by what the call returned (compared with
// Linux's line).
func see(name string, err error) {
	r := "ok"
	if err != nil {
		r = "error " + err.Error()
	}
	guestcheck.Check(name+": "+r, true, "")
}
