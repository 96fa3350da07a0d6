package main

import (
	"encoding/binary"
	"fmt"
	"syscall"
)

// Eventfd benchmark: each of two threads owns an eventfd and adds 1 to it
// then reads it back, efdRounds times (the counter never blocks):
// parallel on cores 0 and 1 against one thread using both in turn, as
// the pipes pairs.
const efdRounds = 20000

func benchEventfd() error {
	var fds [2]int
	for i := range fds {
		fd, _, e := syscall.RawSyscall(syscall.SYS_EVENTFD2, 0, syscall.O_CLOEXEC, 0)
		if e != 0 {
			return fmt.Errorf("eventfd2: %w", e)
		}
		defer syscall.Close(int(fd))
		fds[i] = int(fd)
	}
	bs, bp, err := seqPar(func(i int) error { return countUp(fds[i]) })
	if err != nil {
		return err
	}
	reportSeqPar("eventfd", bs, bp, 2*2*efdRounds)
	return nil
}

// countUp adds 1 to eventfd fd and reads it back, efdRounds times.
func countUp(fd int) error {
	var b [8]byte
	for r := 0; r < efdRounds; r++ {
		binary.LittleEndian.PutUint64(b[:], 1)
		if n, err := syscall.Write(fd, b[:]); n != 8 || err != nil {
			return fmt.Errorf("eventfd write: %d bytes, %v", n, err)
		}
		if n, err := syscall.Read(fd, b[:]); n != 8 || err != nil || binary.LittleEndian.Uint64(b[:]) != 1 {
			return fmt.Errorf("eventfd read: %d bytes, %v, value %d", n, err, binary.LittleEndian.Uint64(b[:]))
		}
	}
	return nil
}
