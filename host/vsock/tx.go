package vsock

import (
	"fmt"
	"net"
	"strconv"

	"github.com/gotoro/gotoro/host/vhostuser"
	"github.com/gotoro/gotoro/internal/virtio"
)

// txLoop handles the packets the guest sends.
func (d *Device) txLoop(q *vhostuser.Queue) {
	defer d.qwg.Done()
	for {
		handled := false
		for {
			// Back-pressure: while the guest leaves our packets for it
			// unread, its own (each may ask for a reply) wait in its tx
			// queue.
			d.mu.Lock()
			if d.fullLocked() && handled {
				d.mu.Unlock()
				q.Notify()
				handled = false
				d.mu.Lock()
			}
			for d.fullLocked() && !d.stoppedLocked() {
				d.room.Wait()
			}
			stuck := d.fullLocked()
			d.mu.Unlock()
			if stuck {
				return // stopped with the queue full
			}
			c, ok, err := q.Pop()
			if err != nil {
				fmt.Fprintf(d.cfg.Log, "vsock: tx queue: %v\n", err)
				return
			}
			if !ok {
				break
			}
			d.handleChain(c.Readable)
			q.Push(c.Head, 0)
			handled = true
		}
		if handled {
			q.Notify()
		}
		select {
		case <-q.Kicked():
		case <-d.stop:
			return
		}
	}
}

// handleChain decodes the packet in the readable buffers of one tx chain
// and acts on it. A payload longer than the chain or than our buffer is
// dropped (the header still counts: it may reset the connection).
func (d *Device) handleChain(readable [][]byte) {
	var hb [virtio.VsockHdrSize]byte
	if gather(readable, 0, hb[:]) != virtio.VsockHdrSize {
		return
	}
	h := virtio.DecodeVsockHdr(hb[:])
	total := 0
	for _, b := range readable {
		total += len(b)
	}
	var data []byte
	if h.Op == virtio.VsockOpRW && h.Len > 0 {
		if int64(h.Len) > int64(total-virtio.VsockHdrSize) || h.Len > d.cfg.BufAlloc {
			fmt.Fprintf(d.cfg.Log, "vsock: guest packet claims %d payload bytes, chain has %d\n", h.Len, total-virtio.VsockHdrSize)
			h.Len = 0
		} else {
			data = make([]byte, h.Len)
			gather(readable, virtio.VsockHdrSize, data)
		}
	}
	d.mu.Lock()
	d.handleLocked(h, data)
	d.mu.Unlock()
}

// gather copies from bufs, starting at offset off of their concatenation,
// into dst and returns the bytes copied.
func gather(bufs [][]byte, off int, dst []byte) int {
	n := 0
	for _, b := range bufs {
		if n == len(dst) {
			break
		}
		if off >= len(b) {
			off -= len(b)
			continue
		}
		n += copy(dst[n:], b[off:])
		off = 0
	}
	return n
}

// handleLocked acts on one packet from the guest.
func (d *Device) handleLocked(h virtio.VsockHdr, data []byte) {
	k := key{host: h.DstPort, guest: h.SrcPort}
	if h.SrcCID != d.cfg.GuestCID || h.DstCID != virtio.VsockHostCID || h.Type != virtio.VsockTypeStream {
		if h.Op != virtio.VsockOpRST {
			d.rstLocked(k)
		}
		return
	}
	c := d.conns[k]
	if c != nil {
		c.creditLocked(h.BufAlloc, h.FwdCnt)
	}
	switch h.Op {
	case virtio.VsockOpRequest:
		if c != nil || d.closed || d.cfg.UDSPath == "" {
			d.rstLocked(k)
			return
		}
		c = d.newConnLocked(k, nil, false, "")
		c.creditLocked(h.BufAlloc, h.FwdCnt)
		d.wg.Add(1)
		go d.dialHost(c)
	case virtio.VsockOpResponse:
		if c == nil || c.state != stConnecting || !c.fromHost {
			d.rstLocked(k)
			if c != nil {
				c.closeLocked()
			}
			return
		}
		c.establishLocked()
	case virtio.VsockOpRST:
		switch {
		case c == nil:
		case c.state == stEstablished:
			c.dropLocked("the guest reset it")
		default: // refused
			c.closeLocked()
		}
	case virtio.VsockOpShutdown:
		if c == nil {
			d.rstLocked(k)
			return
		}
		c.shutdownLocked(h.Flags)
	case virtio.VsockOpRW:
		if c == nil || c.state != stEstablished {
			d.rstLocked(k)
			return
		}
		c.receiveLocked(data)
	case virtio.VsockOpCreditUpdate:
		if c == nil {
			d.rstLocked(k)
		}
	case virtio.VsockOpCreditRequest:
		if c == nil {
			d.rstLocked(k)
			return
		}
		c.sendControlLocked(virtio.VsockOpCreditUpdate, 0)
	default:
		if c != nil {
			c.abortLocked(fmt.Sprintf("the guest sent an unknown operation %d", h.Op))
		} else {
			d.rstLocked(k)
		}
	}
}

// dialHost connects a guest's connection request to PATH_PORT.
func (d *Device) dialHost(c *conn) {
	defer d.wg.Done()
	path := d.cfg.UDSPath + "_" + strconv.FormatUint(uint64(c.key.host), 10)
	nc, err := net.DialTimeout("unix", path, ConnectTimeout)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		fmt.Fprintf(d.cfg.Log, "vsock: guest port %d connecting to host port %d: %v\n", c.key.guest, c.key.host, err)
		c.sendControlLocked(virtio.VsockOpRST, 0)
		c.closeLocked()
		return
	}
	if c.state == stClosed {
		nc.Close()
		return
	}
	c.nc, c.rd = nc, nc
	c.sendControlLocked(virtio.VsockOpResponse, 0)
	c.establishLocked()
}
