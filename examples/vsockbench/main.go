// Command vsockbench measures vsock throughput and round trip between the
// host and a gotoro guest (QEMU, in-process vhost-user backend) against a
// loopback TCP pair on the host, in one run, and prints a table with the
// ratios. Run it from the repository root:
//
//	go run ./examples/vsockbench [-accel tcg] [-mib 64] [-rounds 2000]
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gotoro/gotoro/host/build"
	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/host/vsock"
)

func main() {
	accel := flag.String("accel", "tcg", "QEMU accelerator: tcg or kvm")
	mib := flag.Int("mib", 64, "MiB per throughput run")
	rounds := flag.Int("rounds", 2000, "1-byte round trips")
	flag.Parse()
	if err := run(qemu.Accel(*accel), *mib, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "vsockbench:", err)
		os.Exit(1)
	}
}

// dialer opens a connection to the echo (port 1) or sink (port 2) server.
type dialer func(port int) (net.Conn, io.Reader, error)

func run(accel qemu.Accel, mib, rounds int) error {
	dir, err := os.MkdirTemp("", "vsockbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	img := filepath.Join(dir, "guest.img")
	ctx := context.Background()
	if _, err := build.Build(ctx, build.Options{Package: "./examples/vsockbench/guest", Output: img}); err != nil {
		return err
	}
	uds := filepath.Join(dir, "v.sock")
	listening := make(chan struct{})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	booted := make(chan error, 1)
	go func() {
		out, _, err := qemu.Boot(ctx, qemu.Config{
			Image: img, Accel: accel,
			Devices: []qemu.Device{vsock.QEMUDevice(vsock.Config{GuestCID: 3, UDSPath: uds}, nil)},
			Stdout:  &watch{want: "listening on", seen: listening},
		}, qemu.Guest{Args: []string{"guest"}})
		if err == nil {
			err = fmt.Errorf("guest exited:\n%s", out)
		}
		booted <- err
	}()
	select {
	case <-listening:
	case err := <-booted:
		return err
	}
	guest := func(port int) (net.Conn, io.Reader, error) {
		c, err := net.Dial("unix", uds)
		if err != nil {
			return nil, nil, err
		}
		fmt.Fprintf(c, "CONNECT %d\n", port)
		br := bufio.NewReader(c)
		if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "OK ") {
			c.Close()
			return nil, nil, fmt.Errorf("CONNECT %d: %q %v", port, line, err)
		}
		return c, br, nil
	}
	loop, stop, err := loopbackPeer()
	if err != nil {
		return err
	}
	defer stop()

	type row struct {
		name       string
		vs, tcp    float64
		unit       string
		higherWins bool
	}
	var rows []row
	vt, err := throughput(guest, mib)
	if err != nil {
		return fmt.Errorf("vsock throughput: %w", err)
	}
	tt, err := throughput(loop, mib)
	if err != nil {
		return err
	}
	rows = append(rows, row{fmt.Sprintf("host → peer, %d MiB", mib), vt, tt, "MB/s", true})
	vr, err := roundTrip(guest, rounds)
	if err != nil {
		return fmt.Errorf("vsock round trip: %w", err)
	}
	tr, err := roundTrip(loop, rounds)
	if err != nil {
		return err
	}
	rows = append(rows, row{fmt.Sprintf("1-byte round trip (%d)", rounds), vr, tr, "µs", false})

	fmt.Printf("vsock (guest under %s, vhost-user backend in-process) vs loopback TCP on the host\n\n", accel)
	fmt.Printf("%-28s %14s %14s %10s\n", "measure", "vsock", "loopback TCP", "vsock/TCP")
	for _, r := range rows {
		fmt.Printf("%-28s %9.1f %-4s %9.1f %-4s %10.3f\n", r.name, r.vs, r.unit, r.tcp, r.unit, r.vs/r.tcp)
	}
	return nil
}

// throughput sends mib MiB to the sink and returns MB/s, timed until the
// sink's one-byte answer.
func throughput(d dialer, mib int) (float64, error) {
	c, r, err := d(2)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	buf := make([]byte, 1<<20)
	start := time.Now()
	for i := 0; i < mib; i++ {
		if _, err := c.Write(buf); err != nil {
			return 0, err
		}
	}
	c.(interface{ CloseWrite() error }).CloseWrite()
	one := make([]byte, 1)
	if _, err := io.ReadFull(r, one); err != nil {
		return 0, err
	}
	return float64(mib<<20) / time.Since(start).Seconds() / 1e6, nil
}

// roundTrip returns the mean time of 1-byte echoes in µs, after a
// warm-up.
func roundTrip(d dialer, rounds int) (float64, error) {
	c, r, err := d(1)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	b := make([]byte, 1)
	var start time.Time
	for i := -rounds / 10; i < rounds; i++ {
		if i == 0 {
			start = time.Now()
		}
		if _, err := c.Write(b); err != nil {
			return 0, err
		}
		if _, err := io.ReadFull(r, b); err != nil {
			return 0, err
		}
	}
	return float64(time.Since(start).Microseconds()) / float64(rounds), nil
}

// loopbackPeer serves the same echo and sink on host loopback TCP.
func loopbackPeer() (dialer, func(), error) {
	var ls [3]net.Listener
	for port := 1; port <= 2; port++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		ls[port] = l
		go func(port int) {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go func() {
					if port == 1 {
						io.Copy(c, c)
					} else {
						io.Copy(io.Discard, c)
						c.Write([]byte{1})
					}
					c.Close()
				}()
			}
		}(port)
	}
	d := func(port int) (net.Conn, io.Reader, error) {
		c, err := net.Dial("tcp", ls[port].Addr().String())
		return c, c, err
	}
	return d, func() { ls[1].Close(); ls[2].Close() }, nil
}

// watch closes seen once want appears in the console.
type watch struct {
	buf  []byte
	want string
	seen chan struct{}
	done bool
}

func (w *watch) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	if !w.done && strings.Contains(string(w.buf), w.want) {
		w.done = true
		close(w.seen)
	}
	return len(p), nil
}
