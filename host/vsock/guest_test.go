package vsock

import (
	"sync"
	"testing"

	"github.com/gotoro/gotoro/host/vhostuser/vhostusertest"
	"github.com/gotoro/gotoro/internal/virtio"
)

// fakeGuest plays a guest's vsock driver and a small stream stack over a
// vhostusertest frontend: echo servers on listening ports, and raw packet
// access for tests that drive the protocol by hand.
type fakeGuest struct {
	t      *testing.T
	f      *vhostusertest.Frontend
	rx, tx *vhostusertest.Ring
	cid    uint64

	txMu   sync.Mutex
	txBufs []uint64          // free header+payload buffers
	txBusy map[uint16]uint64 // buffers in the ring, by head

	mu      sync.Mutex
	echo    map[uint32]bool      // listening echo ports
	conns   map[[2]uint32]*gconn // (guest port, host port)
	packets chan virtio.VsockHdr // packets not consumed by echo conns
	rxBufs  map[uint16]uint64
	done    chan struct{}
}

// gconn is one echo connection in the fake guest.
type gconn struct {
	hostAlloc, hostFwd uint32
	sent, fwd          uint32
	backlog            []byte // echo data waiting for host credit
	closing            bool   // shut down once the backlog is sent
}

const (
	guestAlloc = 1 << 20
	rxBufSize  = virtio.VsockHdrSize + 4096
	txBufSize  = virtio.VsockHdrSize + 64<<10
	ringSize   = 64
)

func startGuest(t *testing.T, sock string, cid uint64) *fakeGuest {
	t.Helper()
	f, err := vhostusertest.Dial(sock, 16<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Handshake(1<<virtio.FeatureVersion1, virtio.VsockConfigSize); err != nil {
		t.Fatal(err)
	}
	g := &fakeGuest{t: t, f: f, cid: cid, echo: map[uint32]bool{}, conns: map[[2]uint32]*gconn{},
		packets: make(chan virtio.VsockHdr, 1024), rxBufs: map[uint16]uint64{}, txBusy: map[uint16]uint64{}, done: make(chan struct{})}
	if g.rx, err = f.SetupRing(virtio.VsockQueueRX, ringSize); err != nil {
		t.Fatal(err)
	}
	if g.tx, err = f.SetupRing(virtio.VsockQueueTX, ringSize); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < ringSize; i++ {
		g.txBufs = append(g.txBufs, f.Alloc(txBufSize, 8))
		a := f.Alloc(rxBufSize, 8)
		head, _ := g.rx.Add(vhostusertest.Buf{Addr: a, Len: rxBufSize, Write: true})
		g.rxBufs[head] = a
	}
	g.rx.Kick()
	go g.receive()
	return g
}

// stop disconnects the frontend, waits for the receive loop and only then
// unmaps guest memory, which the loop reads.
func (g *fakeGuest) stop() {
	g.f.Disconnect()
	g.rx.Close()
	<-g.done
	g.tx.Close()
	g.f.Close()
}

// receive handles packets from the device until the frontend closes.
func (g *fakeGuest) receive() {
	defer close(g.done)
	for {
		for {
			head, n, ok := g.rx.Used()
			if !ok {
				break
			}
			a := g.rxBufs[head]
			delete(g.rxBufs, head)
			b := g.f.Bytes(a, int(n))
			h := virtio.DecodeVsockHdr(b)
			g.handle(h, append([]byte(nil), b[virtio.VsockHdrSize:]...))
			head, _ = g.rx.Add(vhostusertest.Buf{Addr: a, Len: rxBufSize, Write: true})
			g.rxBufs[head] = a
			g.rx.Kick()
		}
		if g.rx.WaitCall() != nil {
			return
		}
	}
}

func (g *fakeGuest) handle(h virtio.VsockHdr, data []byte) {
	g.mu.Lock()
	k := [2]uint32{h.DstPort, h.SrcPort}
	c := g.conns[k]
	switch {
	case h.Op == virtio.VsockOpRequest && g.echo[h.DstPort]:
		c = &gconn{hostAlloc: h.BufAlloc, hostFwd: h.FwdCnt}
		g.conns[k] = c
		g.mu.Unlock()
		g.send(virtio.VsockHdr{SrcPort: h.DstPort, DstPort: h.SrcPort, Op: virtio.VsockOpResponse}, nil)
		return
	case c != nil:
		c.hostAlloc, c.hostFwd = h.BufAlloc, h.FwdCnt
		switch h.Op {
		case virtio.VsockOpRW:
			c.fwd += uint32(len(data))
			c.backlog = append(c.backlog, data...)
		case virtio.VsockOpShutdown:
			// The host sends no more: echo what is left, then close.
			c.closing = true
		case virtio.VsockOpRST:
			delete(g.conns, k)
			g.mu.Unlock()
			return
		}
		g.flushLocked(k, c)
		g.mu.Unlock()
		return
	}
	g.mu.Unlock()
	g.packets <- h
}

// flushLocked echoes as much backlog as the host's credit allows.
func (g *fakeGuest) flushLocked(k [2]uint32, c *gconn) {
	for len(c.backlog) > 0 {
		credit := c.hostAlloc - (c.sent - c.hostFwd)
		n := min(len(c.backlog), int(credit), txBufSize-virtio.VsockHdrSize)
		if n == 0 {
			return
		}
		c.sent += uint32(n)
		g.send(virtio.VsockHdr{SrcPort: k[0], DstPort: k[1], Op: virtio.VsockOpRW, FwdCnt: c.fwd}, c.backlog[:n])
		c.backlog = c.backlog[n:]
	}
	if c.closing {
		c.closing = false
		g.send(virtio.VsockHdr{SrcPort: k[0], DstPort: k[1], Op: virtio.VsockOpShutdown,
			Flags: virtio.VsockShutdownRcv | virtio.VsockShutdownSend}, nil)
	}
}

// send transmits one packet (from the guest's CID, with the guest's
// credit unless FwdCnt is set by the caller).
func (g *fakeGuest) send(h virtio.VsockHdr, data []byte) {
	g.txMu.Lock()
	defer g.txMu.Unlock()
	for len(g.txBufs) == 0 {
		if head, _, ok := g.tx.Used(); ok {
			g.txBufs = append(g.txBufs, g.txBusy[head])
			delete(g.txBusy, head)
			continue
		}
		if err := g.tx.WaitCall(); err != nil {
			return
		}
	}
	a := g.txBufs[len(g.txBufs)-1]
	g.txBufs = g.txBufs[:len(g.txBufs)-1]
	h.SrcCID, h.DstCID, h.Type, h.Len = g.cid, virtio.VsockHostCID, virtio.VsockTypeStream, uint32(len(data))
	if h.BufAlloc == 0 {
		h.BufAlloc = guestAlloc
	}
	b := g.f.Bytes(a, virtio.VsockHdrSize+len(data))
	h.Encode(b)
	copy(b[virtio.VsockHdrSize:], data)
	head, _ := g.tx.Add(vhostusertest.Buf{Addr: a, Len: uint32(len(b))})
	g.txBusy[head] = a
	g.tx.Kick()
}
