package vsock

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/gotoro/gotoro/internal/virtio"
)

const testCID = 7

// setup starts a backend with a fake guest on it.
func setup(t *testing.T, fwd ...Forward) (*Backend, *fakeGuest, string) {
	t.Helper()
	dir := t.TempDir()
	uds := filepath.Join(dir, "v.sock")
	b, err := Start(filepath.Join(dir, "vhost.sock"), Config{GuestCID: testCID, UDSPath: uds, Forwards: fwd})
	if err != nil {
		t.Fatal(err)
	}
	g := startGuest(t, b.SocketPath, testCID)
	if cid := uint64(g.f.Config[0]); cid != testCID {
		t.Fatalf("config space CID %d, want %d", cid, testCID)
	}
	return b, g, uds
}

// teardown stops guest and backend and checks that nothing is left.
func teardown(t *testing.T, b *Backend, g *fakeGuest, uds string) {
	t.Helper()
	g.stop()
	if err := b.Close(); err != nil {
		t.Errorf("backend: %v", err)
	}
	for _, p := range []string{uds, b.SocketPath} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still exists after Close (%v)", p, err)
		}
	}
}

// dialGuest connects through the Unix socket to guest port.
func dialGuest(t *testing.T, uds string, port uint32) (net.Conn, *bufio.Reader, error) {
	t.Helper()
	c, err := net.Dial("unix", uds)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "CONNECT %d\n", port)
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	if !strings.HasPrefix(line, "OK ") {
		t.Fatalf("reply %q, want OK <port>", line)
	}
	return c, br, nil
}

// echoCheck sends n random bytes on c, reads them back through r and
// closes the writing side; the echo server then ends the connection.
func echoCheck(t *testing.T, c net.Conn, r io.Reader, n int) {
	t.Helper()
	data := make([]byte, n)
	rand.Read(data)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		if err == nil {
			err = c.(interface{ CloseWrite() error }).CloseWrite()
		}
		errc <- err
	}()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading the echo: %v", err)
	}
	if werr := <-errc; werr != nil {
		t.Fatalf("writing: %v", werr)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("echo of %d bytes came back as %d bytes, equal prefix %d", n, len(got), commonPrefix(got, data))
	}
}

func commonPrefix(a, b []byte) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

func TestHostToGuestEcho(t *testing.T) {
	b, g, uds := setup(t)
	g.mu.Lock()
	g.echo[5000] = true
	g.mu.Unlock()
	for _, n := range []int{0, 1, 4096, 3 << 20} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			c, br, err := dialGuest(t, uds, 5000)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			echoCheck(t, c, br, n)
		})
	}
	teardown(t, b, g, uds)
}

func TestManyConnectionsAtOnce(t *testing.T) {
	b, g, uds := setup(t)
	g.mu.Lock()
	g.echo[80] = true
	g.mu.Unlock()
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, br, err := dialGuest(t, uds, 80)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			echoCheck(t, c, br, 100<<10)
		}()
	}
	wg.Wait()
	teardown(t, b, g, uds)
}

func TestTCPForward(t *testing.T) {
	b, g, uds := setup(t, Forward{HostAddr: "127.0.0.1:0", GuestPort: 22})
	g.mu.Lock()
	g.echo[22] = true
	g.mu.Unlock()
	c, err := net.Dial("tcp", b.Device.Addrs()[1].String())
	if err != nil {
		t.Fatal(err)
	}
	echoCheck(t, c, c, 1<<20)
	c.Close()
	teardown(t, b, g, uds)
}

func TestRefusedByGuest(t *testing.T) {
	b, g, uds := setup(t)
	c, err := net.Dial("unix", uds)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "CONNECT 9\n")
	h := <-g.packets // the request; nobody listens: refuse it
	if h.Op != virtio.VsockOpRequest || h.DstPort != 9 || h.DstCID != testCID || h.SrcCID != virtio.VsockHostCID {
		t.Fatalf("got %+v, want a request for port 9", h)
	}
	g.send(virtio.VsockHdr{SrcPort: 9, DstPort: h.SrcPort, Op: virtio.VsockOpRST}, nil)
	if b, err := io.ReadAll(c); err != nil || len(b) != 0 {
		t.Errorf("refused connection read %q, %v; want EOF", b, err)
	}
	c.Close()
	teardown(t, b, g, uds)
}

func TestGuestToHost(t *testing.T) {
	b, g, uds := setup(t)
	l, err := net.Listen("unix", uds+"_6000")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		io.Copy(c, c) // echo
		c.Close()
	}()
	g.send(virtio.VsockHdr{SrcPort: 1234, DstPort: 6000, Op: virtio.VsockOpRequest}, nil)
	if h := <-g.packets; h.Op != virtio.VsockOpResponse || h.SrcPort != 6000 || h.DstPort != 1234 {
		t.Fatalf("got %+v, want a response", h)
	}
	// Register an echo-style receiver for the reply data by hand.
	g.mu.Lock()
	g.conns[[2]uint32{1234, 6000}] = &gconn{hostAlloc: DefaultBufAlloc}
	g.mu.Unlock()
	g.send(virtio.VsockHdr{SrcPort: 1234, DstPort: 6000, Op: virtio.VsockOpRW}, []byte("ping"))
	// The host echoes "ping"; the fake guest's echo logic sends it back
	// again, so the bytes bounce until the guest shuts down. Shut down
	// now and expect the reset that ends the connection.
	g.send(virtio.VsockHdr{SrcPort: 1234, DstPort: 6000, Op: virtio.VsockOpShutdown,
		Flags: virtio.VsockShutdownRcv | virtio.VsockShutdownSend}, nil)
	g.mu.Lock()
	delete(g.conns, [2]uint32{1234, 6000})
	g.mu.Unlock()
	for h := range g.packets {
		if h.Op == virtio.VsockOpRST && h.DstPort == 1234 {
			break
		}
	}
	// No listener: refused.
	g.send(virtio.VsockHdr{SrcPort: 1235, DstPort: 6001, Op: virtio.VsockOpRequest}, nil)
	if h := <-g.packets; h.Op != virtio.VsockOpRST || h.DstPort != 1235 {
		t.Fatalf("got %+v, want a reset", h)
	}
	teardown(t, b, g, uds)
}

func TestBusyPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = New(Config{GuestCID: 3, Forwards: []Forward{{HostAddr: l.Addr().String(), GuestPort: 1}}})
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("New on a busy port: %v", err)
	}
}

func TestParseForward(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Forward
		bad  bool
	}{
		{in: "8080:80", want: Forward{"127.0.0.1:8080", 80}},
		{in: "0.0.0.0:8080:80", want: Forward{"0.0.0.0:8080", 80}},
		{in: "8080", bad: true},
		{in: "x:80", bad: true},
		{in: "0:80", bad: true},
		{in: "8080:y", bad: true},
	} {
		got, err := ParseForward(tc.in)
		if tc.bad != (err != nil) || (!tc.bad && got != tc.want) {
			t.Errorf("ParseForward(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func TestNoGoroutinesLeft(t *testing.T) {
	before := runtime.NumGoroutine()
	b, g, uds := setup(t)
	g.mu.Lock()
	g.echo[1] = true
	g.mu.Unlock()
	c, br, err := dialGuest(t, uds, 1)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("half a transfer"))
	br.Peek(1)
	// Kill the guest mid-connection.
	teardown(t, b, g, uds)
	if _, err := io.ReadAll(br); err != nil {
		t.Errorf("host side after the guest died: %v", err)
	}
	c.Close()
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Close, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}
