package vsock

import (
	"bytes"
	"io"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/vhostuser/vhostusertest"
	"github.com/gotoro/gotoro/internal/virtio"
)

// pendingLen reads the device's queue length for the guest.
func pendingLen(d *Device) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.pending)
}

// TestPendingBounded: a guest that posts no receive buffers and sends
// packets that each provoke a reset cannot grow the host's queue past
// maxPending: the device stops taking its packets until it posts
// buffers, and then everything moves again.
func TestPendingBounded(t *testing.T) {
	dir := t.TempDir()
	b, err := Start(filepath.Join(dir, "vhost.sock"), Config{GuestCID: testCID})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	f, err := vhostusertest.Dial(b.SocketPath, 4<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Handshake(1<<virtio.FeatureVersion1, virtio.VsockConfigSize); err != nil {
		t.Fatal(err)
	}
	rx, err := f.SetupRing(virtio.VsockQueueRX, ringSize)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := f.SetupRing(virtio.VsockQueueTX, ringSize)
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	defer tx.Close()

	const packets = 5 * maxPending
	var sent atomic.Int64
	senderDone := make(chan struct{})
	go func() {
		defer close(senderDone)
		var free []uint64
		for i := 0; i < ringSize; i++ {
			free = append(free, f.Alloc(virtio.VsockHdrSize, 8))
		}
		busy := map[uint16]uint64{}
		for i := 0; i < packets; i++ {
			for len(free) == 0 {
				if head, _, ok := tx.Used(); ok {
					free = append(free, busy[head])
					delete(busy, head)
					continue
				}
				if tx.WaitCall() != nil {
					return
				}
			}
			a := free[len(free)-1]
			free = free[:len(free)-1]
			// Data on a connection that does not exist: the host
			// answers each with a reset.
			h := virtio.VsockHdr{SrcCID: testCID, DstCID: virtio.VsockHostCID, SrcPort: uint32(i), DstPort: 80,
				Type: virtio.VsockTypeStream, Op: virtio.VsockOpCreditUpdate, BufAlloc: guestAlloc}
			h.Encode(f.Bytes(a, virtio.VsockHdrSize))
			head, _ := tx.Add(vhostusertest.Buf{Addr: a, Len: virtio.VsockHdrSize})
			busy[head] = a
			tx.Kick()
			sent.Add(1)
		}
	}()
	time.Sleep(2 * time.Second)
	if n := pendingLen(b.Device); n > maxPending {
		t.Errorf("%d packets queued for a guest that takes none; the bound is %d", n, maxPending)
	}
	if s := sent.Load(); s >= packets {
		t.Errorf("the guest sent all %d packets while taking none: no back-pressure", s)
	} else {
		t.Logf("the guest is held after %d packets, %d queued", s, pendingLen(b.Device))
	}
	// The guest posts buffers and reads: the rest goes through.
	var resets atomic.Int64
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		bufs := map[uint16]uint64{}
		post := func(a uint64) {
			head, _ := rx.Add(vhostusertest.Buf{Addr: a, Len: rxBufSize, Write: true})
			bufs[head] = a
		}
		for i := 0; i < ringSize; i++ {
			post(f.Alloc(rxBufSize, 8))
		}
		rx.Kick()
		for resets.Load() < packets {
			for {
				head, n, ok := rx.Used()
				if !ok {
					break
				}
				a := bufs[head]
				delete(bufs, head)
				if virtio.DecodeVsockHdr(f.Bytes(a, int(n))).Op == virtio.VsockOpRST {
					resets.Add(1)
				}
				post(a)
			}
			rx.Kick()
			if resets.Load() >= packets || rx.WaitCall() != nil {
				return
			}
		}
	}()
	select {
	case <-readerDone:
	case <-time.After(time.Minute):
		t.Fatalf("after the guest posted buffers: %d of %d packets sent, %d resets received", sent.Load(), packets, resets.Load())
	}
	<-senderDone
	if r := resets.Load(); r != packets {
		t.Errorf("%d resets for %d packets", r, packets)
	}
}

// TestConnectTimeout: a connection from the host that the guest neither
// accepts nor refuses is reset after ConnectTimeout, and the host socket
// is closed.
func TestConnectTimeout(t *testing.T) {
	b, g, uds := setup(t)
	c, err := net.Dial("unix", uds)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "CONNECT 9\n")
	start := time.Now()
	req := <-g.packets
	if req.Op != virtio.VsockOpRequest {
		t.Fatalf("got %+v, want a request", req)
	}
	// The guest says nothing.
	c.SetReadDeadline(time.Now().Add(ConnectTimeout + 10*time.Second))
	got, err := io.ReadAll(c)
	if err != nil || len(got) != 0 {
		t.Fatalf("the host socket read %q, %v; want EOF", got, err)
	}
	if d := time.Since(start); d < ConnectTimeout-100*time.Millisecond {
		t.Errorf("reset after %v, before the %v timeout", d, ConnectTimeout)
	}
	select {
	case h := <-g.packets:
		if h.Op != virtio.VsockOpRST || h.SrcPort != req.SrcPort {
			t.Errorf("got %+v, want a reset for the request", h)
		}
	case <-time.After(10 * time.Second):
		t.Error("the guest was not told that the request was withdrawn")
	}
	b.Device.mu.Lock()
	n := len(b.Device.conns)
	b.Device.mu.Unlock()
	if n != 0 {
		t.Errorf("%d connections left", n)
	}
	teardown(t, b, g, uds)
}

// FuzzHandleChain hands arbitrary tx chains (split into buffers at the
// given points) to the packet handler, in sequence: nothing may panic,
// and the device must close cleanly afterwards.
func FuzzHandleChain(f *testing.F) {
	hdr := func(op uint16, src, dst uint32, n int) []byte {
		b := make([]byte, virtio.VsockHdrSize+n)
		h := virtio.VsockHdr{SrcCID: testCID, DstCID: virtio.VsockHostCID, SrcPort: src, DstPort: dst, Len: uint32(n),
			Type: virtio.VsockTypeStream, Op: op, BufAlloc: 4096}
		h.Encode(b)
		return b
	}
	f.Add(hdr(virtio.VsockOpRequest, 1000, 80, 0), uint8(10))
	f.Add(append(hdr(virtio.VsockOpRW, 1000, 80, 5), "hello"...), uint8(44))
	f.Add(bytes.Join([][]byte{hdr(virtio.VsockOpRequest, 1, 2, 0), hdr(virtio.VsockOpShutdown, 1, 2, 0), hdr(virtio.VsockOpRST, 1, 2, 0)}, nil), uint8(44))
	f.Add(hdr(virtio.VsockOpRW, 7, 7, 1<<20)[:100], uint8(3))
	f.Add([]byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, in []byte, split uint8) {
		if len(in) > 1<<16 {
			return
		}
		d, err := New(Config{GuestCID: testCID, UDSPath: filepath.Join(t.TempDir(), "v.sock")})
		if err != nil {
			t.Fatal(err)
		}
		// Packets of up to 44+n bytes each, every chain split in two.
		for len(in) > 0 {
			n := min(len(in), virtio.VsockHdrSize+int(split))
			chain := in[:n]
			in = in[n:]
			cut := min(int(split)%(n+1), n)
			d.handleChain([][]byte{chain[:cut], chain[cut:]})
		}
		if n := pendingLen(d); n > 1<<16 {
			t.Fatalf("%d packets queued", n)
		}
		w := time.AfterFunc(10*time.Second, func() { panic("Device.Close hangs") })
		d.Close()
		w.Stop()
	})
}
