package vsock

import (
	"bytes"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gotoro/gotoro/internal/virtio"
)

// syncLog is a log writer for the device, read by the test.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// forwardedEcho starts a backend forwarding a host TCP port to an echo
// server on guest port 22, connects to it and checks one round trip. It
// returns the host connection and the connection's key in the guest.
func forwardedEcho(t *testing.T) (*Backend, *fakeGuest, string, *syncLog, net.Conn, [2]uint32) {
	t.Helper()
	dir := t.TempDir()
	uds := filepath.Join(dir, "v.sock")
	log := &syncLog{}
	b, err := Start(filepath.Join(dir, "vhost.sock"), Config{GuestCID: testCID, UDSPath: uds, Log: log,
		Forwards: []Forward{{HostAddr: "127.0.0.1:0", GuestPort: 22}}})
	if err != nil {
		t.Fatal(err)
	}
	g := startGuest(t, b.SocketPath, testCID)
	g.mu.Lock()
	g.echo[22] = true
	g.mu.Unlock()
	c, err := net.Dial("tcp", b.Device.Addrs()[1].String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "ping" {
		t.Fatalf("echo: %q, %v", got, err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for k := range g.conns {
		if k[0] == 22 {
			return b, g, uds, log, c, k
		}
	}
	t.Fatal("the fake guest has no connection on port 22")
	return nil, nil, "", nil, nil, [2]uint32{}
}

// wantReset reads c to its end and checks that the end is a connection
// reset, not a clean end of stream.
func wantReset(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	rest, err := io.ReadAll(c)
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("host connection ended with %d more bytes and %v, want a connection reset", len(rest), err)
	}
}

// TestGuestResetIsAnError: a guest that resets a connection in the middle
// makes the host program's read fail (a TCP reset), never a clean end of
// stream that a client could take for complete data, and the device log
// says which connection and why.
func TestGuestResetIsAnError(t *testing.T) {
	b, g, uds, log, c, k := forwardedEcho(t)
	defer c.Close()
	g.mu.Lock()
	delete(g.conns, k)
	g.mu.Unlock()
	g.send(virtio.VsockHdr{SrcPort: k[0], DstPort: k[1], Op: virtio.VsockOpRST}, nil)
	wantReset(t, c)
	if !strings.Contains(log.String(), "aborted: the guest reset it") {
		t.Errorf("device log does not name the guest's reset:\n%s", log)
	}
	teardown(t, b, g, uds)
}

// TestStopAbortsOpenConnections: a connection still open when the device
// closes (the machine is gone) ends with a reset on the host side.
func TestStopAbortsOpenConnections(t *testing.T) {
	b, g, uds, log, c, _ := forwardedEcho(t)
	defer c.Close()
	teardown(t, b, g, uds)
	wantReset(t, c)
	if !strings.Contains(log.String(), "aborted: the guest machine stopped") {
		t.Errorf("device log does not say the machine stopped:\n%s", log)
	}
}

// TestGuestOverrunIsLogged: a guest that sends more than the host's
// credit gets a reset, and the log says what it did.
func TestGuestOverrunIsLogged(t *testing.T) {
	b, g, uds, log, c, k := forwardedEcho(t)
	defer c.Close()
	g.mu.Lock()
	delete(g.conns, k) // the test drives the connection by hand now
	g.mu.Unlock()
	big := make([]byte, txBufSize-virtio.VsockHdrSize)
	// Nothing reads c, so the host buffers what the guest sends; past
	// the socket's buffer and DefaultBufAlloc the guest is over its credit.
	for sent := 0; sent < 64<<20; sent += len(big) {
		g.send(virtio.VsockHdr{SrcPort: k[0], DstPort: k[1], Op: virtio.VsockOpRW}, big)
		if strings.Contains(log.String(), "aborted") {
			break
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(log.String(), "aborted: the guest overran its credit") {
		if time.Now().After(deadline) {
			t.Fatalf("no overrun in the device log:\n%s", log)
		}
		time.Sleep(10 * time.Millisecond)
	}
	wantReset(t, c)
	teardown(t, b, g, uds)
}
