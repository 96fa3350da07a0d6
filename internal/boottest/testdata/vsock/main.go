// Command vsock exercises vsock from inside the guest:
//
//	vsock serve PORT N      accept N connections (served concurrently) and echo each
//	vsock dial PORT N PAR   N echo round trips to host port PORT, PAR at a time
//	vsock send PORT MIB     send MIB MiB of pseudo-random data to host port PORT, print its sha256
//	vsock recv PORT         accept one connection, read it to the end, print its length and sha256
package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"

	"github.com/gotoro/gotoro/vsock"
)

func main() {
	if len(os.Args) < 3 {
		fail("usage: vsock serve|dial|send|recv PORT ...")
	}
	port := atoi(os.Args[2])
	switch os.Args[1] {
	case "serve":
		serve(port, atoi(os.Args[3]))
	case "dial":
		dial(port, atoi(os.Args[3]), atoi(os.Args[4]))
	case "send":
		send(port, atoi(os.Args[3]))
	case "recv":
		recv(port)
	default:
		fail("unknown mode " + os.Args[1])
	}
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		fail(err.Error())
	}
	return n
}

func fail(msg string) {
	fmt.Println("FAIL:", msg)
	os.Exit(1)
}

func serve(port, n int) {
	l, err := vsock.Listen(uint32(port))
	if err != nil {
		fail(err.Error())
	}
	fmt.Println("listening on", l.Addr())
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		c, err := l.Accept()
		if err != nil {
			fail(err.Error())
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := io.Copy(c, c); err != nil {
				fail("echo: " + err.Error())
			}
			c.Close()
		}()
	}
	wg.Wait()
	l.Close()
	fmt.Println("served", n)
}

func dial(port, n, par int) {
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			c, err := vsock.Dial(vsock.HostCID, uint32(port))
			if err != nil {
				fail(err.Error())
			}
			msg := bytes.Repeat([]byte(fmt.Sprintf("message %d;", i)), 1+i%300)
			go func() {
				c.Write(msg)
				c.CloseWrite()
			}()
			got, err := io.ReadAll(c)
			if err != nil {
				fail(err.Error())
			}
			if !bytes.Equal(got, msg) {
				fail(fmt.Sprintf("connection %d: echo of %d bytes came back as %d", i, len(msg), len(got)))
			}
			c.Close()
		}(i)
	}
	wg.Wait()
	fmt.Println("dialed", n)
}

func send(port, mib int) {
	c, err := vsock.Dial(vsock.HostCID, uint32(port))
	if err != nil {
		fail(err.Error())
	}
	r := rand.NewChaCha8([32]byte{1, 2, 3})
	h := sha256.New()
	buf := make([]byte, 256<<10)
	for i := 0; i < mib*4; i++ {
		r.Read(buf)
		h.Write(buf)
		if _, err := c.Write(buf); err != nil {
			fail(err.Error())
		}
	}
	if err := c.Close(); err != nil {
		fail(err.Error())
	}
	fmt.Printf("sent %d sha256 %x\n", mib<<20, h.Sum(nil))
}

func recv(port int) {
	l, err := vsock.Listen(uint32(port))
	if err != nil {
		fail(err.Error())
	}
	fmt.Println("listening on", l.Addr())
	c, err := l.Accept()
	if err != nil {
		fail(err.Error())
	}
	h := sha256.New()
	n, err := io.Copy(h, c)
	if err != nil {
		fail(err.Error())
	}
	fmt.Printf("received %d sha256 %x\n", n, h.Sum(nil))
}
