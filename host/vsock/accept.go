package vsock

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gotoro/gotoro/internal/virtio"
)

// acceptLoop accepts host connections on l until it is closed. guestPort
// 0 means the Unix socket, whose clients name the port in a CONNECT line.
func (d *Device) acceptLoop(l net.Listener, guestPort uint32) {
	defer d.wg.Done()
	for {
		nc, err := l.Accept()
		if err != nil {
			return
		}
		d.wg.Add(1)
		go d.hostConnect(nc, guestPort)
	}
}

// maxConnectLine bounds the CONNECT line.
const maxConnectLine = 64

// hostConnect asks the guest to accept a connection from the host.
func (d *Device) hostConnect(nc net.Conn, guestPort uint32) {
	defer d.wg.Done()
	var rd interface{ Read([]byte) (int, error) } = nc
	viaUDS := guestPort == 0
	if viaUDS {
		br := bufio.NewReaderSize(nc, maxConnectLine)
		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			nc.Close()
			return
		}
		d.handshaking(nc, true)
		d.mu.Unlock()
		line, err := br.ReadSlice('\n')
		d.mu.Lock()
		d.handshaking(nc, false)
		d.mu.Unlock()
		p, perr := parseConnect(string(line))
		if err != nil || perr != nil {
			if perr != nil && err == nil {
				fmt.Fprintf(d.cfg.Log, "vsock: %v\n", perr)
			}
			nc.Close()
			return
		}
		guestPort, rd = p, br
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		nc.Close()
		return
	}
	k := key{guest: guestPort}
	for {
		k.host = d.nextPort
		d.nextPort++
		if d.nextPort == 0 {
			d.nextPort = 1 << 30
		}
		if _, busy := d.conns[k]; !busy {
			break
		}
	}
	okLine := ""
	if viaUDS {
		okLine = fmt.Sprintf("OK %d\n", k.host)
	}
	c := d.newConnLocked(k, nc, true, okLine)
	c.rd = rd
	c.sendControlLocked(virtio.VsockOpRequest, 0)
	// A guest that neither accepts nor refuses must not hold the host
	// socket forever.
	time.AfterFunc(ConnectTimeout, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if c.state == stConnecting {
			why := fmt.Sprintf("the guest did not answer the connection request within %s", ConnectTimeout)
			if c.reqGiven.IsZero() {
				why += " (the request was still waiting for the guest's receive buffers)"
			} else {
				why += fmt.Sprintf(" (it had the request for %s)", time.Since(c.reqGiven).Round(time.Millisecond))
			}
			c.abortLocked(why)
		}
	})
}

// parseConnect parses "CONNECT <port>\n".
func parseConnect(line string) (uint32, error) {
	s, ok := strings.CutPrefix(line, "CONNECT ")
	if !ok || !strings.HasSuffix(s, "\n") {
		return 0, fmt.Errorf("bad request %q: want \"CONNECT <port>\\n\"", line)
	}
	p, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("bad port in %q", line)
	}
	return uint32(p), nil
}

// handshaking tracks host sockets still sending their CONNECT line, so
// that Close can end them.
func (d *Device) handshaking(nc net.Conn, on bool) {
	if d.shaking == nil {
		d.shaking = map[net.Conn]bool{}
	}
	if on {
		d.shaking[nc] = true
	} else {
		delete(d.shaking, nc)
	}
}
