// Command peek checks MSG_PEEK (and MSG_DONTWAIT) on recvfrom and recvmsg:
// AF_UNIX stream, datagram and seqpacket sockets, TCP and UDP over
// loopback. A peek returns what a read would without taking it. It runs
// in the guest and, with the argument "native", on Linux, which is the
// oracle: both must print the same checks and "peek ok". The first
// failed check prints FAIL and exits 1.
package main

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/gotoro/gotoro/internal/guestcheck"
)

func recv(fd int, n, flags int) (string, error) {
	b := make([]byte, n)
	r, _, err := syscall.Recvfrom(fd, b, flags)
	if r < 0 {
		r = 0
	}
	return string(b[:r]), err
}

func recvmsg(fd int, n, flags int) (string, int, error) {
	b := make([]byte, n)
	r, _, rflags, _, err := syscall.Recvmsg(fd, b, nil, flags)
	if r < 0 {
		r = 0
	}
	return string(b[:r]), rflags, err
}

func main() {
	testUnixStream()
	testUnixRecords(syscall.SOCK_DGRAM, "dgram")
	testUnixRecords(syscall.SOCK_SEQPACKET, "seqpacket")
	testTCP()
	testUDP()
	fmt.Println("peek ok")
}

func testUnixStream() {
	p := guestcheck.Value(syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0))
	_, err := recv(p[1], 8, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	guestcheck.Check("unix stream: peek on nothing, MSG_DONTWAIT", errors.Is(err, syscall.EAGAIN), "%v", err)
	syscall.Write(p[0], []byte("hello "))
	syscall.Write(p[0], []byte("world"))
	s, err := recv(p[1], 5, syscall.MSG_PEEK)
	guestcheck.Check("unix stream: peek part", err == nil && s == "hello", "%q %v", s, err)
	s, err = recv(p[1], 64, syscall.MSG_PEEK)
	guestcheck.Check("unix stream: peek all, across writes", err == nil && s == "hello world", "%q %v", s, err)
	s, _, err = recvmsg(p[1], 64, syscall.MSG_PEEK)
	guestcheck.Check("unix stream: recvmsg peek", err == nil && s == "hello world", "%q %v", s, err)
	s, err = recv(p[1], 3, 0)
	guestcheck.Check("unix stream: read after peeks", err == nil && s == "hel", "%q %v", s, err)
	s, err = recv(p[1], 64, syscall.MSG_PEEK)
	guestcheck.Check("unix stream: peek after a read", err == nil && s == "lo world", "%q %v", s, err)
	s, err = recv(p[1], 64, 0)
	guestcheck.Check("unix stream: read the rest", err == nil && s == "lo world", "%q %v", s, err)
	// A blocking peek waits for data.
	go func() {
		time.Sleep(50 * time.Millisecond)
		syscall.Write(p[0], []byte("late"))
	}()
	s, err = recv(p[1], 64, syscall.MSG_PEEK)
	guestcheck.Check("unix stream: a blocking peek waits", err == nil && s == "late", "%q %v", s, err)
	s, _ = recv(p[1], 64, 0)
	guestcheck.Check("unix stream: the waited bytes are still there", s == "late", "%q", s)
	syscall.Close(p[0])
	s, err = recv(p[1], 64, syscall.MSG_PEEK)
	guestcheck.Check("unix stream: peek at end of file", err == nil && s == "", "%q %v", s, err)
	syscall.Close(p[1])
}

func testUnixRecords(typ int, name string) {
	p := guestcheck.Value(syscall.Socketpair(syscall.AF_UNIX, typ, 0))
	_, err := recv(p[1], 8, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	guestcheck.Check("unix "+name+": peek on nothing, MSG_DONTWAIT", errors.Is(err, syscall.EAGAIN), "%v", err)
	syscall.Write(p[0], []byte("first"))
	syscall.Write(p[0], []byte("second"))
	s, err := recv(p[1], 64, syscall.MSG_PEEK)
	guestcheck.Check("unix "+name+": peek one message", err == nil && s == "first", "%q %v", s, err)
	s, err = recv(p[1], 64, syscall.MSG_PEEK)
	guestcheck.Check("unix "+name+": peek again, the same message", err == nil && s == "first", "%q %v", s, err)
	s, flags, err := recvmsg(p[1], 3, syscall.MSG_PEEK)
	guestcheck.Check("unix "+name+": peek short, MSG_TRUNC", err == nil && s == "fir" && flags&syscall.MSG_TRUNC != 0, "%q %#x %v", s, flags, err)
	s, err = recv(p[1], 64, 0)
	guestcheck.Check("unix "+name+": the peeked message is read whole", err == nil && s == "first", "%q %v", s, err)
	s, err = recv(p[1], 64, syscall.MSG_PEEK)
	guestcheck.Check("unix "+name+": then the next", err == nil && s == "second", "%q %v", s, err)
	s, err = recv(p[1], 64, 0)
	guestcheck.Check("unix "+name+": read the next", err == nil && s == "second", "%q %v", s, err)
	syscall.Close(p[0])
	syscall.Close(p[1])
}

// rawRecv runs a recv on c's descriptor, waiting (through the poller)
// while it would block.
func rawRecv(c syscall.Conn, n, flags int) (s string, from syscall.Sockaddr, err error) {
	rc := guestcheck.Value(c.SyscallConn())
	b := make([]byte, n)
	rerr := rc.Read(func(fd uintptr) bool {
		var r int
		r, from, err = syscall.Recvfrom(int(fd), b, flags)
		if errors.Is(err, syscall.EAGAIN) {
			return false
		}
		if r > 0 {
			s = string(b[:r])
		}
		return true
	})
	if err == nil {
		err = rerr
	}
	return s, from, err
}

func testTCP() {
	ln := guestcheck.Value(net.Listen("tcp", "127.0.0.1:0"))
	defer ln.Close()
	acc := make(chan net.Conn, 1)
	go func() { c, _ := ln.Accept(); acc <- c }()
	c := guestcheck.Value(net.Dial("tcp", ln.Addr().String()))
	defer c.Close()
	sc := <-acc
	defer sc.Close()
	c.Write([]byte("GET / HTTP/1.1"))
	s, _, err := rawRecv(sc.(*net.TCPConn), 3, syscall.MSG_PEEK)
	guestcheck.Check("tcp: peek part", err == nil && s == "GET", "%q %v", s, err)
	// The rest may arrive a little later on a real network; over
	// loopback it is there.
	s, _, err = rawRecv(sc.(*net.TCPConn), 64, syscall.MSG_PEEK)
	guestcheck.Check("tcp: peek all", err == nil && s == "GET / HTTP/1.1", "%q %v", s, err)
	b := make([]byte, 64)
	n, err := sc.Read(b)
	guestcheck.Check("tcp: read after peeks", err == nil && string(b[:n]) == "GET / HTTP/1.1", "%q %v", b[:n], err)
	rc := guestcheck.Value(sc.(*net.TCPConn).SyscallConn())
	var perr error
	rc.Control(func(fd uintptr) {
		_, _, perr = syscall.Recvfrom(int(fd), b, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	})
	guestcheck.Check("tcp: peek on nothing, MSG_DONTWAIT", errors.Is(perr, syscall.EAGAIN), "%v", perr)
	c.Write([]byte("more"))
	var rflags int
	rc.Read(func(fd uintptr) bool {
		var r int
		r, _, rflags, _, perr = syscall.Recvmsg(int(fd), b, nil, syscall.MSG_PEEK)
		if errors.Is(perr, syscall.EAGAIN) {
			return false
		}
		b = b[:max(r, 0)]
		return true
	})
	guestcheck.Check("tcp: recvmsg peek", perr == nil && string(b) == "more" && rflags == 0, "%q %#x %v", b, rflags, perr)
	b = make([]byte, 64)
	n, _ = sc.Read(b)
	guestcheck.Check("tcp: read the peeked bytes", string(b[:n]) == "more", "%q", b[:n])
}

func testUDP() {
	pc := guestcheck.Value(net.ListenPacket("udp", "127.0.0.1:0"))
	defer pc.Close()
	c := guestcheck.Value(net.Dial("udp", pc.LocalAddr().String()))
	defer c.Close()
	c.Write([]byte("one"))
	c.Write([]byte("two"))
	u := pc.(*net.UDPConn)
	s, from, err := rawRecv(u, 64, syscall.MSG_PEEK)
	sa, _ := from.(*syscall.SockaddrInet4)
	local := c.LocalAddr().(*net.UDPAddr)
	guestcheck.Check("udp: peek a datagram and its source", err == nil && s == "one" && sa != nil && sa.Port == local.Port, "%q %v %v", s, from, err)
	s, _, err = rawRecv(u, 2, syscall.MSG_PEEK)
	guestcheck.Check("udp: peek short", err == nil && s == "on", "%q %v", s, err)
	b := make([]byte, 64)
	n, _, err := u.ReadFrom(b)
	guestcheck.Check("udp: the peeked datagram is read whole", err == nil && string(b[:n]) == "one", "%q %v", b[:n], err)
	n, _, err = u.ReadFrom(b)
	guestcheck.Check("udp: then the next", err == nil && string(b[:n]) == "two", "%q %v", b[:n], err)
}
