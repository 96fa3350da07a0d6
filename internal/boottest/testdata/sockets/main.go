// Command sockets hammers stream sockets across cores, unix and loopback
// TCP alike: full-duplex connections whose four threads (a writer and a
// reader at each end) run on different cores with checked data (blocking
// sockets on pinned threads with read/write and send/recv, and
// connections through the runtime's netpoller), many writers connected
// to one listener (the accept queue), connections carrying both ways at
// once through the netpoller, shutdown and close while the other
// end is blocked in read or on a full socket, a write to a connection
// whose peer left (EPIPE; SIGPIPE handled, notified, suppressed by
// MSG_NOSIGNAL), epoll on sockets woken from another core (level and
// edge triggered, in, out and hang-up) and a blocked read restarted
// through signals (SA_RESTART); over unix sockets, descriptors passed
// with SCM_RIGHTS across cores while data flows (rights.go). It runs on Linux too (go run), the
// oracle. It prints "sockets ok" when every check passed.
package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/gotoro/gotoro/internal/boottest/stress"
)

var cores = runtime.NumCPU()

// kinds are the two stream socket families under test.
var kinds = []string{"unix", "tcp"}

// rawPair returns the two ends of a connected blocking stream socket of
// kind: a socketpair for unix, a loopback TCP connection (socket, bind,
// listen, connect, accept) for tcp.
func rawPair(kind string) (int, int, bool) {
	if kind == "unix" {
		fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if !stress.Check("socketpair", err == nil, err) {
			return -1, -1, false
		}
		return fds[0], fds[1], true
	}
	l, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if !stress.Check("socket", err == nil, err) {
		return -1, -1, false
	}
	defer syscall.Close(l)
	lo := &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
	if !stress.Check("bind", syscall.Bind(l, lo) == nil) || !stress.Check("listen", syscall.Listen(l, 4) == nil) {
		return -1, -1, false
	}
	sa, err := syscall.Getsockname(l)
	if !stress.Check("getsockname", err == nil, err) {
		return -1, -1, false
	}
	c, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if !stress.Check("socket", err == nil, err) {
		return -1, -1, false
	}
	if !stress.Check("connect", syscall.Connect(c, sa) == nil) {
		syscall.Close(c)
		return -1, -1, false
	}
	a, _, err := syscall.Accept4(l, syscall.SOCK_CLOEXEC)
	if !stress.Check("accept4", err == nil, err) {
		syscall.Close(c)
		return -1, -1, false
	}
	return c, a, true
}

// rawFD is a blocking socket used through plain system calls; with msg
// set it uses send and recv (sendto and recvfrom without an address)
// instead of write and read.
type rawFD struct {
	fd  int
	msg bool
}

func (s rawFD) Read(b []byte) (int, error) {
	var n int
	var err error
	if s.msg {
		n, _, err = syscall.Recvfrom(s.fd, b, 0)
	} else {
		n, err = syscall.Read(s.fd, b)
	}
	if n < 0 {
		n = 0
	}
	if n == 0 && err == nil {
		return 0, io.EOF
	}
	return n, err
}

// Write writes all of b through partial writes.
func (s rawFD) Write(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		var n int
		var err error
		if s.msg {
			err = syscall.Sendto(s.fd, b[done:], 0, nil)
			n = len(b) - done // sendto on a blocking stream sends all
		} else {
			n, err = syscall.Write(s.fd, b[done:])
		}
		if err != nil {
			return done, err
		}
		done += n
	}
	return done, nil
}

// CloseWrite shuts the sending direction down: the peer reads end of file.
func (s rawFD) CloseWrite() error { return syscall.Shutdown(s.fd, syscall.SHUT_WR) }

// halfCloser is a connection end whose sending side can be shut down.
type halfCloser interface {
	io.ReadWriter
	CloseWrite() error
}

// send writes total bytes of the stream seed to c in chunks of varied
// size, then shuts c's sending side down.
func send(c halfCloser, seed uint64, total int, what string) {
	data, sizes := stress.NewStream(seed), stress.NewStream(seed+1000)
	buf := make([]byte, 300<<10)
	for done := 0; done < total; {
		m := min(stress.Chunk(sizes, 300<<10), total-done)
		data.Fill(buf[:m])
		k, err := c.Write(buf[:m])
		if !stress.Check(what+" write", k == m && err == nil, " k=", k, " want ", m, " err=", err) {
			break
		}
		done += m
	}
	stress.Check(what+" shutdown(SHUT_WR)", c.CloseWrite() == nil)
}

// receive reads c to end of file and compares every byte with the stream
// seed; it expects total bytes.
func receive(c io.Reader, seed uint64, total int, what string) {
	want, sizes := stress.NewStream(seed), stress.NewStream(seed+2000)
	buf := make([]byte, 300<<10)
	exp := make([]byte, 300<<10)
	got := 0
	for {
		k, err := c.Read(buf[:stress.Chunk(sizes, 300<<10)])
		if k == 0 && err == io.EOF {
			break
		}
		if !stress.Check(what+" read", err == nil && k > 0, " at ", got, " k=", k, " err=", err) {
			return
		}
		want.Fill(exp[:k])
		if !bytes.Equal(buf[:k], exp[:k]) {
			stress.Check(what+" data", false, ": bytes ", got, "..", got+k, " differ from what was written")
			return
		}
		got += k
	}
	stress.Check(what+" total", got == total, " read ", got, " of ", total)
}

// duplex runs n connections of kind at once, each carrying total bytes
// each way: end A writes while end B writes, each end's reader checks
// what the other end wrote, the four threads of a connection pinned to
// different cores. Odd connections use send and recv instead of write
// and read.
func duplex(kind string, n, total int) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		a, b, ok := rawPair(kind)
		if !ok {
			return
		}
		ends := [2]rawFD{{a, i%2 == 1}, {b, i%2 == 1}}
		var done sync.WaitGroup
		for e := 0; e < 2; e++ {
			wg.Add(2)
			done.Add(2)
			what := fmt.Sprintf("%s duplex %d end %d", kind, i, e)
			go func() {
				defer wg.Done()
				defer done.Done()
				stress.Pin(4*i + 2*e)
				send(ends[e], uint64(10*i+e+1), total, what)
			}()
			go func() {
				defer wg.Done()
				defer done.Done()
				stress.Pin(4*i + 2*e + 1)
				receive(ends[1-e], uint64(10*i+e+1), total, what)
			}()
		}
		go func() { done.Wait(); syscall.Close(a); syscall.Close(b) }()
	}
	wg.Wait()
	fmt.Printf("%s duplex blocking: %d connections × 2 × %d KiB\n", kind, n, total>>10)
}

// listen returns a listener of kind for the netpoller: loopback TCP, or
// a unix socket bound to a path in /tmp.
func listen(kind string) (net.Listener, bool) {
	var l net.Listener
	var err error
	if kind == "unix" {
		path := fmt.Sprintf("/tmp/sockets-%d.sock", time.Now().UnixNano())
		l, err = net.Listen("unix", path)
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	return l, stress.Check(kind+" listen", err == nil, err)
}

// fanIn connects writers clients of kind, each on its own goroutine, to
// one listener through the netpoller; the server accepts them all and
// reads each connection's stream to its end, checking its data, while
// echoing a checksum back.
func fanIn(kind string, writers, total int) {
	l, ok := listen(kind)
	if !ok {
		return
	}
	defer l.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for k := 0; k < writers; k++ {
			c, err := l.Accept()
			if !stress.Check(kind+" accept", err == nil, err) {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				var hdr [1]byte
				if _, err := io.ReadFull(c, hdr[:]); !stress.Check(kind+" fan-in header", err == nil, err) {
					return
				}
				id := int(hdr[0])
				receive(c, uint64(100+id), total, fmt.Sprintf("%s fan-in %d", kind, id))
				_, err := c.Write([]byte{hdr[0]})
				stress.Check(kind+" fan-in reply", err == nil, err)
			}()
		}
	}()
	for k := 0; k < writers; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial(l.Addr().Network(), l.Addr().String())
			if !stress.Check(kind+" dial", err == nil, err) {
				return
			}
			defer c.Close()
			c.Write([]byte{byte(k)})
			send(c.(halfCloser), uint64(100+k), total, fmt.Sprintf("%s fan-in %d", kind, k))
			var r [1]byte
			_, err = io.ReadFull(c, r[:])
			stress.Check(kind+" fan-in reply read", err == nil && r[0] == byte(k), err, r[0])
		}()
	}
	wg.Wait()
	fmt.Printf("%s fan-in netpoller: %d writers × %d KiB\n", kind, writers, total>>10)
}

// duplexPoll runs n connections of kind through the netpoller at once,
// each carrying total bytes both ways at the same time: every socket is
// waited on for input and output together (edge-triggered), and an edge
// lost between the two hangs the run.
func duplexPoll(kind string, n, total int) {
	l, ok := listen(kind)
	if !ok {
		return
	}
	defer l.Close()
	var wg sync.WaitGroup
	run := func(c net.Conn, seedOut, seedIn uint64, what string) {
		var dir sync.WaitGroup
		dir.Add(2)
		go func() { defer dir.Done(); send(c.(halfCloser), seedOut, total, what+" out") }()
		go func() { defer dir.Done(); receive(c, seedIn, total, what+" in") }()
		dir.Wait()
		c.Close()
	}
	for i := 0; i < n; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			c, err := l.Accept()
			if !stress.Check(kind+" accept", err == nil, err) {
				return
			}
			var id [1]byte // connections are accepted in any order
			if _, err := io.ReadFull(c, id[:]); !stress.Check(kind+" duplex poll id", err == nil, err) {
				return
			}
			k := uint64(id[0])
			run(c, 500+2*k, 501+2*k, fmt.Sprintf("%s duplex poll %d server", kind, k))
		}()
		go func() {
			defer wg.Done()
			c, err := net.Dial(l.Addr().Network(), l.Addr().String())
			if !stress.Check(kind+" dial", err == nil, err) {
				return
			}
			c.Write([]byte{byte(i)})
			k := uint64(i)
			run(c, 501+2*k, 500+2*k, fmt.Sprintf("%s duplex poll %d client", kind, k))
		}()
	}
	wg.Wait()
	fmt.Printf("%s duplex netpoller: %d connections × 2 × %d KiB\n", kind, n, total>>10)
}

// blockedEnds shuts down or closes one end of a connection while a
// thread on another core is blocked on the other end: a reader in read
// gets end of file (peer closed, or shut its sending side down), a
// writer on a full socket gets EPIPE or ECONNRESET (Linux reports a
// peer that closed with data unread as a reset, unix and TCP alike).
func blockedEnds(kind string, rounds int) {
	res := make(chan [2]any)
	closer := make(chan bool)
	for i := 0; i < rounds; i++ {
		delay := time.Duration(i%5) * time.Millisecond
		for _, how := range []string{"close", "shutdown"} {
			a, b, ok := rawPair(kind)
			if !ok {
				return
			}
			go func() {
				stress.Pin(0)
				buf := make([]byte, 100)
				n, err := syscall.Read(a, buf)
				res <- [2]any{n, err}
			}()
			go func() {
				stress.Pin(1)
				time.Sleep(delay)
				if how == "close" {
					syscall.Close(b)
				} else {
					syscall.Shutdown(b, syscall.SHUT_WR)
				}
				closer <- true
			}()
			<-closer
			r := <-res
			stress.Check(kind+" blocked read after the peer's "+how+": end of file", r[0] == 0 && r[1] == nil, r[0], r[1])
			if how == "shutdown" {
				// Half closed: the other direction still works.
				n, err := syscall.Write(a, []byte("back"))
				buf := make([]byte, 8)
				m, err2 := syscall.Read(b, buf)
				stress.Check(kind+" write after the peer's shutdown(SHUT_WR)", n == 4 && err == nil && m == 4 && err2 == nil && string(buf[:4]) == "back", n, err, m, err2)
				syscall.Close(b)
			}
			syscall.Close(a)
		}

		// A writer blocked on a full socket, its peer closed.
		a, b, ok := rawPair(kind)
		if !ok {
			return
		}
		stress.FillNonblock(a)
		go func() {
			stress.Pin(0)
			var err error
			for k := 0; k < 64 && err == nil; k++ { // TCP may take a few more bytes first
				_, err = syscall.Write(a, make([]byte, 4096))
			}
			res <- [2]any{0, err}
		}()
		go func() {
			stress.Pin(1)
			time.Sleep(delay)
			syscall.Close(b)
			closer <- true
		}()
		<-closer
		r := <-res
		stress.Check(kind+" blocked write after the peer closed: EPIPE", r[1] == syscall.EPIPE || r[1] == syscall.ECONNRESET, r[1])
		syscall.Close(a)
	}
	fmt.Printf("%s blocked ends: %d rounds\n", kind, rounds)
}

// writeUntilError writes to fd, whose peer closed, until a write fails
// (TCP may take one write before it knows) and returns that error.
func writeUntilError(fd int, flags int) error {
	for k := 0; k < 16; k++ {
		if err := syscall.Sendto(fd, []byte("x"), flags, nil); err != nil {
			return err
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// brokenPipe writes to connections whose peer left, with SIGPIPE handled
// by the runtime (not delivered to the program), notified to the program,
// and suppressed by MSG_NOSIGNAL: the write fails with EPIPE (or
// ECONNRESET, TCP's first answer after a reset) each time, and a
// notified SIGPIPE reaches the program only without MSG_NOSIGNAL.
func brokenPipe(kind string) {
	broken := func(err error) bool {
		return err == syscall.EPIPE || kind == "tcp" && err == syscall.ECONNRESET
	}
	write := func(mode string, flags int) {
		a, b, ok := rawPair(kind)
		if !ok {
			return
		}
		syscall.Close(b)
		err := writeUntilError(a, flags)
		stress.Check(kind+" write without a peer ("+mode+"): EPIPE", broken(err), err)
		if err == syscall.ECONNRESET {
			err = writeUntilError(a, flags)
			stress.Check(kind+" write after the reset ("+mode+"): EPIPE", err == syscall.EPIPE, err)
		}
		syscall.Close(a)
	}
	write("runtime's handler", 0)

	sigs := make(chan os.Signal, 10)
	signal.Notify(sigs, syscall.SIGPIPE)
	write("notified", 0)
	select {
	case s := <-sigs:
		stress.Check(kind+" SIGPIPE notified", s == syscall.SIGPIPE, s)
	case <-time.After(5 * time.Second):
		stress.Check(kind+" SIGPIPE notified", false, "none in 5 s")
	}
	write("MSG_NOSIGNAL", syscall.MSG_NOSIGNAL)
	select {
	case <-sigs:
		stress.Check(kind+" no SIGPIPE with MSG_NOSIGNAL", false)
	case <-time.After(20 * time.Millisecond):
	}
	signal.Stop(sigs)
	fmt.Printf("%s broken pipe: EPIPE handled, notified, MSG_NOSIGNAL\n", kind)
}

// epollCross waits in epoll_wait on one core for socket events made on
// another: level-triggered input stays ready until read, edge-triggered
// input is reported once per write, output is reported when a full
// socket is drained, hang-up (EPOLLRDHUP) when the peer closes.
func epollCross(kind string, rounds int) {
	const (
		in    = syscall.EPOLLIN
		out   = syscall.EPOLLOUT
		rdhup = syscall.EPOLLRDHUP
		et    = -syscall.EPOLLET & 0xFFFFFFFF
	)
	for i := 0; i < rounds; i++ {
		a, b, ok := rawPair(kind)
		if !ok {
			return
		}
		ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if !stress.Check("epoll_create1", err == nil, err) {
			return
		}
		// wait blocks in epoll_wait on core 0 while act runs on core 1
		// after a short delay; it returns the events once act is done.
		wait := func(act func()) uint32 {
			done := make(chan uint32)
			acted := make(chan bool)
			go func() {
				stress.Pin(0)
				var ev [4]syscall.EpollEvent
				n, err := syscall.EpollWait(ep, ev[:], 10000)
				for err == syscall.EINTR {
					n, err = syscall.EpollWait(ep, ev[:], 10000)
				}
				if !stress.Check(kind+" epoll_wait", n == 1 && err == nil, n, err) {
					done <- 0
					return
				}
				done <- ev[0].Events
			}()
			go func() {
				stress.Pin(1)
				time.Sleep(time.Duration(i%4) * time.Millisecond)
				act()
				acted <- true
			}()
			ev := <-done
			<-acted
			return ev
		}
		now := func() uint32 {
			var ev [4]syscall.EpollEvent
			n, err := syscall.EpollWait(ep, ev[:], 0)
			if !stress.Check(kind+" epoll_wait(0)", err == nil && n <= 1, n, err) || n == 0 {
				return 0
			}
			return ev[0].Events
		}
		one := []byte{1}
		buf := make([]byte, 64<<10)

		// Level-triggered input.
		syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, a, &syscall.EpollEvent{Events: in, Fd: int32(a)})
		stress.Check(kind+" level: nothing yet", now() == 0)
		ev := wait(func() { syscall.Write(b, one) })
		stress.Check(kind+" level: woken for input", ev == in, ev)
		stress.Check(kind+" level: still ready", now() == in)
		syscall.Read(a, buf)
		stress.Check(kind+" level: not ready once read", now() == 0)

		// Edge-triggered input.
		syscall.EpollCtl(ep, syscall.EPOLL_CTL_MOD, a, &syscall.EpollEvent{Events: in | et, Fd: int32(a)})
		ev = wait(func() { syscall.Write(b, one) })
		stress.Check(kind+" edge: woken for input", ev == in, ev)
		stress.Check(kind+" edge: reported once", now() == 0)
		ev = wait(func() { syscall.Write(b, one) })
		stress.Check(kind+" edge: woken again by a second write", ev == in, ev)
		syscall.Read(a, buf)

		// Output on a full socket, edge-triggered, drained on the other core.
		syscall.EpollCtl(ep, syscall.EPOLL_CTL_DEL, a, nil)
		full := stress.FillNonblock(b)
		syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, b, &syscall.EpollEvent{Events: out | et, Fd: int32(b)})
		stress.Check(kind+" out: full socket not writable", now() == 0)
		ev = wait(func() {
			for got := 0; got < full; {
				n, err := syscall.Read(a, buf)
				if !stress.Check(kind+" drain", err == nil && n > 0, n, err) {
					return
				}
				got += n
			}
		})
		stress.Check(kind+" out: woken when drained", ev == out, ev)
		syscall.EpollCtl(ep, syscall.EPOLL_CTL_DEL, b, nil)

		// Hang-up: the peer closes.
		syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, a, &syscall.EpollEvent{Events: in | rdhup, Fd: int32(a)})
		ev = wait(func() { syscall.Close(b) })
		stress.Check(kind+" hup: woken when the peer closed", ev&rdhup != 0 && ev&in != 0, ev)
		syscall.Close(a)
		syscall.Close(ep)
	}
	fmt.Printf("%s epoll across cores: %d rounds\n", kind, rounds)
}

// restartRead blocks a read on core 0 and hits its thread with a handled
// signal from core 1 several times: SA_RESTART makes the read go on and
// return what is written afterwards.
func restartRead(kind string, rounds int) {
	usr1 := make(chan os.Signal, 100)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)
	for i := 0; i < rounds; i++ {
		a, b, ok := rawPair(kind)
		if !ok {
			return
		}
		tids := make(chan int)
		res := make(chan [2]any)
		go func() {
			stress.Pin(0)
			tids <- syscall.Gettid()
			buf := make([]byte, 64)
			n, err := syscall.Read(a, buf)
			res <- [2]any{n, err}
		}()
		tid := <-tids
		done := make(chan bool)
		go func() {
			stress.Pin(1)
			time.Sleep(2 * time.Millisecond)
			for k := 0; k < 5; k++ {
				syscall.Tgkill(syscall.Getpid(), tid, syscall.SIGUSR1)
				time.Sleep(time.Duration(k) * 500 * time.Microsecond)
			}
			syscall.Write(b, []byte("after the signals"))
			done <- true
		}()
		<-done
		r := <-res
		stress.Check(kind+" read restarted through SIGUSR1", r[0] == 17 && r[1] == nil, r[0], r[1])
		syscall.Close(a)
		syscall.Close(b)
	}
	got := 0
	for len(usr1) > 0 {
		<-usr1
		got++
	}
	stress.Check(kind+" SIGUSR1 reached the program", got > 0)
	fmt.Printf("%s restarted reads: %d rounds\n", kind, rounds)
}

func main() {
	fmt.Println("cores", cores)
	for _, kind := range kinds {
		duplex(kind, cores, 512<<10)
		duplexPoll(kind, cores, 512<<10)
		fanIn(kind, 2*cores, 128<<10)
		blockedEnds(kind, 10)
		brokenPipe(kind)
		epollCross(kind, 10)
		restartRead(kind, 5)
		dontwait(kind, 5)
		if kind == "unix" {
			rightsFlow(cores, 192<<10)
		}
	}
	if stress.Failed() {
		fmt.Println("sockets FAILED")
		os.Exit(1)
	}
	fmt.Println("sockets ok")
}
