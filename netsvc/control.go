package netsvc

import (
	"errors"
	"io"
	"net/netip"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// serveControl reads the kernel's records from /dev/netctl and acts on
// them.
func (sv *service) serveControl() {
	buf := make([]byte, 4*maxRecord)
	for {
		n, err := sv.ctl.Read(buf)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				logf("reading /dev/netctl: %v", err)
			}
			return
		}
		recs, err := parseRecords(buf[:n])
		if err != nil {
			logf("%v", err)
		}
		for _, r := range recs {
			switch r.op {
			case opConnect:
				go sv.connectTCP(r)
			case opUDPBind:
				sv.udpPort(r.lport)
			case opUDPClose:
				sv.closeUDPPort(r.lport)
			case opUDPSend:
				sv.sendUDP(r)
			}
		}
	}
}

// udpPort is a datagram port the service listens on for a program.
type udpPort struct {
	conn *gonet.UDPConn
}

// udpPort returns the port lport, opening it if needed.
func (sv *service) udpPort(lport uint16) *udpPort {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if p := sv.ports[lport]; p != nil {
		return p
	}
	var wq waiter.Queue
	ep, terr := sv.stack.NewEndpoint(udp.ProtocolNumber, ipv4.ProtocolNumber, &wq)
	if terr != nil {
		logf("opening UDP port %d: %s", lport, terr)
		return nil
	}
	if terr := ep.Bind(tcpip.FullAddress{NIC: nicID, Port: lport}); terr != nil {
		ep.Close()
		logf("binding UDP port %d: %s", lport, terr)
		return nil
	}
	p := &udpPort{conn: gonet.NewUDPConn(&wq, ep)}
	sv.ports[lport] = p
	go sv.receiveUDP(lport, p)
	return p
}

func (sv *service) closeUDPPort(lport uint16) {
	sv.mu.Lock()
	p := sv.ports[lport]
	delete(sv.ports, lport)
	sv.mu.Unlock()
	if p != nil {
		p.conn.Close()
	}
}

// sendUDP sends the datagram in r.
func (sv *service) sendUDP(r record) {
	p := sv.udpPort(r.lport)
	if p == nil || !r.raddr.Is4() {
		return
	}
	to := tcpip.FullAddress{NIC: nicID, Addr: tcpip.AddrFrom4(r.raddr.As4()), Port: r.rport}
	// Datagrams can be lost; a failed send is one of those.
	p.conn.WriteTo(r.payload, fullToUDP(to))
}

// receiveUDP hands what arrives on port lport to the kernel.
func (sv *service) receiveUDP(lport uint16, p *udpPort) {
	buf := make([]byte, 65536)
	var rec []byte
	local := sv.cfg.prefix.Addr()
	for {
		n, from, err := p.conn.ReadFrom(buf)
		if err != nil {
			return // closed
		}
		src, ok := netip.AddrFromSlice(fromAddr(from))
		if !ok {
			continue
		}
		rec = appendUDPRecv(rec[:0], lport, uint16(fromPort(from)), local, src.Unmap(), buf[:n])
		sv.wmu.Lock()
		_, err = sv.ctl.Write(rec)
		sv.wmu.Unlock()
		if err != nil {
			logf("handing a datagram for port %d to the kernel: %v", lport, err)
		}
	}
}
