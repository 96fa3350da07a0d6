// Command snapmem checks that a run started from a snapshot has memory of
// its own: its package initialization fills a buffer with one byte; main
// checks the buffer still holds it (no other run's writes), fills it with
// a byte of its own (from crypto/rand, fresh in every run), waits while
// other runs do the same, and checks the buffer holds its byte only.
// TestSnapshotPrivateMemory runs two of it from one snapshot at once.
package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"time"
)

const initByte = 0x5a

var buf = func() []byte {
	b := make([]byte, 4<<20)
	for i := range b {
		b[i] = initByte
	}
	return b
}()

// check reports the first byte of buf that is not want.
func check(want byte) error {
	for i, c := range buf {
		if c != want {
			return fmt.Errorf("byte %d is %#x, want %#x", i, c, want)
		}
	}
	return nil
}

func main() {
	if err := check(initByte); err != nil {
		fmt.Println("memory changed before main:", err)
		os.Exit(1)
	}
	var own [1]byte
	for own[0] == 0 || own[0] == initByte {
		rand.Read(own[:])
	}
	for i := range buf {
		buf[i] = own[0]
	}
	time.Sleep(2 * time.Second)
	if err := check(own[0]); err != nil {
		fmt.Println("memory changed by another run:", err)
		os.Exit(1)
	}
	fmt.Printf("memory own %#x\n", own[0])
}
