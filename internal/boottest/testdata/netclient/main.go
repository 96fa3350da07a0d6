// Command netclient uses the network from the guest with unmodified Go
// code: an HTTP GET from a server on the host, a UDP exchange with the
// host, a refused connection, and name lookups through /etc/hosts and the
// configured DNS resolver.
//
//	netclient URL SHA256 UDPADDR NAME
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"
)

func fail(format string, args ...any) {
	fmt.Printf("FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 5 {
		fail("usage: netclient URL SHA256 UDPADDR NAME")
	}
	url, sum, udpAddr, name := os.Args[1], os.Args[2], os.Args[3], os.Args[4]

	// HTTP from the host.
	start := time.Now()
	resp, err := http.Get(url)
	if err != nil {
		fail("GET %s: %v", url, err)
	}
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		fail("GET %s: status %d, %d bytes, %v", url, resp.StatusCode, n, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		fail("GET %s: sha256 %s, want %s", url, got, sum)
	}
	fmt.Printf("http ok: %d bytes in %v\n", n, time.Since(start).Round(time.Millisecond))

	// UDP: the host echoes.
	c, err := net.Dial("udp", udpAddr)
	if err != nil {
		fail("dial udp %s: %v", udpAddr, err)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	for _, size := range []int{1, 512, 1400, 8000} {
		msg := []byte(strings.Repeat("u", size))
		if _, err := c.Write(msg); err != nil {
			fail("udp write %d: %v", size, err)
		}
		buf := make([]byte, 9000)
		n, err := c.Read(buf)
		if err != nil || string(buf[:n]) != "echo:"+string(msg) {
			fail("udp read %d: %d bytes, %v", size, n, err)
		}
	}
	c.Close()
	fmt.Println("udp ok")

	// A port nobody listens on: the host's refusal comes back.
	host, _, _ := net.SplitHostPort(udpAddr)
	_, err = net.DialTimeout("tcp", net.JoinHostPort(host, "1"), 20*time.Second)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		fail("dial a closed port: %v, want connection refused", err)
	}
	fmt.Println("refused ok")

	// Names: /etc/hosts, then DNS through /etc/resolv.conf.
	conf, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		fail("reading /etc/resolv.conf: %v", err)
	}
	fmt.Printf("resolv.conf: %s", conf)
	if addrs, err := net.LookupHost("localhost"); err != nil || len(addrs) == 0 {
		fail("lookup localhost: %v %v", addrs, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	addrs, err := (&net.Resolver{PreferGo: true}).LookupHost(ctx, name)
	if err != nil {
		fail("lookup %s: %v", name, err)
	}
	fmt.Printf("dns ok: %s %s\n", name, strings.Join(addrs, ","))
	fmt.Println("netclient ok")
}
