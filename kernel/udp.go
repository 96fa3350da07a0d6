package kernel

import (
	"unsafe"

	"github.com/gotoro/gotoro/internal/byteorder"
	"github.com/gotoro/gotoro/internal/netctl"
)

// Datagram sockets (SOCK_DGRAM over AF_INET and AF_INET6). Each socket has
// a receive queue, a pipe holding records of a 20-byte header (payload
// length, source port, source address) and the payload. A datagram to an
// address on this machine goes straight to the queue of the socket bound to
// its port; one to another machine goes to the network service through
// /dev/netctl, which also hands back what arrives for a bound port. As on
// any network, a datagram that finds no room is dropped.

const (
	udpHdrLen   = 20
	udpMaxData  = netctl.MaxUDPPayload // the largest UDP payload over IPv4
	msgPeek     = 0x2                  // receive without taking (recv.go)
	msgTrunc    = 0x20
	msgDontwait = 0x40
)

// udpInit gives datagram socket si its receive queue.
func udpInit(si int) int64 {
	pi, e := pipeAlloc()
	if e != 0 {
		return e
	}
	sockets[si].rx = pi
	return 0
}

// udpClose releases datagram socket si's queue and tells the network
// service to stop listening on its port.
func udpClose(si int) {
	s := &sockets[si]
	if s.extBound {
		ncPortMsg(netctl.OpUDPClose, s.lport)
		s.extBound = false
	}
	if s.rx >= 0 {
		pipeClose(s.rx, false)
		pipeClose(s.rx, true)
		s.rx = -1
	}
}

// udpBound is called when datagram socket si gets its port: unless it is
// bound to a loopback address only, the network service must listen on the
// port for datagrams from other machines.
func udpBound(si int) {
	s := &sockets[si]
	if s.extBound || !ncDev.open || (isLoopback(s.laddr) && !isUnspecified(s.laddr)) {
		return
	}
	s.extBound = ncPortMsg(netctl.OpUDPBind, s.lport)
}

// isUnspecified reports whether a is :: or 0.0.0.0.
func isUnspecified(a [16]byte) bool {
	return a == [16]byte{} || isMapped(a) && a[12]|a[13]|a[14]|a[15] == 0
}

// udpConnect sets the default destination of datagram socket si.
func udpConnect(si int, a [16]byte, port uint16) int64 {
	s := &sockets[si]
	if port == 0 {
		return -EINVAL
	}
	if !isLocal(a) {
		if e := netNeed(); e != 0 {
			return e
		}
	}
	if s.lport == 0 {
		if e := udpAutobind(si, a); e != 0 {
			return e
		}
	}
	s.raddr, s.rport = a, port
	return 0
}

// udpAutobind gives an unbound socket an ephemeral port and the source
// address for destination dst.
func udpAutobind(si int, dst [16]byte) int64 {
	s := &sockets[si]
	p := ephemeralPort(sockDgram)
	if p == 0 {
		return -EADDRINUSE
	}
	s.lport = p
	switch {
	case isLocal(dst):
		s.laddr = dst
	case ncDev.haveIP:
		s.laddr = mappedIP(ncDev.ip)
	}
	udpBound(si)
	return 0
}

func mappedIP(ip [4]byte) (a [16]byte) {
	a[10], a[11] = 0xff, 0xff
	copy(a[12:], ip[:])
	return a
}

// ioVec is the data of one datagram: a kernel view of one user buffer, or
// a user iovec array.
type ioVec struct {
	one []byte
	v   []byte // iovec array, 16 bytes per entry
	use bool   // v is meaningful
}

func (g *ioVec) count() int {
	if g.use {
		return len(g.v) / 16
	}
	return 1
}

// part returns entry i, or false if it is not accessible user memory.
func (g *ioVec) part(i int, write bool) ([]byte, bool) {
	if !g.use {
		return g.one, true
	}
	base := *(*uintptr)(unsafe.Pointer(&g.v[16*i]))
	l := *(*uintptr)(unsafe.Pointer(&g.v[16*i+8]))
	return userBytes(base, l, write)
}

// size returns the total length, or -EFAULT.
func (g *ioVec) size(write bool) int64 {
	t := int64(0)
	for i := 0; i < g.count(); i++ {
		b, ok := g.part(i, write)
		if !ok {
			return -EFAULT
		}
		t += int64(len(b))
	}
	return t
}

// udpSendBytes sends b on datagram socket si, to dst if not nil.
func udpSendBytes(si int, b []byte, dst *sockDst) int64 {
	g := ioVec{one: b}
	return udpSend(si, &g, dst)
}

// sockDst is a destination given with sendto or sendmsg.
type sockDst struct {
	addr [16]byte
	port uint16
}

// udpSend sends the datagram in g from socket si.
func udpSend(si int, g *ioVec, dst *sockDst) int64 {
	s := &sockets[si]
	if s.wrShut {
		return -EPIPE
	}
	var d sockDst
	switch {
	case dst != nil:
		d = *dst
	case s.rport != 0:
		d = sockDst{s.raddr, s.rport}
	default:
		return -EDESTADDRREQ
	}
	if d.port == 0 {
		return -EINVAL
	}
	n := g.size(false)
	if n < 0 {
		return n
	}
	if n > udpMaxData {
		return -EMSGSIZE
	}
	local := isLocal(d.addr)
	if !local {
		if e := netNeed(); e != 0 {
			return e
		}
		local = isLocal(d.addr) // the guest's own address
	}
	if s.lport == 0 {
		if e := udpAutobind(si, d.addr); e != 0 {
			return e
		}
	}
	if !local {
		ncUDPSend(s, &d, g, int(n))
		return n
	}
	src := s.laddr
	if isUnspecified(src) {
		src = d.addr
	}
	if ti := udpFind(d.port, d.addr, src, s.lport); ti >= 0 {
		udpQueue(ti, src, s.lport, g, int(n))
	}
	return n
}

// udpFind returns the datagram socket that receives what is sent from
// src:sport to addr:port, or -1.
func udpFind(port uint16, addr, src [16]byte, sport uint16) int {
	for i := range sockets {
		t := &sockets[i]
		if t.state == ssFree || t.typ != sockDgram || t.lport != port || t.svc {
			continue
		}
		if !isUnspecified(t.laddr) && t.laddr != addr && !(isLoopback(t.laddr) && isLoopback(addr)) {
			continue
		}
		if t.rport != 0 && (t.rport != sport || t.raddr != src) {
			continue
		}
		return i
	}
	return -1
}

// udpQueue appends a datagram from src:sport to socket ti's queue, or drops
// it if the queue is full.
func udpQueue(ti int, src [16]byte, sport uint16, g *ioVec, n int) bool {
	t := &sockets[ti]
	if t.rdShut {
		return false
	}
	p := &pipes[t.rx]
	if udpHdrLen+n > pipeSize-p.n {
		return false
	}
	var h [udpHdrLen]byte
	byteorder.LittleEndian.PutUint16(h[0:], uint16(n))
	byteorder.LittleEndian.PutUint16(h[2:], sport)
	copy(h[4:], src[:])
	w := (p.r + p.n) % pipeSize
	w = (w + pageRingWrite(p.pages[:], w, h[:])) % pipeSize
	for i := 0; i < g.count(); i++ {
		b, _ := g.part(i, false)
		w = (w + pageRingWrite(p.pages[:], w, b)) % pipeSize
	}
	p.n += udpHdrLen + n
	pipeChanged(p)
	return true
}

// udpRecv takes the oldest datagram of the socket behind f into b (or the
// buffers of g when g is not nil), writes its source to the user sockaddr
// at addr (length at lenp) when addr is not 0, and returns the bytes
// stored (with rflags MSG_TRUNC: the datagram's length). *outFlags, if not
// nil, gets MSG_TRUNC when the datagram was longer than the buffers. With
// MSG_PEEK in rflags the datagram stays queued.
func udpRecv(f *file, b []byte, addr, lenp uintptr, rflags uint32, g *ioVec, outFlags *uint32) int64 {
	s := &sockets[f.node]
	p := &pipes[s.rx]
	for p.n == 0 {
		if s.rdShut {
			return 0
		}
		if f.flags&oNonblock != 0 || rflags&msgDontwait != 0 {
			return -EAGAIN
		}
		if pipeWait(p) == wakeSignal {
			return -errRestartSys
		}
	}
	var h [udpHdrLen]byte
	pageRingRead(h[:], p.pages[:], p.r, p.n)
	n := int(byteorder.LittleEndian.Uint16(h[0:]))
	sport := byteorder.LittleEndian.Uint16(h[2:])
	src := [16]byte(h[4:20])
	if g == nil {
		g = &ioVec{one: b}
	}
	r := (p.r + udpHdrLen) % pipeSize
	done := 0
	for i := 0; i < g.count() && done < n; i++ {
		d, ok := g.part(i, true)
		if !ok {
			return -EFAULT
		}
		m := pageRingRead(d, p.pages[:], r, n-done)
		r = (r + m) % pipeSize
		done += m
	}
	if rflags&msgPeek == 0 {
		p.r = (p.r + udpHdrLen + n) % pipeSize
		p.n -= udpHdrLen + n
		pipeChanged(p)
	}
	if done < n && outFlags != nil {
		*outFlags |= msgTrunc
	}
	if addr != 0 {
		if e := writeSockaddr(s.family, src, sport, addr, lenp); e != 0 {
			return e
		}
	}
	if rflags&msgTrunc != 0 {
		return int64(n)
	}
	return int64(done)
}

// udpReadiness returns the epoll events of a datagram socket.
func udpReadiness(s *socket) uint32 {
	r := uint32(epollOut)
	if pipes[s.rx].n > 0 || s.rdShut {
		r |= epollIn
	}
	return r
}

func udpShutdown(s *socket, how int32) int64 {
	if s.rport == 0 {
		return -ENOTCONN
	}
	if how != shutWr {
		s.rdShut = true
	}
	if how != shutRd {
		s.wrShut = true
	}
	sockChanged(s)
	return 0
}

// udpSendto implements sendto on a datagram socket.
func udpSendto(f *file, buf, n, addr, alen uintptr) int64 {
	b, ok := userBytes(buf, n, false)
	if !ok {
		return -EFAULT
	}
	if addr == 0 {
		return udpSendBytes(f.node, b, nil)
	}
	a, port, e := readSockaddr(addr, alen)
	if e != 0 {
		return e
	}
	return udpSendBytes(f.node, b, &sockDst{a, port})
}

// udpRecvfrom implements recvfrom on a datagram socket.
func udpRecvfrom(f *file, buf, n uintptr, flags uint32, addr, lenp uintptr) int64 {
	b, ok := userBytes(buf, n, true)
	if !ok {
		return -EFAULT
	}
	if addr == 0 || lenp == 0 {
		addr = 0
	}
	return udpRecv(f, b, addr, lenp, flags, nil, nil)
}

// udpMsg implements sendmsg and recvmsg on a datagram socket; m is the
// user msghdr.
func udpMsg(f *file, m []byte, send bool) int64 {
	name := *(*uintptr)(unsafe.Pointer(&m[0]))
	namelen := uintptr(*(*uint32)(unsafe.Pointer(&m[8])))
	iov := *(*uintptr)(unsafe.Pointer(&m[16]))
	cnt := *(*uintptr)(unsafe.Pointer(&m[24]))
	if cnt > 1024 {
		return -EMSGSIZE
	}
	v, ok := userBytes(iov, cnt*16, false)
	if !ok {
		return -EFAULT
	}
	g := ioVec{v: v, use: true}
	if send {
		if name == 0 {
			return udpSend(f.node, &g, nil)
		}
		a, port, e := readSockaddr(name, namelen)
		if e != 0 {
			return e
		}
		return udpSend(f.node, &g, &sockDst{a, port})
	}
	var fl uint32
	lenp := uintptr(0)
	if name != 0 {
		lenp = uintptr(unsafe.Pointer(&m[8]))
	}
	*(*uintptr)(unsafe.Pointer(&m[40])) = 0 // no control data
	r := udpRecv(f, nil, name, lenp, unixMsgFlags, &g, &fl)
	*(*uint32)(unsafe.Pointer(&m[48])) = fl
	return r
}
