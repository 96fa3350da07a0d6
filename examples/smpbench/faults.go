package main

import (
	"fmt"
	"syscall"

	"github.com/gotoro/gotoro"
)

// Page-fault benchmark: each of two threads maps its own fresh anonymous
// region and writes one byte per page, so the time is page faults (each
// backs a page) in independent memory. "Sequential" is one thread doing
// both regions in turn; "parallel" is two threads on cores 0 and 1, one
// region each. Faults serialised by a kernel lock give a ratio near 1;
// faults that run in parallel give about half (the native process's ratio
// is the target).
const (
	faultRegion = 16 << 20
	faultPasses = 4
)

func benchFaults() error {
	if gotoro.Cores() < 2 {
		return fmt.Errorf("faults needs at least 2 cores, have %d", gotoro.Cores())
	}
	touch := func(int) error {
		for p := 0; p < faultPasses; p++ {
			b, err := syscall.Mmap(-1, 0, faultRegion, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
			if err != nil {
				return fmt.Errorf("mapping %d MiB: %w", faultRegion>>20, err)
			}
			for i := 0; i < len(b); i += 4096 {
				b[i] = byte(i>>12) | 1
			}
			for i := 0; i < len(b); i += 4096 {
				if b[i] != byte(i>>12)|1 {
					return fmt.Errorf("page %d of a fresh region reads %d after the write", i>>12, b[i])
				}
			}
			if err := syscall.Munmap(b); err != nil {
				return fmt.Errorf("unmapping: %w", err)
			}
		}
		return nil
	}
	bs, bp, err := seqPar(touch)
	if err != nil {
		return err
	}
	faults := float64(2 * faultPasses * faultRegion / 4096)
	report("faults/sequential", float64(bs.Microseconds())/1000, "ms")
	report("faults/parallel", float64(bp.Microseconds())/1000, "ms")
	report("faults/ratio", float64(bp)/float64(bs), "x")
	report("faults/ns-per-fault", float64(bs.Nanoseconds())/faults, "ns")
	return nil
}
