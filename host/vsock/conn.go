package vsock

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/gotoro/gotoro/internal/virtio"
)

type connState int

const (
	stConnecting  connState = iota // waiting for the guest's response
	stEstablished                  // data flows
	stClosed                       // reset or finished; removed from the device
)

// conn is one connection between a guest port and a host socket. All
// fields are guarded by the device's mutex.
type conn struct {
	d        *Device
	key      key
	nc       net.Conn
	rd       io.Reader // reads nc (through the CONNECT line's buffer)
	fromHost bool      // the host side connected
	okLine   string    // written to nc once the guest accepts
	state    connState
	// reqGiven is when the guest got our connection request (in its
	// receive queue), for the connect timeout's report.
	reqGiven time.Time
	cond     sync.Cond

	// guest → host
	buf      []byte // received, not yet written to nc
	inflight int    // bytes being written to nc
	fwdCnt   uint32 // bytes written to nc
	sentFwd  uint32 // fwdCnt last told to the guest
	wrClosed bool   // nc's write side is shut

	// host → guest
	peerAlloc, peerFwd uint32 // the guest's credit
	txCnt              uint32 // bytes sent to the guest

	guestNoSend, guestNoRecv, hostEOF bool
}

// newConnLocked registers a connection.
func (d *Device) newConnLocked(k key, nc net.Conn, fromHost bool, okLine string) *conn {
	c := &conn{d: d, key: k, nc: nc, rd: nc, fromHost: fromHost, okLine: okLine}
	c.cond.L = &d.mu
	d.conns[k] = c
	return c
}

// creditLocked records the guest's buffer space from a packet header.
func (c *conn) creditLocked(alloc, fwd uint32) {
	c.peerAlloc, c.peerFwd = alloc, fwd
	c.cond.Broadcast()
}

// peerCredit returns how many bytes the guest can take now.
func (c *conn) peerCredit() uint32 {
	used := c.txCnt - c.peerFwd
	if used >= c.peerAlloc {
		return 0
	}
	return c.peerAlloc - used
}

// sendControlLocked sends a packet without payload.
func (c *conn) sendControlLocked(op uint16, flags uint32) {
	c.sendLocked(virtio.VsockHdr{Op: op, Flags: flags}, nil)
}

// sendLocked queues a packet for the guest, with this side's credit.
func (c *conn) sendLocked(h virtio.VsockHdr, data []byte) {
	h.SrcPort, h.DstPort = c.key.host, c.key.guest
	h.BufAlloc, h.FwdCnt = c.d.cfg.BufAlloc, c.fwdCnt
	c.sentFwd = c.fwdCnt
	c.d.queueLocked(packet{hdr: h, data: data})
}

// establishLocked starts moving data.
func (c *conn) establishLocked() {
	c.state = stEstablished
	c.d.wg.Add(2)
	go c.reader()
	go c.writer()
}

// receiveLocked buffers payload from the guest.
func (c *conn) receiveLocked(data []byte) {
	if c.guestNoSend {
		c.abortLocked(fmt.Sprintf("the guest sent %d bytes after shutting its sending side", len(data)))
		return
	}
	if held := len(c.buf) + c.inflight; held+len(data) > int(c.d.cfg.BufAlloc) {
		c.abortLocked(fmt.Sprintf("the guest overran its credit: %d bytes with %d of %d buffered", len(data), held, c.d.cfg.BufAlloc))
		return
	}
	c.buf = append(c.buf, data...)
	c.cond.Broadcast()
}

// shutdownLocked records the guest's shutdown flags.
func (c *conn) shutdownLocked(flags uint32) {
	if flags&virtio.VsockShutdownSend != 0 {
		c.guestNoSend = true
	}
	if flags&virtio.VsockShutdownRcv != 0 {
		c.guestNoRecv = true
	}
	c.cond.Broadcast()
	c.maybeFinishLocked()
}

// maybeFinishLocked ends a connection both sides are done with: the
// guest sends nothing more and everything it sent was written, and the
// host side has nothing more to send or the guest takes nothing more.
// The reset tells the guest the connection is gone, as vsock requires.
func (c *conn) maybeFinishLocked() {
	if c.state == stEstablished && c.guestNoSend && c.wrClosed && (c.guestNoRecv || c.hostEOF) {
		c.sendControlLocked(virtio.VsockOpRST, 0)
		c.closeLocked()
	}
}

// abortLocked ends the connection before both sides were done: it logs
// why, tells the guest with a reset and closes the host socket so that
// the host program sees an error where it can (a TCP reset), never a
// clean end of stream.
func (c *conn) abortLocked(why string) {
	if c.state == stClosed {
		return
	}
	c.sendControlLocked(virtio.VsockOpRST, 0)
	c.dropLocked(why)
}

// dropLocked is abortLocked without the reset, for a connection the guest
// already reset (or never had).
func (c *conn) dropLocked(why string) {
	if c.state == stClosed {
		return
	}
	fmt.Fprintf(c.d.cfg.Log, "vsock: connection host port %d, guest port %d aborted: %s\n", c.key.host, c.key.guest, why)
	if tc, ok := c.nc.(*net.TCPConn); ok {
		tc.SetLinger(0) // close sends a TCP reset
	}
	c.closeLocked()
}

// closeLocked forgets the connection and closes the host socket.
func (c *conn) closeLocked() {
	if c.state == stClosed {
		return
	}
	c.state = stClosed
	c.d.room.Broadcast() // its reader may wait for room
	delete(c.d.conns, c.key)
	if c.nc != nil {
		c.nc.Close()
	}
	c.cond.Broadcast()
}

// reader moves data from the host socket to the guest, within the
// guest's credit.
func (c *conn) reader() {
	d := c.d
	defer d.wg.Done()
	if c.okLine != "" {
		if _, err := io.WriteString(c.nc, c.okLine); err != nil {
			d.mu.Lock()
			c.abortLocked(fmt.Sprintf("writing the CONNECT reply: %v", err))
			d.mu.Unlock()
			return
		}
	}
	buf := make([]byte, 64<<10)
	for {
		d.mu.Lock()
		for c.state == stEstablished && !c.guestNoRecv && c.peerCredit() == 0 {
			c.cond.Wait()
		}
		for c.state == stEstablished && d.fullLocked() && !d.stoppedLocked() {
			d.room.Wait()
		}
		if c.state != stEstablished || c.guestNoRecv {
			d.mu.Unlock()
			return
		}
		n := min(int(c.peerCredit()), len(buf))
		d.mu.Unlock()
		m, err := c.rd.Read(buf[:n])
		d.mu.Lock()
		if c.state != stEstablished {
			d.mu.Unlock()
			return
		}
		if m > 0 && !c.guestNoRecv {
			c.txCnt += uint32(m)
			c.sendLocked(virtio.VsockHdr{Op: virtio.VsockOpRW}, append([]byte(nil), buf[:m]...))
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				c.hostEOF = true
				c.sendControlLocked(virtio.VsockOpShutdown, virtio.VsockShutdownSend)
				c.maybeFinishLocked()
			} else {
				c.abortLocked(fmt.Sprintf("reading the host socket: %v", err))
			}
			d.mu.Unlock()
			return
		}
		d.mu.Unlock()
	}
}

// writer moves data from the guest to the host socket and returns credit.
func (c *conn) writer() {
	d := c.d
	defer d.wg.Done()
	for {
		d.mu.Lock()
		for c.state == stEstablished && len(c.buf) == 0 && !c.guestNoSend {
			c.cond.Wait()
		}
		if c.state != stEstablished {
			d.mu.Unlock()
			return
		}
		if len(c.buf) == 0 { // the guest shut its sending side
			d.mu.Unlock()
			closeWrite(c.nc)
			d.mu.Lock()
			c.wrClosed = true
			c.maybeFinishLocked()
			d.mu.Unlock()
			return
		}
		chunk := c.buf
		c.buf, c.inflight = nil, len(chunk)
		d.mu.Unlock()
		_, err := c.nc.Write(chunk)
		d.mu.Lock()
		c.inflight = 0
		if c.state != stEstablished {
			d.mu.Unlock()
			return
		}
		if err != nil {
			c.abortLocked(fmt.Sprintf("writing the host socket: %v", err))
			d.mu.Unlock()
			return
		}
		c.fwdCnt += uint32(len(chunk))
		if c.fwdCnt-c.sentFwd >= d.cfg.BufAlloc/4 {
			c.sendControlLocked(virtio.VsockOpCreditUpdate, 0)
		}
		d.mu.Unlock()
	}
}

// closeWrite shuts the write side of a socket that supports it.
func closeWrite(nc net.Conn) {
	if cw, ok := nc.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
}
