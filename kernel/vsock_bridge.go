package kernel

import "github.com/gotoro/gotoro/internal/virtio"

// Host connections into TCP listeners over vsock. gotoro run -p forwards a
// host port to a guest vsock port; when no vsock socket listens there but
// a TCP socket listens on the same port number, the connection is queued
// on the TCP listener instead. accept then returns a vsock descriptor that
// the program uses like a TCP connection (read, write, epoll, shutdown),
// whose addresses read as Internet addresses: the listener's, and the host
// as the guest sees it (the user network's gateway, or 127.0.0.1 without
// a network). No TCP/IP stack is involved, which under emulation is far
// cheaper than QEMU's user network and the guest's netstack.

// vsBridgeIncoming takes a connection request for a port no vsock socket
// listens on: it goes to a TCP listener of that port, or is reset.
func vsBridgeIncoming(h *virtio.VsockHdr) {
	li := -1
	if h.DstPort <= 0xffff {
		for i := range sockets {
			l := &sockets[i]
			if l.state == ssListening && l.typ == sockStream && uint32(l.lport) == h.DstPort {
				li = i
				break
			}
		}
	}
	if li < 0 || sockets[li].qn >= sockets[li].backlog {
		vsRST(h)
		return
	}
	ci := vsNewPending(h)
	if ci < 0 {
		return
	}
	c := &vsocks[ci]
	c.tcp, c.tcpFamily = true, sockets[li].family
	sockEnqueue(li, -ci-1)
	vsSendCtl(vsHdr(c, virtio.VsockOpResponse, 0))
}

// vsBridgeAccept hands pending bridged connection ci to the program
// accepting on TCP listener s.
func vsBridgeAccept(s *socket, ci int, addr, lenp uintptr, flags uint32) int64 {
	nfd, nf := newSocketFD(fkVsock, flags)
	if nf == nil {
		return nfd
	}
	s.qhead = (s.qhead + 1) % maxBacklog
	s.qn--
	sockChanged(s)
	c := &vsocks[ci]
	c.state = vsConnected
	nf.node = ci
	vsChanged(c)
	if addr != 0 {
		if e := vsBridgeSockname(c, addr, lenp, true); e != 0 {
			return e
		}
	}
	return nfd
}

// vsBridgeDrop resets a bridged connection never accepted.
func vsBridgeDrop(ci int) {
	c := &vsocks[ci]
	if !c.reset {
		vsSendCtl(vsHdr(c, virtio.VsockOpRST, 0))
	}
	vsRelease(ci)
}

// vsBridgeSockname writes a bridged connection's local (or, with peer,
// remote) address as an Internet address.
func vsBridgeSockname(c *vsock, addr, lenp uintptr, peer bool) int64 {
	if !peer {
		a := mappedIP([4]byte{127, 0, 0, 1})
		if ncDev.haveIP {
			a = mappedIP(ncDev.ip)
		}
		return writeSockaddr(c.tcpFamily, a, uint16(c.lport), addr, lenp)
	}
	a := mappedIP([4]byte{127, 0, 0, 1})
	if netConf.gw != [4]byte{} {
		a = mappedIP(netConf.gw)
	}
	return writeSockaddr(c.tcpFamily, a, uint16(c.rport), addr, lenp)
}
