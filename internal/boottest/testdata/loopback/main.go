// Command loopback serves HTTP on 127.0.0.1 inside the guest and fetches
// from itself: many requests, concurrent clients, and a large body.
package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
)

func main() {
	big := bytes.Repeat([]byte("gotoro"), 200_000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Write(big)
			return
		}
		fmt.Fprintf(w, "hello %s", r.URL.Path)
	}))
	defer srv.Close()
	for i := 0; i < 50; i++ {
		resp, err := http.Get(srv.URL + fmt.Sprintf("/n%d", i))
		if err != nil {
			fmt.Println("FAIL: get:", err)
			os.Exit(1)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != fmt.Sprintf("hello /n%d", i) {
			fmt.Printf("FAIL: body %q\n", b)
			os.Exit(1)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for c := 0; c < 20; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(srv.URL + "/big")
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil || !bytes.Equal(b, big) {
				errs <- fmt.Errorf("big body: %d bytes, %v", len(b), err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		fmt.Println("FAIL:", err)
		os.Exit(1)
	}
	if _, err := net.Dial("tcp", "127.0.0.1:1"); err == nil {
		fmt.Println("FAIL: dial to a closed port succeeded")
		os.Exit(1)
	}
	if err := streamBuffering(); err != nil {
		fmt.Println("FAIL: tcp buffering:", err)
		os.Exit(1)
	}
	if err := sendfileToClosedPeer(); err != nil {
		fmt.Println("FAIL: sendfile to a closed peer:", err)
		os.Exit(1)
	}
	if err := udpLoopback(); err != nil {
		fmt.Println("FAIL: udp:", err)
		os.Exit(1)
	}
	fmt.Println("loopback ok")
}

// udpLoopback exchanges datagrams between two UDP sockets on 127.0.0.1:
// a connected client and an unconnected server, with net's own API.
func udpLoopback() error {
	srv, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	defer srv.Close()
	cl, err := net.DialUDP("udp", nil, srv.LocalAddr().(*net.UDPAddr))
	if err != nil {
		return err
	}
	defer cl.Close()
	buf := make([]byte, 70000)
	for _, size := range []int{0, 1, 1472, 65507} {
		msg := bytes.Repeat([]byte{byte(size)}, size)
		if _, err := cl.Write(msg); err != nil {
			return fmt.Errorf("write %d: %w", size, err)
		}
		n, from, err := srv.ReadFromUDP(buf)
		if err != nil || n != size || !bytes.Equal(buf[:n], msg) {
			return fmt.Errorf("server read %d: %d bytes, %v", size, n, err)
		}
		if from.String() != cl.LocalAddr().String() {
			return fmt.Errorf("source %s, want %s", from, cl.LocalAddr())
		}
		if _, err := srv.WriteToUDP(msg, from); err != nil {
			return fmt.Errorf("reply %d: %w", size, err)
		}
		if n, err := cl.Read(buf); err != nil || n != size {
			return fmt.Errorf("client read %d: %d bytes, %v", size, n, err)
		}
	}
	if _, err := cl.Write(make([]byte, 65508)); err == nil {
		return fmt.Errorf("a 65508-byte datagram was sent")
	}
	return nil
}
