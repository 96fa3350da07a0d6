package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/internal/byteorder"
)

// Internet sockets (AF_INET and AF_INET6). A stream connection is a pair
// of sockets joined by two pipes. Between two programs' sockets on this
// machine (loopback, the unspecified address, the guest's own address) the
// kernel joins them directly. A connection to or from another machine has
// as its other end a socket owned by the network service, the TCP/IP stack
// that runs as goroutines in the program (package netsvc), which it reaches
// through /dev/netctl (netctl.go). Datagram sockets are in udp.go. Without
// a network service, other addresses are unreachable (ENETUNREACH).

const (
	afUnix  = 1
	afInet  = 2
	afInet6 = 10

	sockStream   = 1
	sockDgram    = 2
	sockNonblock = 0x800
	sockCloexec  = 0x80000

	ipprotoTCP   = 6
	ipprotoUDP   = 17
	ipprotoMPTCP = 262

	solSocket = 1
	soType    = 3
	soError   = 4

	shutRd = 0
	shutWr = 1

	maxSockets = 1024
	maxBacklog = 512
)

type sockState uint8

const (
	ssFree sockState = iota
	ssNew
	ssListening
	ssConnecting // an external connect the network service is making
	ssConnected
	ssFailed // a connect that failed; soErr says why
)

type socket struct {
	ino       uint64 // st_ino, the N of socket:[N] (newAnonIno)
	state     sockState
	typ       uint8 // sockStream or sockDgram
	family    uint16
	lport     uint16
	rport     uint16
	laddr     [16]byte
	raddr     [16]byte
	rx, tx    int   // pipes of a connection; a datagram socket's queue is rx
	peer      int32 // the other end of a connection, or -1
	soErr     int32 // error reported by SO_ERROR (a failed connect)
	rdShut    bool  // reading side closed
	wrShut    bool  // writing side closed
	svc       bool  // the network service's end of an external connection
	pending   bool  // a service end not yet given a descriptor
	extBound  bool  // datagram: the network service listens on lport
	gen       uint64
	qhead, qn int
	queue     [maxBacklog]int32 // accepted-but-unclaimed connections
	backlog   int
}

var sockets [maxSockets]socket

var nextEphemeral uint16 = 0 // 0 means "start at 32768"

func sockAlloc(family uint16, typ uint8) int {
	for i := range sockets {
		if sockets[i].state == ssFree {
			sockets[i] = socket{state: ssNew, family: family, typ: typ, rx: -1, tx: -1, peer: -1, ino: newAnonIno()}
			return i
		}
	}
	return -1
}

// inetSocketCreate is socket(2) for AF_INET and AF_INET6.
func inetSocketCreate(domain, typ, proto int32) int64 {
	st := typ &^ (sockNonblock | sockCloexec)
	switch {
	case st == sockStream && (proto == 0 || proto == ipprotoTCP):
	case st == sockDgram && (proto == 0 || proto == ipprotoUDP):
	default:
		return -EPROTONOSUPPORT
	}
	si := sockAlloc(uint16(domain), uint8(st))
	if si < 0 {
		return -ENFILE
	}
	if st == sockDgram {
		if e := udpInit(si); e != 0 {
			sockets[si].state = ssFree
			return e
		}
	}
	fd, f := newSocketFD(fkSocket, uint32(typ))
	if f == nil {
		sockRelease(si)
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
	switch byteorder.LittleEndian.Uint16(b) {
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
	return addr, byteorder.BigEndian.Uint16(b[2:]), 0
}

// writeSockaddr encodes addr and port for family into the user buffer p
// whose length is at *lenp, and stores the full length there.
func writeSockaddr(family uint16, addr [16]byte, port uint16, p, lenp uintptr) int64 {
	var sa [28]byte
	n := 16
	byteorder.LittleEndian.PutUint16(sa[:], family)
	byteorder.BigEndian.PutUint16(sa[2:], port)
	if family == afInet {
		copy(sa[4:8], addr[12:])
	} else {
		n = 28
		copy(sa[8:24], addr[:])
	}
	return putSockaddr(sa[:n], p, lenp)
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
	mapped := isMapped(a)
	return mapped && (a[12] == 127 || a[12]|a[13]|a[14]|a[15] == 0)
}

// isMapped reports whether a is an IPv4 address in IPv6 form.
func isMapped(a [16]byte) bool {
	return a[10] == 0xff && a[11] == 0xff && [10]byte(a[:10]) == [10]byte{}
}

// isLocal reports whether a reaches this machine: a loopback or
// unspecified address, or the guest's own address.
func isLocal(a [16]byte) bool {
	return isLoopback(a) || ncDev.haveIP && isMapped(a) && [4]byte(a[12:]) == ncDev.ip
}

// portInUse reports whether a socket of type typ holds port: a listener,
// or one bound but not connected.
func portInUse(port uint16, typ uint8) bool {
	for i := range sockets {
		s := &sockets[i]
		if s.state != ssFree && s.typ == typ && s.lport == port && !s.svc &&
			(s.state == ssListening || s.typ == sockDgram || s.rx < 0) {
			return true
		}
	}
	return false
}

func ephemeralPort(typ uint8) uint16 {
	for i := 0; i < 28232; i++ {
		if nextEphemeral < 32768 {
			nextEphemeral = 32768
		}
		p := nextEphemeral
		nextEphemeral++
		if !portInUse(p, typ) {
			return p
		}
	}
	return 0
}

// inetSocket is an AF_INET or AF_INET6 socket: f.node indexes sockets.
// Stream sockets are served here, datagram sockets in udp.go.
type inetSocket struct{ fileBase }

func (*inetSocket) release(f *file)                     { sockClose(f.node) }
func (*inetSocket) statfs(f *file, st *statfsBuf) int64 { return statfsPseudo(st, sockfsMagic) }

// stat describes the socket as Linux's sockfs does: a socket file of
// mode 0777.
func (*inetSocket) stat(f *file, st *statBuf) int64 {
	*st = statBuf{nlink: 1, blksize: 4096, dev: 8, ino: sockIno(f.kind, f.node), mode: tmpModeSock | 0o777}
	return 0
}

// spliceRoom is the room in a connection's sending pipe.
func (*inetSocket) spliceRoom(f *file) int {
	if s := &sockets[f.node]; s.state == ssConnected && !s.wrShut {
		return writeRoom(&pipes[s.tx])
	}
	return -1
}

func (*inetSocket) spliceWait(f *file) int32 { return pipeSpliceWait(&pipes[sockets[f.node].tx]) }

func (*inetSocket) sendto(f *file, buf, n uintptr, flags uint32, addr, alen uintptr) int64 {
	if sockets[f.node].typ == sockDgram {
		return udpSendto(f, buf, n, addr, alen)
	}
	if flags&(msgNosignal|msgDontwait) == 0 {
		return fileBase{}.sendto(f, buf, n, flags, addr, alen)
	}
	b, ok := userBytes(buf, n, false)
	if !ok {
		return -EFAULT
	}
	return inetStreamSend(f, b, flags)
}

func (*inetSocket) recvfrom(f *file, buf, n uintptr, flags uint32, addr, lenp uintptr) int64 {
	if sockets[f.node].typ == sockDgram {
		return udpRecvfrom(f, buf, n, flags, addr, lenp)
	}
	if flags&(msgPeek|msgDontwait) == 0 {
		return fileBase{}.recvfrom(f, buf, n, flags, addr, lenp)
	}
	if addr != 0 && lenp != 0 {
		if b, ok := userBytes(lenp, 4, true); ok {
			clear(b) // no address to report, as for a connected TCP socket
		}
	}
	b, ok := userBytes(buf, n, true)
	if !ok {
		return -EFAULT
	}
	g := ioVec{one: b}
	return inetStreamRecvFlags(f, &g, flags)
}

func (*inetSocket) msg(f *file, m []byte, send bool) int64 {
	if sockets[f.node].typ == sockDgram {
		return udpMsg(f, m, send)
	}
	if send && unixMsgFlags&(msgNosignal|msgDontwait) != 0 {
		return inetStreamSendmsg(f, m, unixMsgFlags)
	}
	if send || unixMsgFlags&(msgPeek|msgDontwait) == 0 {
		return msgIov(f, m, send)
	}
	*(*uint32)(ptrTo(&m[8])) = 0   // msg_namelen
	*(*uintptr)(ptrTo(&m[40])) = 0 // msg_controllen
	*(*int32)(ptrTo(&m[48])) = 0   // msg_flags
	g, e := msgVec(m)
	if e != 0 {
		return e
	}
	return inetStreamRecvFlags(f, &g, unixMsgFlags)
}

// inetStreamSendmsg is sendmsg on stream socket f with the flags
// MSG_NOSIGNAL and MSG_DONTWAIT (inetStreamSend for each buffer of the
// user's msghdr m, streamSendv). Without them sendmsg is writev's path.
func inetStreamSendmsg(f *file, m []byte, flags uint32) int64 {
	g, e := msgVec(m)
	if e != 0 {
		return e
	}
	return streamSendv(f, &g, nil, flags)
}

// inetStreamRecvFlags receives on a stream socket into g with recv's
// flags MSG_PEEK (the bytes stay buffered) and MSG_DONTWAIT (no waiting
// even on a blocking socket); a read without them is read(2)'s path.
func inetStreamRecvFlags(f *file, g *ioVec, flags uint32) int64 {
	s := &sockets[f.node]
	switch {
	case s.state == ssFailed:
		return sockTakeErr(s)
	case s.state == ssConnecting:
		return -EAGAIN
	case s.state != ssConnected:
		return -ENOTCONN
	case s.rdShut:
		return 0
	}
	p := &pipes[s.rx]
	nonblock := f.flags&oNonblock != 0 || flags&msgDontwait != 0
	if e := pipeWaitData(p, nonblock, g.size(true) == 0); e <= 0 {
		return e
	}
	if flags&msgPeek != 0 {
		p.lock.lock() // another thread may read the socket without the big lock
		r := pipePeekv(p, g)
		p.lock.unlock()
		return r
	}
	total := int64(0)
	for i := 0; i < g.count(); i++ {
		d, ok := g.part(i, true)
		if !ok {
			if total > 0 {
				break
			}
			return -EFAULT
		}
		if len(d) == 0 {
			continue
		}
		r := pipeReadIdx(s.rx, true, d)
		if r <= 0 {
			if total > 0 || r == 0 {
				break
			}
			return r
		}
		total += r
		if int(r) < len(d) {
			break
		}
	}
	return total
}

func (*inetSocket) bind(f *file, addr, n uintptr) int64 {
	s := &sockets[f.node]
	a, port, e := readSockaddr(addr, n)
	if e != 0 {
		return e
	}
	if s.state != ssNew || s.lport != 0 {
		return -EINVAL
	}
	// A datagram port reachable from outside, or the guest's own address
	// (known once the network service runs), needs the service.
	if reachableFromOutside(a) && (s.typ == sockDgram || !isLocal(a)) {
		if e := netNeedListen(); e != 0 {
			return e
		}
	}
	if !isLocal(a) {
		return -EADDRNOTAVAIL
	}
	if port == 0 {
		if port = ephemeralPort(s.typ); port == 0 {
			return -EADDRINUSE
		}
	} else if portInUse(port, s.typ) {
		return -EADDRINUSE
	}
	s.laddr, s.lport = a, port
	if s.typ == sockDgram {
		udpBound(f.node)
	}
	return 0
}

func (*inetSocket) listen(f *file, backlog int32) int64 {
	s := &sockets[f.node]
	if s.typ != sockStream {
		return -EOPNOTSUPP
	}
	if s.state != ssNew && s.state != ssListening {
		return -EINVAL
	}
	// Reachable from other machines as soon as listen returns.
	if reachableFromOutside(s.laddr) {
		if e := netNeedListen(); e != 0 {
			return e
		}
	}
	if s.lport == 0 {
		s.lport = ephemeralPort(s.typ)
	}
	s.state = ssListening
	s.backlog = int(min(max(backlog, 1), maxBacklog))
	return 0
}

func sockChanged(s *socket) {
	s.gen++
	wakeKey(uintptrOf(s))
	epollNotify()
}

func (*inetSocket) connect(f *file, addr, n uintptr) int64 {
	s := &sockets[f.node]
	a, port, e := readSockaddr(addr, n)
	if e != 0 {
		return e
	}
	if s.typ == sockDgram {
		return udpConnect(f.node, a, port)
	}
	switch s.state {
	case ssConnected:
		return -EISCONN
	case ssConnecting:
		if f.flags&oNonblock != 0 {
			return -EALREADY
		}
		// A blocking connect a signal cut, restarted (SA_RESTART): it
		// waits on, as on Linux.
		return connectWait(s)
	case ssListening:
		return -EINVAL
	case ssFailed:
		// Linux lets a socket whose connect failed try again.
		sockReset(s)
	}
	if !isLocal(a) {
		if e := netNeed(); e != 0 {
			return e
		}
	}
	if isLocal(a) { // the guest's own address is known once the service runs
		return loopConnect(f.node, a, port)
	}
	if e := ncConnect(f.node, a, port); e != 0 {
		return e
	}
	if f.flags&oNonblock != 0 {
		return -EINPROGRESS
	}
	return connectWait(s)
}

// connectWait waits for the connect of s to end: 0, its error, or
// -errRestartSys when a signal cuts the wait (EINTR unless the handler
// asked for SA_RESTART; a restarted connect comes back here).
func connectWait(s *socket) int64 {
	for s.state == ssConnecting {
		if waitOn(uintptrOf(s), 0) == wakeSignal {
			return -errRestartSys
		}
	}
	if s.state == ssFailed {
		e := s.soErr
		s.soErr = 0
		return -int64(e)
	}
	return 0
}

// loopConnect connects socket ci to a listener on this machine.
func loopConnect(ci int, a [16]byte, port uint16) int64 {
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
	s := &sockets[ci]
	if s.lport == 0 {
		s.lport = ephemeralPort(sockStream)
		s.laddr = a
	}
	srv, e := sockJoin(ci, sockets[li].family)
	if e != 0 {
		return e
	}
	v := &sockets[srv]
	v.laddr, v.lport = a, port
	s.raddr, s.rport = a, port
	s.state, v.state = ssConnected, ssConnected
	sockEnqueue(li, srv)
	sockChanged(s)
	return 0
}

// sockJoin makes a new stream socket of family the other end of socket ci
// and gives the pair their two pipes. The new socket's addresses are ci's,
// reversed; the caller sets the states.
func sockJoin(ci int, family uint16) (int, int64) {
	o := sockAlloc(family, sockStream)
	if o < 0 {
		return -1, -ENFILE
	}
	up, e := pipeAllocStream()
	if e != 0 {
		sockets[o].state = ssFree
		return -1, e
	}
	down, e := pipeAllocStream()
	if e != 0 {
		pipeClose(up, false)
		pipeClose(up, true)
		sockets[o].state = ssFree
		return -1, e
	}
	s, v := &sockets[ci], &sockets[o]
	s.tx, s.rx, s.peer = up, down, int32(o)
	v.rx, v.tx, v.peer = up, down, int32(ci)
	v.raddr, v.rport = s.laddr, s.lport
	return o, 0
}

// sockEnqueue puts connection ci on listener li's accept queue.
func sockEnqueue(li, ci int) {
	l := &sockets[li]
	l.queue[(l.qhead+l.qn)%maxBacklog] = int32(ci)
	l.qn++
	sockChanged(l)
}

func (*inetSocket) accept(f *file, addr, lenp uintptr, flags uint32) int64 {
	s := &sockets[f.node]
	if flags&^(sockNonblock|sockCloexec) != 0 {
		return -EINVAL
	}
	if s.typ != sockStream {
		return -EOPNOTSUPP
	}
	if s.state != ssListening {
		return -EINVAL
	}
	for {
		vsockPoll() // host connections bridged from vsock (vsock_bridge.go)
		if s.qn > 0 {
			break
		}
		if f.flags&oNonblock != 0 {
			return -EAGAIN
		}
		if waitOn(uintptrOf(s), 0) == wakeSignal {
			return -errRestartSys
		}
	}
	ci := s.queue[s.qhead]
	if ci < 0 {
		return vsBridgeAccept(s, int(-ci-1), addr, lenp, flags)
	}
	nfd, nf := newSocketFD(fkSocket, flags)
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
			if ci := s.queue[s.qhead]; ci < 0 {
				vsBridgeDrop(int(-ci - 1))
			} else {
				sockClose(int(ci))
			}
			s.qhead = (s.qhead + 1) % maxBacklog
			s.qn--
		}
	case ssConnected, ssConnecting:
		if !s.rdShut {
			pipeClose(s.rx, false)
		}
		if !s.wrShut {
			pipeClose(s.tx, true)
		}
		if p := s.peer; p >= 0 {
			sockets[p].peer = -1
			if sockets[p].state == ssConnecting {
				// The service gave up before the connection was made.
				sockFail(int(p), ECONNREFUSED)
			}
		}
	}
	if s.typ == sockDgram {
		udpClose(si)
	}
	sockChanged(s)
	s.state = ssFree
}

// sockRelease frees a socket that never had a descriptor.
func sockRelease(si int) {
	if sockets[si].typ == sockDgram && sockets[si].rx >= 0 {
		pipeClose(sockets[si].rx, false)
		pipeClose(sockets[si].rx, true)
		sockets[si].rx = -1
	}
	sockets[si].state = ssFree
}

// sockReset returns a socket whose connect failed to its unconnected state.
func sockReset(s *socket) {
	s.state, s.soErr, s.rx, s.tx, s.rdShut, s.wrShut, s.peer = ssNew, 0, -1, -1, false, false, -1
}

// sockFail ends a connect in progress on socket si with error e.
func sockFail(si int, e int32) {
	s := &sockets[si]
	if !s.rdShut {
		pipeClose(s.rx, false)
		s.rdShut = true
	}
	if !s.wrShut {
		pipeClose(s.tx, true)
		s.wrShut = true
	}
	s.state, s.soErr, s.peer = ssFailed, e, -1
	sockChanged(s)
}

func (*inetSocket) shutdown(f *file, how int32) int64 {
	s := &sockets[f.node]
	if how < 0 || how > 2 {
		return -EINVAL
	}
	if s.typ == sockDgram {
		return udpShutdown(s, how)
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

func (*inetSocket) read(f *file, b []byte, off int64) int64 {
	if off >= 0 {
		return -ESPIPE
	}
	s := &sockets[f.node]
	if s.typ == sockDgram {
		return udpRecv(f, b, 0, 0, 0, nil, nil)
	}
	if s.state == ssFailed {
		return sockTakeErr(s)
	}
	if s.state == ssConnecting {
		return -EAGAIN
	}
	if s.state != ssConnected {
		return -ENOTCONN
	}
	if s.rdShut {
		return 0
	}
	return pipeReadIdx(s.rx, f.flags&oNonblock != 0 || callMsgFlags()&msgDontwait != 0, b)
}

func (*inetSocket) write(f *file, b []byte, off int64) int64 {
	if off >= 0 {
		return -ESPIPE
	}
	if sockets[f.node].typ == sockDgram {
		return udpSendBytes(f.node, b, nil)
	}
	return inetStreamSend(f, b, callMsgFlags())
}

// inetStreamSend writes b to stream socket f with send's flags
// MSG_NOSIGNAL (EPIPE without SIGPIPE) and MSG_DONTWAIT (no waiting even
// on a blocking socket).
func inetStreamSend(f *file, b []byte, flags uint32) int64 {
	s := &sockets[f.node]
	if s.state == ssFailed {
		return sockTakeErr(s)
	}
	if s.state == ssConnecting {
		return -EAGAIN
	}
	if s.state != ssConnected {
		return -ENOTCONN
	}
	sigpipe := flags&msgNosignal == 0
	if s.wrShut {
		if sigpipe {
			sendSignal(curThread(), sigPIPE)
		}
		return -EPIPE
	}
	return pipeWriteSig(s.tx, f.flags&oNonblock != 0 || flags&msgDontwait != 0, sigpipe, b)
}

// sockTakeErr returns and clears the socket's pending error.
func sockTakeErr(s *socket) int64 {
	e := s.soErr
	s.soErr = 0
	if e == 0 {
		return -ENOTCONN
	}
	return -int64(e)
}

// readiness returns the epoll events of a socket.
func (*inetSocket) readiness(f *file) uint32 {
	s := &sockets[f.node]
	if s.typ == sockDgram {
		return udpReadiness(s)
	}
	switch s.state {
	case ssConnecting:
		return 0
	case ssFailed:
		return epollOut | epollErr | epollHup
	case ssListening:
		if s.qn > 0 {
			return epollIn
		}
		return 0
	case ssConnected:
		// The pipes change without the big lock (socket_unlocked.go):
		// each is looked at under its own lock.
		r := uint32(0)
		rx, tx := &pipes[s.rx], &pipes[s.tx]
		rx.lock.lock()
		if rx.n > 0 || s.rdShut {
			r |= epollIn
		}
		if rx.writers == 0 {
			r |= epollIn | epollRdhup
		}
		rx.lock.unlock()
		tx.lock.lock()
		if !s.wrShut && pipeRoom(tx) > 0 {
			r |= epollOut
		}
		if tx.readers == 0 {
			r |= epollOut | epollErr | epollHup
		}
		tx.lock.unlock()
		return r
	}
	return epollOut | epollHup
}

func (*inetSocket) gen(f *file) uint64 {
	s := &sockets[f.node]
	g := s.gen
	if s.typ == sockDgram {
		return g + pipes[s.rx].gen
	}
	if s.state == ssConnected {
		g += atomic.LoadUint64(&pipes[s.rx].gen) + atomic.LoadUint64(&pipes[s.tx].gen)
	}
	return g
}

func (*inetSocket) sockname(f *file, addr, lenp uintptr, peer bool) int64 {
	s := &sockets[f.node]
	if peer {
		if s.state != ssConnected && (s.typ != sockDgram || s.rport == 0) {
			return -ENOTCONN
		}
		return writeSockaddr(s.family, s.raddr, s.rport, addr, lenp)
	}
	return writeSockaddr(s.family, s.laddr, s.lport, addr, lenp)
}

// setsockopt accepts every option and changes nothing.
func (*inetSocket) setsockopt(f *file, level, name int32, val, n uintptr) int64 { return 0 }

func (*inetSocket) getsockopt(f *file, level, name int32, val, lenp uintptr) int64 {
	s := &sockets[f.node]
	lb, e := sockoptLen(lenp)
	if e != 0 {
		return e
	}
	v := uint32(0) // unknown options read as 0
	if level == solSocket && name == soType {
		v = uint32(s.typ)
	}
	if level == solSocket && name == soError {
		v = uint32(s.soErr)
		s.soErr = 0
	}
	return putSockoptInt(val, lb, v)
}
