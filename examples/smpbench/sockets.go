package main

import (
	"fmt"
	"syscall"
)

// Socket benchmark: the pipes benchmark's pairs over loopback TCP, then
// over unix stream socketpairs. Each of two threads owns a connection and
// moves 4 KiB through it (a write on one end, a read on the other; the
// connection never fills): parallel on cores 0 and 1 against one thread
// using both in turn.
func benchSockets() error {
	if err := benchTCPPairs(); err != nil {
		return err
	}
	return benchUnixPairs()
}

func benchTCPPairs() error {
	var conns [2][2]int
	for i := range conns {
		r, w, err := tcpPair()
		if err != nil {
			return err
		}
		defer syscall.Close(r)
		defer syscall.Close(w)
		conns[i] = [2]int{r, w}
	}
	bs, bp, err := seqPar(func(i int) error { return moveChunks(conns[i], "tcp") })
	if err != nil {
		return err
	}
	reportSeqPar("sockets", bs, bp, 2*2*pipeRounds)
	return nil
}

// tcpPair returns the two ends of a blocking loopback TCP connection:
// the accepted end and the connecting one.
func tcpPair() (int, int, error) {
	l, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, -1, fmt.Errorf("socket: %w", err)
	}
	defer syscall.Close(l)
	if err := syscall.Bind(l, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return -1, -1, fmt.Errorf("bind: %w", err)
	}
	if err := syscall.Listen(l, 1); err != nil {
		return -1, -1, fmt.Errorf("listen: %w", err)
	}
	sa, err := syscall.Getsockname(l)
	if err != nil {
		return -1, -1, fmt.Errorf("getsockname: %w", err)
	}
	c, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, -1, fmt.Errorf("socket: %w", err)
	}
	if err := syscall.Connect(c, sa); err != nil {
		syscall.Close(c)
		return -1, -1, fmt.Errorf("connect: %w", err)
	}
	a, _, err := syscall.Accept4(l, syscall.SOCK_CLOEXEC)
	if err != nil {
		syscall.Close(c)
		return -1, -1, fmt.Errorf("accept4: %w", err)
	}
	return a, c, nil
}

// benchUnixPairs is the pairs over unix stream socketpairs
// ("sockets/unix").
func benchUnixPairs() error {
	var conns [2][2]int
	for i := range conns {
		fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("socketpair: %w", err)
		}
		defer syscall.Close(fds[0])
		defer syscall.Close(fds[1])
		conns[i] = [2]int{fds[0], fds[1]}
	}
	bs, bp, err := seqPar(func(i int) error { return moveChunks(conns[i], "unix") })
	if err != nil {
		return err
	}
	reportSeqPar("sockets/unix", bs, bp, 2*2*pipeRounds)
	return nil
}
