package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// tcpPair returns both ends of a new TCP connection on 127.0.0.1.
func tcpPair() (client, server net.Conn, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return nil, nil, err
	}
	server, err = ln.Accept()
	if err != nil {
		client.Close()
		return nil, nil, err
	}
	return client, server, nil
}

// streamBuffering checks that a connection buffers far more than a pipe
// (as Linux's socket buffers do): a 1 MiB write finishes before the
// other end reads anything, and the bytes arrive intact.
func streamBuffering() error {
	c, s, err := tcpPair()
	if err != nil {
		return err
	}
	defer c.Close()
	defer s.Close()
	msg := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)
	c.SetWriteDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write(msg); err != nil {
		return fmt.Errorf("1 MiB write with nobody reading: %w", err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(s, got); err != nil || !bytes.Equal(got, msg) {
		return fmt.Errorf("reading the 1 MiB back: %v", err)
	}
	return nil
}

// sendfileToClosedPeer fills a connection through sendfile (io.Copy from
// a file) until it blocks, then closes the reading end: the copy must fail
// with EPIPE or a reset, not wait forever on a full buffer nobody reads.
func sendfileToClosedPeer() error {
	f, err := os.CreateTemp("", "sendfile")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := f.Write(make([]byte, 8<<20)); err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	c, s, err := tcpPair()
	if err != nil {
		return err
	}
	defer s.Close()
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(s, f)
		done <- err
	}()
	time.Sleep(500 * time.Millisecond) // let the copy fill the buffer
	c.Close()
	select {
	case err := <-done:
		if err == nil {
			return errors.New("copying 8 MiB to a closed connection succeeded")
		}
		return nil
	case <-time.After(30 * time.Second):
		return errors.New("the copy still blocks 30 s after the reader closed")
	}
}
