// Command netexit writes to a connection from another machine and returns
// from main at once: nothing it wrote may be lost.
//
//	netexit N close     accepts one connection on :8097, writes N bytes
//	                    (byte i is i*7 mod 251), closes it and exits
//	netexit N noclose   the same without closing: the exit closes it
//	netexit stuck       accepts one connection, writes until a write
//	                    has blocked for 2 s (the peer never reads) and
//	                    exits with the data still unsent
package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

func fail(format string, args ...any) {
	fmt.Printf("FAIL: "+format+"\n", args...)
	os.Exit(1)
}

// pattern returns n bytes the host can check.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7 % 251)
	}
	return b
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: netexit N close|noclose | stuck")
	}
	l, err := net.Listen("tcp", ":8097")
	if err != nil {
		fail("listen: %v", err)
	}
	fmt.Println("netexit listening")
	c, err := l.Accept()
	if err != nil {
		fail("accept: %v", err)
	}
	if os.Args[1] == "stuck" {
		c.SetWriteDeadline(time.Now().Add(2 * time.Second))
		buf := make([]byte, 1<<20)
		total := 0
		for {
			n, err := c.Write(buf)
			total += n
			if err != nil {
				fmt.Printf("netexit stuck after %d bytes: %v\n", total, err)
				return
			}
		}
	}
	n, err := strconv.Atoi(os.Args[1])
	if err != nil || len(os.Args) < 3 {
		fail("usage: netexit N close|noclose | stuck")
	}
	if _, err := c.Write(pattern(n)); err != nil {
		fail("write: %v", err)
	}
	if os.Args[2] == "close" {
		if err := c.Close(); err != nil {
			fail("close: %v", err)
		}
	}
}
