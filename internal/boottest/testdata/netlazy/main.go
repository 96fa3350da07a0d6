// Command netlazy checks that the network service starts on first need.
//
//	netlazy idle         uses only this machine (TCP and UDP over
//	                     loopback, AF_UNIX): the service must not start
//	netlazy race ADDR UDPADDR
//	                     three goroutines race to be first to need the
//	                     service: one dials ADDR (a host echo server), one
//	                     listens on :8097, one binds a datagram socket to
//	                     :0 and sends one datagram to UDPADDR (a host echo
//	                     server), never resent; all must work, and the host
//	                     reaches the listener (through a forward) as soon
//	                     as listen has returned
//	netlazy unreachable  a program whose guest has no usable network: the
//	                     first dial to another machine fails with the
//	                     errno the service's start gave
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/gotoro/gotoro/netsvc"
)

func fail(format string, args ...any) {
	fmt.Printf("FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: netlazy idle | race ADDR UDPADDR | unreachable")
	}
	switch os.Args[1] {
	case "idle":
		idle()
	case "race":
		if len(os.Args) != 4 {
			fail("usage: netlazy race ADDR UDPADDR")
		}
		race(os.Args[2], os.Args[3])
	case "unreachable":
		unreachable()
	default:
		fail("unknown mode %q", os.Args[1])
	}
}

// running reports whether the network service runs, from its own state.
func running() bool {
	_, ok := netsvc.ReadStats()
	return ok
}

func idle() {
	if running() {
		fail("the service runs before main")
	}
	// TCP over loopback.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("listen: %v", err)
	}
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		fmt.Fprintln(c, "hi")
		c.Close()
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		fail("dial loopback: %v", err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != "hi\n" {
		fail("read loopback: %q %v", line, err)
	}
	c.Close()
	l.Close()
	// UDP over loopback.
	u, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		fail("listen udp: %v", err)
	}
	uc, err := net.Dial("udp", u.LocalAddr().String())
	if err != nil {
		fail("dial udp loopback: %v", err)
	}
	if _, err := uc.Write([]byte("x")); err != nil {
		fail("udp write: %v", err)
	}
	buf := make([]byte, 16)
	u.SetDeadline(time.Now().Add(10 * time.Second))
	if n, _, err := u.ReadFrom(buf); err != nil || string(buf[:n]) != "x" {
		fail("udp read: %q %v", buf[:n], err)
	}
	uc.Close()
	u.Close()
	// AF_UNIX.
	path := filepath.Join(os.TempDir(), "netlazy.sock")
	ul, err := net.Listen("unix", path)
	if err != nil {
		fail("listen unix: %v", err)
	}
	go func() {
		c, err := ul.Accept()
		if err == nil {
			c.Write([]byte("u"))
			c.Close()
		}
	}()
	cu, err := net.Dial("unix", path)
	if err != nil {
		fail("dial unix: %v", err)
	}
	if n, err := cu.Read(buf); err != nil || string(buf[:n]) != "u" {
		fail("unix read: %q %v", buf[:n], err)
	}
	cu.Close()
	ul.Close()
	if running() {
		fail("the service started for sockets on this machine")
	}
	fmt.Println("netlazy idle ok")
}

func race(addr, udpAddr string) {
	if running() {
		fail("the service runs before main")
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	wg.Add(3)
	go func() {
		defer wg.Done()
		<-start
		to, err := net.ResolveUDPAddr("udp", udpAddr)
		if err != nil {
			fail("%v", err)
		}
		u, err := net.ListenPacket("udp", ":0")
		if err != nil {
			fail("first datagram bind: %v", err)
		}
		if _, err := u.WriteTo([]byte("dgram"), to); err != nil {
			fail("first datagram: %v", err)
		}
		u.SetDeadline(time.Now().Add(30 * time.Second))
		buf := make([]byte, 64)
		n, _, err := u.ReadFrom(buf)
		if err != nil || string(buf[:n]) != "echo:dgram" {
			fail("first datagram's echo (it is sent once): %q %v", buf[:n], err)
		}
		u.Close()
		fmt.Println("datagram ok")
	}()
	go func() {
		defer wg.Done()
		<-start
		c, err := net.DialTimeout("tcp", addr, 30*time.Second)
		if err != nil {
			fail("first dial: %v", err)
		}
		c.SetDeadline(time.Now().Add(30 * time.Second))
		fmt.Fprintln(c, "ping")
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || line != "echo:ping\n" {
			fail("first dial's echo: %q %v", line, err)
		}
		c.Close()
		fmt.Println("dial ok")
	}()
	go func() {
		defer wg.Done()
		<-start
		l, err := net.Listen("tcp", ":8097")
		if err != nil {
			fail("first listen: %v", err)
		}
		// The host connects once it sees this line.
		fmt.Println("netlazy listening")
		l.(*net.TCPListener).SetDeadline(time.Now().Add(60 * time.Second))
		c, err := l.Accept()
		if err != nil {
			fail("accept: %v", err)
		}
		c.SetDeadline(time.Now().Add(30 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || line != "hello\n" {
			fail("read from the host: %q %v", line, err)
		}
		fmt.Fprintln(c, "served")
		// Wait for the host to close: what the program wrote must not
		// depend on the exit's linger (netLinger) to leave.
		io.Copy(io.Discard, c)
		c.Close()
		l.Close()
		fmt.Println("listen ok")
	}()
	close(start)
	wg.Wait()
	if !running() {
		fail("the service does not run after the network was used")
	}
	fmt.Println("netlazy race ok")
}

func unreachable() {
	_, err := net.DialTimeout("tcp", "10.0.2.2:9", 10*time.Second)
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		fail("dial: %v, want an errno", err)
	}
	fmt.Printf("netlazy dial: %v (%d)\n", err, int(errno))
	// Loopback still works.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("listen loopback: %v", err)
	}
	l.Close()
	fmt.Println("netlazy unreachable ok")
}
