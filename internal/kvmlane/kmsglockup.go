package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"syscall"
)

// L1 boots with its console at loglevel 3, so a soft-lockup report shows
// only its first line there ("watchdog: BUG: soft lockup - CPU#1 stuck
// for 22s! [qemu-system-x86:473]"); the registers and call trace that
// follow are at the default level and stay in L1's kernel log. The
// runner reads the log (/dev/kmsg) and prints each stuck CPU's first
// report whole on the console, so that the lane's output says where the
// CPU spins (with L1's symbols, modules included).

// lockupReportLines bounds the records forwarded after a soft-lockup line:
// the modules list, the registers and the call trace.
const lockupReportLines = 60

// lockupForwarder picks the records of soft-lockup reports out of L1's
// kernel log, one report per stuck CPU.
type lockupForwarder struct {
	seen map[string]bool // CPUs whose report was forwarded ("CPU#1")
	left int             // records of the current report still to forward
}

// record takes one /dev/kmsg record ("prio,seq,usec,flags;text") and
// returns the text to forward, if any.
func (f *lockupForwarder) record(rec string) (string, bool) {
	_, text, ok := strings.Cut(rec, ";")
	if !ok {
		return "", false
	}
	if _, rest, ok := strings.Cut(text, "soft lockup - "); ok {
		cpu, _, _ := strings.Cut(rest, " ")
		if f.seen == nil {
			f.seen = map[string]bool{}
		}
		if f.seen[cpu] {
			f.left = 0
			return "", false
		}
		f.seen[cpu] = true
		f.left = lockupReportLines
		return text, true
	}
	if f.left == 0 {
		return "", false
	}
	f.left--
	return text, true
}

// forwardLockups reads kmsg records from r until it ends and prints the
// soft-lockup reports among them with print. An EPIPE (records
// overwritten before they were read, as a burst of messages makes) is
// skipped: the log goes on after it.
func forwardLockups(r io.Reader, print func(string)) {
	var f lockupForwarder
	// One read of /dev/kmsg is one record of at most 8 KiB, or an error.
	br := bufio.NewReaderSize(r, 8192)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			if text, ok := f.record(strings.TrimSuffix(line, "\n")); ok {
				print(text)
			}
		}
		if err != nil && !errors.Is(err, syscall.EPIPE) {
			return
		}
	}
}

// watchKmsgLockups follows L1's kernel log from now on (in L1) and prints
// its soft-lockup reports as markInfo lines.
func watchKmsgLockups() {
	f, err := os.Open("/dev/kmsg")
	if err != nil {
		fmt.Printf("%s L1's soft-lockup reports will be cut short: %v\n", markInfo, err)
		return
	}
	// Only what comes after the runner's start.
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		fmt.Printf("%s L1's soft-lockup reports will be cut short: %v\n", markInfo, err)
		f.Close()
		return
	}
	go func() {
		defer f.Close()
		forwardLockups(f, func(s string) {
			fmt.Printf("%sL1 soft lockup| %s\n", markInfo, s)
			// The first line of a CPU's first report (l1kick.go).
			if cpu, ok := lockupCPU(s); ok {
				go func() {
					fmt.Printf("%s kicked L1's other CPUs after CPU#%d's soft lockup, a pinned thread each: %s\n", markInfo, cpu, kickCPUs(runtime.NumCPU(), cpu, kickWait))
				}()
			}
		})
	}()
}

// moduleBases returns where /proc/modules (its text, read as root) says
// the named modules start ("kvm 0xffffffffc0400000 kvm_amd ..."): with
// the module files it places an L1 RIP that a sample or a lockup shows
// (docs/kvm.md, "The faults-case wedges").
func moduleBases(modules string, names ...string) string {
	var out []string
	for _, l := range strings.Split(modules, "\n") {
		f := strings.Fields(l)
		if len(f) >= 6 && slices.Contains(names, f[0]) {
			out = append(out, f[0]+" "+f[5])
		}
	}
	return strings.Join(out, " ")
}
