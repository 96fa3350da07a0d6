package kernel

import (
	"encoding/binary"
	"unsafe"
)

// Loopback stream sockets (AF_INET and AF_INET6, SOCK_STREAM): enough for
// programs and tests that talk to themselves over 127.0.0.1 or ::1, such as
// net/http/httptest. A connection is a pair of pipes. There is no network
// device yet; connections to other addresses fail with ENETUNREACH.

const (
	afUnix  = 1
	afInet  = 2
	afInet6 = 10

	sockStream   = 1
	sockNonblock = 0x800
	sockCloexec  = 0x80000

	ipprotoTCP   = 6
	ipprotoMPTCP = 262

	solSocket = 1
	soType    = 3
	soError   = 4

	shutRd = 0
	shutWr = 1

	maxSockets = 1024
	maxBacklog = 128

	ECONNREFUSED    = 111
	ENETUNREACH     = 101
	EADDRINUSE      = 98
	EISCONN         = 106
	ENOTCONN        = 107
	EPROTONOSUPPORT = 93
)

type sockState uint8

const (
	ssFree sockState = iota
	ssNew
	ssListening
	ssConnected
)

type socket struct {
	state     sockState
	family    uint16
	lport     uint16
	rport     uint16
	laddr     [16]byte
	raddr     [16]byte
	rx, tx    int  // pipes of a connection
	rdShut    bool // reading side closed
	wrShut    bool // writing side closed
	gen       uint64
	qhead, qn int
	queue     [maxBacklog]int32 // accepted-but-unclaimed connections
	backlog   int
}

var sockets [maxSockets]socket

var nextEphemeral uint16 = 0 // 0 means "start at 32768"

func sockAlloc(family uint16) int {
	for i := range sockets {
		if sockets[i].state == ssFree {
			sockets[i] = socket{state: ssNew, family: family, rx: -1, tx: -1}
			return i
		}
	}
	return -1
}

func sysSocketOp(domain, typ, proto int32) int64 {
	if domain != afInet && domain != afInet6 {
		return -EAFNOSUPPORT
	}
	if typ&^(sockNonblock|sockCloexec) != sockStream {
		return -EPROTONOSUPPORT
	}
	if proto != 0 && proto != ipprotoTCP {
		return -EPROTONOSUPPORT
	}
	si := sockAlloc(uint16(domain))
	if si < 0 {
		return -ENFILE
	}
	fd, f := newFD(fkSocket, uint32(typ)&(oNonblock|oCloexec)|oRdwr)
	if f == nil {
		sockets[si].state = ssFree
		return fd
	}
	f.node = si
	return fd
}

// sockGet returns the socket behind fd.
func sockGet(fd uintptr) (*socket, *file, int64) {
	_, f := fdGet(fd)
	if f == nil {
		return nil, nil, -EBADF
	}
	if f.kind != fkSocket {
		return nil, nil, -ENOTSOCK
	}
	return &sockets[f.node], f, 0
}

// readSockaddr decodes a sockaddr_in or sockaddr_in6 into an IPv6-style
// address (IPv4 mapped into ::ffff:0:0/96) and a port.
func readSockaddr(p, n uintptr) (addr [16]byte, port uint16, e int64) {
	b, ok := userBytes(p, n, false)
	if !ok || n < 2 {
		return addr, 0, -EFAULT
	}
	switch binary.LittleEndian.Uint16(b) {
	case afInet:
		if n < 16 {
			return addr, 0, -EINVAL
		}
		addr[10], addr[11] = 0xff, 0xff
		copy(addr[12:], b[4:8])
	case afInet6:
		if n < 24 {
			return addr, 0, -EINVAL
		}
		copy(addr[:], b[8:24])
	default:
		return addr, 0, -EAFNOSUPPORT
	}
	return addr, binary.BigEndian.Uint16(b[2:]), 0
}

// writeSockaddr encodes addr and port for family into the user buffer p
// whose length is at *lenp, and stores the full length there.
func writeSockaddr(family uint16, addr [16]byte, port uint16, p, lenp uintptr) int64 {
	if p == 0 {
		return 0
	}
	lb, ok := userBytes(lenp, 4, true)
	if !ok {
		return -EFAULT
	}
	max := uintptr(binary.LittleEndian.Uint32(lb))
	var sa [28]byte
	n := 16
	binary.LittleEndian.PutUint16(sa[:], family)
	binary.BigEndian.PutUint16(sa[2:], port)
	if family == afInet {
		copy(sa[4:8], addr[12:])
	} else {
		n = 28
		copy(sa[8:24], addr[:])
	}
	b, ok := userBytes(p, min(max, uintptr(n)), true)
	if !ok {
		return -EFAULT
	}
	copy(b, sa[:])
	binary.LittleEndian.PutUint32(lb, uint32(n))
	return 0
}

// isLoopback reports whether addr (IPv6 form) is a loopback or unspecified
// address, all of which reach this machine.
func isLoopback(a [16]byte) bool {
	var zero [16]byte
	if a == zero {
		return true // ::
	}
	if a[15] == 1 && [15]byte(a[:15]) == [15]byte{} {
		return true // ::1
	}
	mapped := a[10] == 0xff && a[11] == 0xff && [10]byte(a[:10]) == [10]byte{}
	return mapped && (a[12] == 127 || a[12]|a[13]|a[14]|a[15] == 0)
}

func portInUse(port uint16) bool {
	for i := range sockets {
		s := &sockets[i]
		if s.state != ssFree && s.lport == port && (s.state == ssListening || s.rx < 0) {
			return true
		}
	}
	return false
}

func ephemeralPort() uint16 {
	for i := 0; i < 28232; i++ {
		if nextEphemeral < 32768 {
			nextEphemeral = 32768
		}
		p := nextEphemeral
		nextEphemeral++
		if !portInUse(p) {
			return p
		}
	}
	return 0
}

func sysBindOp(fd, addr, n uintptr) int64 {
	s, _, e := sockGet(fd)
	if e != 0 {
		return e
	}
	a, port, e := readSockaddr(addr, n)
	if e != 0 {
		return e
	}
	if s.state != ssNew || s.lport != 0 {
		return -EINVAL
	}
	if !isLoopback(a) {
		return -EADDRNOTAVAIL
	}
	if port == 0 {
		port = ephemeralPort()
	} else if portInUse(port) {
		return -EADDRINUSE
	}
	s.laddr, s.lport = a, port
	return 0
}

const EADDRNOTAVAIL = 99

func sysListenOp(fd uintptr, backlog int32) int64 {
	s, _, e := sockGet(fd)
	if e != 0 {
		return e
	}
	if s.state != ssNew && s.state != ssListening {
		return -EINVAL
	}
	if s.lport == 0 {
		s.lport = ephemeralPort()
	}
	s.state = ssListening
	s.backlog = int(min(max(backlog, 1), maxBacklog))
	return 0
}

func sockChanged(s *socket) {
	s.gen++
	wakeKey(uintptrOf(s))
	wakeKey(epollWaitKey())
}

func sysConnectOp(fd, addr, n uintptr) int64 {
	s, _, e := sockGet(fd)
	if e != 0 {
		return e
	}
	a, port, e := readSockaddr(addr, n)
	if e != 0 {
		return e
	}
	switch s.state {
	case ssConnected:
		return -EISCONN
	case ssListening:
		return -EINVAL
	}
	if !isLoopback(a) {
		return -ENETUNREACH
	}
	li := -1
	for i := range sockets {
		if sockets[i].state == ssListening && sockets[i].lport == port {
			li = i
			break
		}
	}
	if li < 0 || sockets[li].qn >= sockets[li].backlog {
		return -ECONNREFUSED
	}
	l := &sockets[li]
	srv := sockAlloc(l.family)
	if srv < 0 {
		return -ENFILE
	}
	up, e1 := pipeAlloc()
	if e1 != 0 {
		sockets[srv].state = ssFree
		return e1
	}
	down, e2 := pipeAlloc()
	if e2 != 0 {
		pipeClose(up, false)
		pipeClose(up, true)
		sockets[srv].state = ssFree
		return e2
	}
	if s.lport == 0 {
		s.lport = ephemeralPort()
		s.laddr = a
	}
	s.state, s.raddr, s.rport, s.tx, s.rx = ssConnected, a, port, up, down
	v := &sockets[srv]
	v.state, v.laddr, v.lport, v.raddr, v.rport, v.rx, v.tx = ssConnected, a, port, s.laddr, s.lport, up, down
	l.queue[(l.qhead+l.qn)%maxBacklog] = int32(srv)
	l.qn++
	sockChanged(l)
	sockChanged(s)
	return 0
}

func sysAcceptOp(fd, addr, lenp uintptr, flags uint32) int64 {
	s, f, e := sockGet(fd)
	if e != 0 {
		return e
	}
	if flags&^(sockNonblock|sockCloexec) != 0 {
		return -EINVAL
	}
	if s.state != ssListening {
		return -EINVAL
	}
	for s.qn == 0 {
		if f.flags&oNonblock != 0 {
			return -EAGAIN
		}
		if waitOn(uintptrOf(s), 0) == wakeSignal {
			return -EINTR
		}
	}
	ci := s.queue[s.qhead]
	nfd, nf := newFD(fkSocket, flags&(oNonblock|oCloexec)|oRdwr)
	if nf == nil {
		return nfd
	}
	s.qhead = (s.qhead + 1) % maxBacklog
	s.qn--
	nf.node = int(ci)
	c := &sockets[ci]
	if e := writeSockaddr(c.family, c.raddr, c.rport, addr, lenp); e != 0 {
		return e
	}
	return nfd
}

// sockClose releases socket si when its last descriptor closes.
func sockClose(si int) {
	s := &sockets[si]
	switch s.state {
	case ssListening:
		for s.qn > 0 {
			sockClose(int(s.queue[s.qhead]))
			s.qhead = (s.qhead + 1) % maxBacklog
			s.qn--
		}
	case ssConnected:
		if !s.rdShut {
			pipeClose(s.rx, false)
		}
		if !s.wrShut {
			pipeClose(s.tx, true)
		}
	}
	sockChanged(s)
	s.state = ssFree
}

func sysShutdownOp(fd uintptr, how int32) int64 {
	s, _, e := sockGet(fd)
	if e != 0 {
		return e
	}
	if s.state != ssConnected {
		return -ENOTCONN
	}
	if how < 0 || how > 2 {
		return -EINVAL
	}
	if how != shutWr && !s.rdShut {
		s.rdShut = true
		pipeClose(s.rx, false)
	}
	if how != shutRd && !s.wrShut {
		s.wrShut = true
		pipeClose(s.tx, true)
	}
	sockChanged(s)
	return 0
}

func sockRead(f *file, b []byte) int64 {
	s := &sockets[f.node]
	if s.state != ssConnected {
		return -ENOTCONN
	}
	if s.rdShut {
		return 0
	}
	return pipeReadIdx(s.rx, f.flags&oNonblock != 0, b)
}

func sockWrite(f *file, b []byte) int64 {
	s := &sockets[f.node]
	if s.state != ssConnected {
		return -ENOTCONN
	}
	if s.wrShut {
		sendSignal(curThread(), sigPIPE)
		return -EPIPE
	}
	return pipeWriteIdx(s.tx, f.flags&oNonblock != 0, b)
}

// sockReadiness returns the epoll events of a socket.
func sockReadiness(f *file) uint32 {
	s := &sockets[f.node]
	switch s.state {
	case ssListening:
		if s.qn > 0 {
			return epollIn
		}
		return 0
	case ssConnected:
		r := uint32(0)
		rx, tx := &pipes[s.rx], &pipes[s.tx]
		if rx.n > 0 || s.rdShut {
			r |= epollIn
		}
		if rx.writers == 0 {
			r |= epollIn | epollRdhup
		}
		if !s.wrShut && tx.n < pipeSize {
			r |= epollOut
		}
		if tx.readers == 0 {
			r |= epollOut | epollErr | epollHup
		}
		return r
	}
	return epollOut | epollHup
}

func sockGen(f *file) uint64 {
	s := &sockets[f.node]
	g := s.gen
	if s.state == ssConnected {
		g += pipes[s.rx].gen + pipes[s.tx].gen
	}
	return g
}

func sysGetsocknameOp(fd, addr, lenp uintptr, peer bool) int64 {
	s, _, e := sockGet(fd)
	if e != 0 {
		return e
	}
	if peer {
		if s.state != ssConnected {
			return -ENOTCONN
		}
		return writeSockaddr(s.family, s.raddr, s.rport, addr, lenp)
	}
	return writeSockaddr(s.family, s.laddr, s.lport, addr, lenp)
}

func sysSetsockoptOp(fd uintptr) int64 {
	_, _, e := sockGet(fd)
	return e
}

func sysGetsockoptOp(fd uintptr, level, name int32, val, lenp uintptr) int64 {
	s, _, e := sockGet(fd)
	if e != 0 {
		return e
	}
	lb, ok := userBytes(lenp, 4, true)
	if !ok {
		return -EFAULT
	}
	n := binary.LittleEndian.Uint32(lb)
	v := uint32(0) // SO_ERROR and unknown options read as 0
	if level == solSocket && name == soType && s != nil {
		v = sockStream
	}
	if n >= 4 {
		b, ok := userBytes(val, 4, true)
		if !ok {
			return -EFAULT
		}
		binary.LittleEndian.PutUint32(b, v)
		binary.LittleEndian.PutUint32(lb, 4)
	}
	return 0
}

// sysMsg implements sendmsg and recvmsg over the iovec of a msghdr.
func sysMsg(fd, msg uintptr, send bool) int64 {
	m, ok := userBytes(msg, 56, false)
	if !ok {
		return -EFAULT
	}
	iov := *(*uintptr)(unsafe.Pointer(&m[16]))
	cnt := *(*uintptr)(unsafe.Pointer(&m[24]))
	if !send {
		// No control data, no address.
		*(*uint32)(unsafe.Pointer(&m[8])) = 0
		*(*uintptr)(unsafe.Pointer(&m[40])) = 0
		*(*int32)(unsafe.Pointer(&m[48])) = 0
	}
	return sysIov(fd, iov, cnt, send)
}
