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
	var hb [virtio.VsockHdrSize]byte
	for {
		handled := false
		for {
			c, ok, err := q.Pop()
			if err != nil {
				fmt.Fprintf(d.cfg.Log, "vsock: tx queue: %v\n", err)
				return
			}
			if !ok {
				break
			}
			if gather(c.Readable, 0, hb[:]) == virtio.VsockHdrSize {
				h := virtio.DecodeVsockHdr(hb[:])
				var data []byte
				if h.Op == virtio.VsockOpRW && h.Len > 0 {
					if int(h.Len) > c.ReadableLen()-virtio.VsockHdrSize || h.Len > d.cfg.BufAlloc {
						fmt.Fprintf(d.cfg.Log, "vsock: guest packet claims %d payload bytes, chain has %d\n", h.Len, c.ReadableLen()-virtio.VsockHdrSize)
						h.Len = 0
					} else {
						data = make([]byte, h.Len)
						gather(c.Readable, virtio.VsockHdrSize, data)
					}
				}
				d.mu.Lock()
				d.handleLocked(h, data)
				d.mu.Unlock()
			}
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
		if c != nil {
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
			c.resetLocked()
		} else {
			d.rstLocked(k)
		}
	}
}

// dialHost connects a guest's connection request to PATH_PORT.
func (d *Device) dialHost(c *conn) {
	defer d.wg.Done()
	path := d.cfg.UDSPath + "_" + strconv.FormatUint(uint64(c.key.host), 10)
	nc, err := net.Dial("unix", path)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		fmt.Fprintf(d.cfg.Log, "vsock: guest port %d connecting to host port %d: %v\n", c.key.guest, c.key.host, err)
		c.resetLocked()
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
