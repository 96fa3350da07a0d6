package kernel

import "encoding/binary"

// /dev/netctl joins the kernel's sockets to the network service, the TCP/IP
// stack that runs as goroutines in the program (package netsvc, which
// documents the protocol from its side). One opener at a time.
//
// Kernel to service, by read(2): records of an 8-byte header (operation
// uint16, zero uint16, record length uint32 including the header), then:
//
//	ncOpConnect  fd int32, family uint16, lport, rport uint16, 0 uint16,
//	             laddr [16]byte, raddr [16]byte: a program connects to
//	             raddr:rport from lport; fd is the service's end of the
//	             connection, a stream socket descriptor installed by the read.
//	ncOpUDPSend  lport, rport uint16, laddr, raddr [16]byte, payload: a
//	             datagram to send.
//	ncOpUDPBind  lport uint16, 0 uint16: listen for datagrams to lport.
//	ncOpUDPClose lport uint16, 0 uint16: stop.
//
// Service to kernel, by write(2): ncOpUDPRecv records (same layout as
// ncOpUDPSend: the guest's port and address, then the sender's) carry
// arriving datagrams. ioctl(2):
//
//	ncIoctlAccept    struct{lport, rport uint16; _ uint32; laddr, raddr
//	                 [16]byte}: a connection from raddr:rport to
//	                 laddr:lport; returns the service's end as a new
//	                 descriptor, or ECONNREFUSED if no socket listens.
//	ncIoctlConnected struct{fd, errno int32}: the outcome of ncOpConnect.
//	ncIoctlSetAddr   [4]byte: the guest's IPv4 address, which then counts
//	                 as local.
//
// Addresses are IPv6 or IPv4-mapped IPv6, ports in host byte order.

const (
	ncRingPages = 64
	ncRingSize  = ncRingPages * pageSize
	ncHdrLen    = 8

	ncOpConnect  = 1
	ncOpUDPSend  = 2
	ncOpUDPBind  = 3
	ncOpUDPClose = 4
	ncOpUDPRecv  = 5

	ncConnectLen = ncHdrLen + 44
	ncUDPHdrLen  = ncHdrLen + 36
	ncPortLen    = ncHdrLen + 4

	ncIoctlAccept    = 0x4E10
	ncIoctlConnected = 0x4E11
	ncIoctlSetAddr   = 0x4E12
)

var netctl struct {
	open   bool
	haveIP bool
	ip     [4]byte
	pages  [ncRingPages]uintptr
	r, n   int
	gen    uint64
	drops  uint64 // records dropped for lack of room
}

// ncOpen opens /dev/netctl.
func ncOpen(flags uint32) int64 {
	if netctl.open {
		return -EBUSY
	}
	for i := range netctl.pages {
		if netctl.pages[i] = physAlloc(); netctl.pages[i] == 0 {
			ncFreePages()
			return -ENOMEM
		}
	}
	fd, f := newFD(fkNetctl, flags&(oNonblock|oCloexec)|oRdwr)
	if f == nil {
		ncFreePages()
		return fd
	}
	netctl.open, netctl.r, netctl.n = true, 0, 0
	// Datagram sockets bound before the service started.
	for i := range sockets {
		if s := &sockets[i]; s.state != ssFree && s.typ == sockDgram && s.lport != 0 {
			udpBound(i)
		}
	}
	return fd
}

func ncFreePages() {
	for i, p := range netctl.pages {
		if p != 0 {
			physFree(p)
			netctl.pages[i] = 0
		}
	}
}

// netctlFile is the open /dev/netctl.
type netctlFile struct{ fileBase }

func (netctlFile) read(f *file, b []byte, off int64) int64  { return ncRead(f, b) }
func (netctlFile) write(f *file, b []byte, off int64) int64 { return ncWrite(b) }
func (netctlFile) readiness(f *file) uint32                 { return ncReadiness() }
func (netctlFile) gen(f *file) uint64                       { return netctl.gen }
func (netctlFile) ioctl(f *file, req, arg uintptr) int64    { return ncIoctl(req, arg) }
func (netctlFile) release(f *file)                          { ncClose() }

// ncClose runs when the service closes /dev/netctl: connections it has not
// taken yet fail, and nothing more leaves the machine.
func ncClose() {
	netctl.open, netctl.haveIP = false, false
	for i := range sockets {
		s := &sockets[i]
		if s.state == ssFree {
			continue
		}
		if s.pending {
			s.pending = false
			if p := s.peer; p >= 0 && sockets[p].state == ssConnecting {
				sockFail(int(p), ENETDOWN)
			}
			sockClose(i)
			continue
		}
		s.extBound = false
	}
	ncFreePages()
	ncChanged()
}

func ncChanged() {
	netctl.gen++
	wakeKey(uintptrOf(&netctl))
	wakeKey(epollWaitKey())
}

func ncReadiness() uint32 {
	if netctl.n > 0 {
		return epollIn | epollOut
	}
	return epollOut
}

// ncPut appends a record made of head (header included) and the parts of
// g (payload, n bytes; g may be nil), or reports that it did not fit.
func ncPut(head []byte, g *ioVec, n int) bool {
	if !netctl.open {
		return false
	}
	total := len(head) + n
	binary.LittleEndian.PutUint32(head[4:], uint32(total))
	if total > ncRingSize-netctl.n {
		netctl.drops++
		return false
	}
	w := (netctl.r + netctl.n) % ncRingSize
	w = (w + pageRingWrite(netctl.pages[:], w, head)) % ncRingSize
	if g != nil {
		for i := 0; i < g.count(); i++ {
			b, _ := g.part(i, false)
			w = (w + pageRingWrite(netctl.pages[:], w, b)) % ncRingSize
		}
	}
	netctl.n += total
	ncChanged()
	return true
}

// ncPortMsg posts an ncOpUDPBind or ncOpUDPClose record.
func ncPortMsg(op uint16, port uint16) bool {
	var h [ncPortLen]byte
	binary.LittleEndian.PutUint16(h[0:], op)
	binary.LittleEndian.PutUint16(h[ncHdrLen:], port)
	return ncPut(h[:], nil, 0)
}

// ncUDPSend posts a datagram from socket s to d.
func ncUDPSend(s *socket, d *sockDst, g *ioVec, n int) {
	var h [ncUDPHdrLen]byte
	binary.LittleEndian.PutUint16(h[0:], ncOpUDPSend)
	binary.LittleEndian.PutUint16(h[ncHdrLen:], s.lport)
	binary.LittleEndian.PutUint16(h[ncHdrLen+2:], d.port)
	copy(h[ncHdrLen+4:], s.laddr[:])
	copy(h[ncHdrLen+20:], d.addr[:])
	ncPut(h[:], g, n)
}

// ncConnect starts a connection from stream socket ci to another machine:
// the service's end is created now and handed over with an ncOpConnect
// record.
func ncConnect(ci int, a [16]byte, port uint16) int64 {
	if !netctl.open || !isMapped(a) {
		return -ENETUNREACH
	}
	s := &sockets[ci]
	if s.lport == 0 {
		if s.lport = ephemeralPort(sockStream); s.lport == 0 {
			return -EADDRNOTAVAIL
		}
		if netctl.haveIP {
			s.laddr = mappedIP(netctl.ip)
		}
	}
	s.raddr, s.rport = a, port
	vi, e := sockJoin(ci, s.family)
	if e != 0 {
		return e
	}
	v := &sockets[vi]
	v.laddr, v.lport = a, port
	v.state, v.svc, v.pending = ssConnected, true, true
	s.state = ssConnecting
	var h [ncConnectLen]byte
	b := h[ncHdrLen:]
	binary.LittleEndian.PutUint16(h[0:], ncOpConnect)
	binary.LittleEndian.PutUint32(b[0:], uint32(vi))
	binary.LittleEndian.PutUint16(b[4:], s.family)
	binary.LittleEndian.PutUint16(b[6:], s.lport)
	binary.LittleEndian.PutUint16(b[8:], port)
	copy(b[12:], s.laddr[:])
	copy(b[28:], a[:])
	if !ncPut(h[:], nil, 0) {
		v.pending = false
		sockClose(vi) // fails s
		sockReset(s)
		return -ENOBUFS
	}
	return 0
}

// ncRead gives the service whole records; a connect record's service end
// gets its descriptor here.
func ncRead(f *file, b []byte) int64 {
	done := 0
	for netctl.n > 0 {
		var h [ncHdrLen]byte
		pageRingRead(h[:], netctl.pages[:], netctl.r, netctl.n)
		l := int(binary.LittleEndian.Uint32(h[4:]))
		if l > len(b)-done {
			if done == 0 {
				return -EINVAL
			}
			break
		}
		rec := b[done : done+l]
		pageRingRead(rec, netctl.pages[:], netctl.r, l)
		netctl.r = (netctl.r + l) % ncRingSize
		netctl.n -= l
		if binary.LittleEndian.Uint16(h[0:]) == ncOpConnect {
			vi := int(binary.LittleEndian.Uint32(rec[ncHdrLen:]))
			fd := ncInstall(vi)
			if fd < 0 {
				continue // the program's connect has failed
			}
			binary.LittleEndian.PutUint32(rec[ncHdrLen:], uint32(fd))
		}
		done += l
	}
	if done > 0 {
		ncChanged()
		return int64(done)
	}
	if f.flags&oNonblock != 0 {
		return -EAGAIN
	}
	if waitOn(uintptrOf(&netctl), 0) == wakeSignal {
		return -EINTR
	}
	return ncRead(f, b)
}

// ncInstall gives the service's end vi of a connection a non-blocking
// descriptor; if that fails, or the program has given up, the connection
// is closed and -1 returned.
func ncInstall(vi int) int64 {
	v := &sockets[vi]
	if !v.pending {
		return -1
	}
	v.pending = false
	p := v.peer
	if p < 0 {
		sockClose(vi)
		return -1
	}
	fd, nf := newFD(fkSocket, oNonblock|oCloexec|oRdwr)
	if nf == nil {
		sockFail(int(p), EMFILE)
		sockClose(vi)
		return -1
	}
	nf.node = vi
	return fd
}

// ncWrite takes ncOpUDPRecv records from the service.
func ncWrite(b []byte) int64 {
	done := 0
	for len(b)-done >= ncUDPHdrLen {
		r := b[done:]
		l := int(binary.LittleEndian.Uint32(r[4:]))
		if binary.LittleEndian.Uint16(r) != ncOpUDPRecv || l < ncUDPHdrLen || l > len(r) || l-ncUDPHdrLen > udpMaxData {
			break
		}
		lport := binary.LittleEndian.Uint16(r[ncHdrLen:])
		sport := binary.LittleEndian.Uint16(r[ncHdrLen+2:])
		dst := [16]byte(r[ncHdrLen+4 : ncHdrLen+20])
		src := [16]byte(r[ncHdrLen+20 : ncHdrLen+36])
		if ti := udpFind(lport, dst, src, sport); ti >= 0 {
			g := ioVec{one: r[ncUDPHdrLen:l]}
			udpQueue(ti, src, sport, &g, l-ncUDPHdrLen)
		}
		done += l
	}
	if done == 0 {
		return -EINVAL
	}
	return int64(done)
}

// ncIoctl serves the service's ioctl requests.
func ncIoctl(req, arg uintptr) int64 {
	switch req {
	case ncIoctlAccept:
		a, ok := userBytes(arg, 40, false)
		if !ok {
			return -EFAULT
		}
		return ncAccept(binary.LittleEndian.Uint16(a[0:]), binary.LittleEndian.Uint16(a[2:]),
			[16]byte(a[8:24]), [16]byte(a[24:40]))
	case ncIoctlConnected:
		a, ok := userBytes(arg, 8, false)
		if !ok {
			return -EFAULT
		}
		return ncConnected(uintptr(binary.LittleEndian.Uint32(a[0:])), int32(binary.LittleEndian.Uint32(a[4:])))
	case ncIoctlSetAddr:
		a, ok := userBytes(arg, 4, false)
		if !ok {
			return -EFAULT
		}
		netctl.ip, netctl.haveIP = [4]byte(a), true
		return 0
	}
	return -ENOTTY
}

// ncAccept makes a connection from another machine to a listener on this
// one and returns the service's end.
func ncAccept(lport, rport uint16, laddr, raddr [16]byte) int64 {
	li := -1
	for i := range sockets {
		l := &sockets[i]
		if l.state == ssListening && l.lport == lport && (isUnspecified(l.laddr) || l.laddr == laddr) {
			li = i
			break
		}
	}
	if li < 0 || sockets[li].qn >= sockets[li].backlog {
		return -ECONNREFUSED
	}
	family := sockets[li].family
	ai := sockAlloc(family, sockStream)
	if ai < 0 {
		return -ENFILE
	}
	s := &sockets[ai]
	s.laddr, s.lport, s.raddr, s.rport = laddr, lport, raddr, rport
	vi, e := sockJoin(ai, family)
	if e != 0 {
		s.state = ssFree
		return e
	}
	v := &sockets[vi]
	v.laddr, v.lport, v.svc = raddr, rport, true
	fd, nf := newFD(fkSocket, oNonblock|oCloexec|oRdwr)
	if nf == nil {
		s.state, v.state = ssConnected, ssConnected
		sockClose(vi)
		sockClose(ai)
		return fd
	}
	nf.node = vi
	s.state, v.state = ssConnected, ssConnected
	sockEnqueue(li, ai)
	return fd
}

// ncConnected completes or fails the program's connect whose service end
// is descriptor fd.
func ncConnected(fd uintptr, errno int32) int64 {
	v, _, e := sockGet(fd)
	if e != 0 {
		return e
	}
	if !v.svc {
		return -EINVAL
	}
	p := v.peer
	if p < 0 || sockets[p].state != ssConnecting {
		return 0 // the program closed its socket meanwhile
	}
	if errno != 0 {
		sockFail(int(p), errno)
		return 0
	}
	sockets[p].state = ssConnected
	sockChanged(&sockets[p])
	return 0
}

// netLinger runs when the program exits: the network service, goroutines
// of the same program, must still send what the program wrote to
// connections to other machines (an HTTP server's last response, say),
// which Linux's in-kernel stack would do after the process is gone. It
// waits, at most two seconds, until the service has taken that data and
// then a moment more for its frames to leave.
func netLinger() {
	if !netctl.open {
		return
	}
	end := nanotime() + 2e9
	quietUntil := int64(0)
	for now := nanotime(); now < end; now = nanotime() {
		if netUnsent() {
			quietUntil = 0
		} else if quietUntil == 0 {
			quietUntil = now + 100e6
		} else if now >= quietUntil {
			return
		}
		sleepUntil(now + 5e6)
	}
}

// netUnsent reports whether a connection to another machine holds data the
// program wrote and the service has not taken, or has been closed by the
// program but not yet by the service, which closes its end once the peer
// has seen the data and the FIN and closed too.
func netUnsent() bool {
	for i := range sockets {
		s := &sockets[i]
		if s.state == ssConnected && s.svc && !s.rdShut && (pipes[s.rx].n > 0 || pipes[s.rx].writers == 0) {
			return true
		}
	}
	return false
}
