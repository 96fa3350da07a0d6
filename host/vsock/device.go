package vsock

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/gotoro/gotoro/host/vhostuser"
	"github.com/gotoro/gotoro/internal/virtio"
)

// key names a connection: the host-side port and the guest-side port.
type key struct {
	host, guest uint32
}

// packet is one packet waiting for the guest's rx queue.
type packet struct {
	hdr  virtio.VsockHdr
	data []byte
}

// Device is a vsock device for vhostuser.Serve. Create it with New.
type Device struct {
	cfg       Config
	mu        sync.Mutex
	conns     map[key]*conn
	pending   []packet // to the guest, in order
	nextPort  uint32
	closed    bool
	wakeRX    chan struct{}
	listeners []net.Listener
	shaking   map[net.Conn]bool // host sockets before their CONNECT line
	wg        sync.WaitGroup    // listener and connection goroutines

	stop chan struct{} // closed by Stop
	qwg  sync.WaitGroup

	// room is signalled when pending shrinks below maxPending (or the
	// device stops): the tx loop and the connection readers wait on it.
	room sync.Cond
}

// maxPending bounds the packets waiting for the guest's receive buffers.
// Past it the device stops taking the guest's packets (each may ask for
// a reply) and host data, until the guest posts buffers: a guest that
// posts none cannot make the host queue without bound.
const maxPending = 1024

// ConnectTimeout is how long a connection from the host waits for the
// guest to accept or refuse it (Linux's vsock connect timeout), and how
// long a guest's connection waits for the host socket to accept.
const ConnectTimeout = 2 * time.Second

// fullLocked reports whether the pending queue is at its bound.
func (d *Device) fullLocked() bool { return len(d.pending) >= maxPending }

// stoppedLocked reports whether the queues were stopped or the device
// closed: nothing will drain the pending queue any more.
func (d *Device) stoppedLocked() bool {
	if d.closed {
		return true
	}
	select {
	case <-d.stop:
		return true
	default:
		return false
	}
}

// New creates a device and starts listening on cfg.UDSPath and the
// forwarded TCP ports. A busy port or an existing socket file is an
// error. Close releases everything.
func New(cfg Config) (*Device, error) {
	if cfg.GuestCID < 3 || cfg.GuestCID >= 0xffffffff {
		return nil, fmt.Errorf("invalid guest CID %d: want 3 to 4294967294", cfg.GuestCID)
	}
	if cfg.BufAlloc == 0 {
		cfg.BufAlloc = DefaultBufAlloc
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	d := &Device{cfg: cfg, conns: map[key]*conn{}, nextPort: 1 << 30, wakeRX: make(chan struct{}, 1), stop: make(chan struct{})}
	d.room.L = &d.mu
	if cfg.UDSPath != "" {
		l, err := net.Listen("unix", cfg.UDSPath)
		if err != nil {
			return nil, fmt.Errorf("vsock: listening on %s: %w", cfg.UDSPath, err)
		}
		d.listeners = append(d.listeners, l)
		d.wg.Add(1)
		go d.acceptLoop(l, 0)
	}
	for _, f := range cfg.Forwards {
		l, err := net.Listen("tcp", f.HostAddr)
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("vsock: forwarding %s to guest port %d: %w", f.HostAddr, f.GuestPort, err)
		}
		d.listeners = append(d.listeners, l)
		d.wg.Add(1)
		go d.acceptLoop(l, f.GuestPort)
	}
	return d, nil
}

// Addrs returns the addresses the device listens on (the Unix socket
// first if there is one, then the forwards), for tests that pick port 0.
func (d *Device) Addrs() []net.Addr {
	var a []net.Addr
	for _, l := range d.listeners {
		a = append(a, l.Addr())
	}
	return a
}

// Close stops listening, resets every connection, removes the Unix socket
// file and waits for all of the device's goroutines. Stop the vhost-user
// session first.
func (d *Device) Close() error {
	d.mu.Lock()
	d.closed = true
	d.room.Broadcast()
	for _, c := range d.conns {
		// The machine is gone with the connection still open: its
		// host end must not read as a clean end of stream.
		c.dropLocked("the guest machine stopped")
	}
	for nc := range d.shaking {
		nc.Close()
	}
	d.mu.Unlock()
	for _, l := range d.listeners {
		l.Close() // a Unix listener removes its socket file
	}
	d.wg.Wait()
	return nil
}

// Features implements vhostuser.Device: stream sockets only.
func (d *Device) Features() uint64 { return 0 }

// Config implements vhostuser.Device: the guest CID.
func (d *Device) Config() []byte {
	return binary.LittleEndian.AppendUint64(nil, d.cfg.GuestCID)
}

// NumQueues implements vhostuser.Device: rx and tx; QEMU serves the event
// queue itself.
func (d *Device) NumQueues() int { return 2 }

// Start implements vhostuser.Device.
func (d *Device) Start(qs []*vhostuser.Queue) {
	d.mu.Lock()
	d.stop = make(chan struct{})
	d.mu.Unlock()
	d.qwg.Add(2)
	go d.rxLoop(qs[virtio.VsockQueueRX])
	go d.txLoop(qs[virtio.VsockQueueTX])
}

// Stop implements vhostuser.Device. Connections survive a stop; only the
// queues are released.
func (d *Device) Stop() {
	d.mu.Lock()
	close(d.stop)
	d.room.Broadcast()
	d.mu.Unlock()
	d.qwg.Wait()
}

// queueLocked appends a packet for the guest and wakes the rx loop.
func (d *Device) queueLocked(p packet) {
	p.hdr.SrcCID = virtio.VsockHostCID
	p.hdr.DstCID = d.cfg.GuestCID
	p.hdr.Type = virtio.VsockTypeStream
	p.hdr.Len = uint32(len(p.data))
	d.pending = append(d.pending, p)
	select {
	case d.wakeRX <- struct{}{}:
	default:
	}
}

// rstLocked sends a reset for k without any connection state.
func (d *Device) rstLocked(k key) {
	d.queueLocked(packet{hdr: virtio.VsockHdr{SrcPort: k.host, DstPort: k.guest, Op: virtio.VsockOpRST}})
}

// rxLoop moves pending packets into the guest's receive buffers.
func (d *Device) rxLoop(q *vhostuser.Queue) {
	defer d.qwg.Done()
	for {
		d.mu.Lock()
		moved := false
		for len(d.pending) > 0 {
			c, ok, err := q.Pop()
			if err != nil {
				d.mu.Unlock()
				fmt.Fprintf(d.cfg.Log, "vsock: rx queue: %v\n", err)
				return
			}
			if !ok {
				break
			}
			n := d.fillLocked(&c)
			q.Push(c.Head, uint32(n))
			moved = true
		}
		if moved && !d.fullLocked() {
			d.room.Broadcast()
		}
		d.mu.Unlock()
		if moved {
			q.Notify()
		}
		select {
		case <-q.Kicked():
		case <-d.wakeRX:
		case <-d.stop:
			return
		}
	}
}

// fillLocked writes the first pending packet into chain c, splitting its
// payload if the chain is too small, and returns the bytes written.
func (d *Device) fillLocked(c *vhostuser.Chain) int {
	p := &d.pending[0]
	room := c.WritableLen() - virtio.VsockHdrSize
	if room < 0 {
		// Too small even for a header: return it empty; the guest
		// driver never posts such buffers.
		return 0
	}
	data := p.data
	if len(data) > room {
		data = data[:room]
	}
	h := p.hdr
	h.Len = uint32(len(data))
	var hb [virtio.VsockHdrSize]byte
	h.Encode(hb[:])
	n := scatter(c.Writable, 0, hb[:])
	n = scatter(c.Writable, n, data)
	if len(data) < len(p.data) {
		p.data = p.data[len(data):]
	} else {
		if h.Op == virtio.VsockOpRequest {
			if c := d.conns[key{host: h.SrcPort, guest: h.DstPort}]; c != nil {
				c.reqGiven = time.Now()
			}
		}
		d.pending[0] = packet{}
		d.pending = d.pending[1:]
	}
	return n
}

// scatter copies src into bufs starting at byte offset off of their
// concatenation and returns the offset after the last byte copied.
func scatter(bufs [][]byte, off int, src []byte) int {
	end := off + len(src)
	for _, b := range bufs {
		if len(src) == 0 {
			break
		}
		if off >= len(b) {
			off -= len(b)
			continue
		}
		n := copy(b[off:], src)
		src = src[n:]
		off = 0
	}
	return end - len(src)
}
