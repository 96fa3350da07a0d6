package kernel

import (
	"sync/atomic"

	"github.com/gotoro/gotoro/internal/byteorder"
)

// AF_UNIX sockets: stream, datagram and seqpacket, named by a path (a
// socket inode in /tmp) or an abstract name, or unnamed (socketpair).
//
// A stream connection is a pair of sockets joined by two stream pipes, as
// an inet loopback connection is (socket.go). Datagram and seqpacket
// sockets keep messages as records in ordinary pipes (unix_msg.go): a
// datagram socket's receive queue is its own, a seqpacket connection has
// one pipe per direction. Descriptors passed with SCM_RIGHTS travel beside
// the data (unix_rights.go). There is one process, so SO_PEERCRED is
// always pid 1, uid 0, gid 0.

const (
	sockSeqpacket   = 5
	maxUnixSockets  = 1024
	maxUnixBacklog  = 128
	unixPathMax     = 108 // sun_path
	unixAddrMax     = 2 + unixPathMax
	tmpModeSock     = 0o140000
	soAcceptconn    = 30
	soPeercred      = 17
	soPasscred      = 16
	soSndbuf        = 7
	soRcvbuf        = 8
	soDomain        = 39
	soProtocol      = 38
	msgNosignal     = 0x4000
	msgCmsgCloexec  = 0x40000000
	unixAutobindLen = 6 // "\x00" and five hex digits
)

type unixState uint8

const (
	usFree unixState = iota
	usNew
	usListening
	usConnected
)

type unixSock struct {
	state unixState
	typ   uint8  // sockStream, sockDgram or sockSeqpacket
	ino   uint64 // st_ino, the N of socket:[N] (newAnonIno)
	// Connections: the pipes to and from the peer (stream: stream
	// pipes; seqpacket: record pipes). A datagram socket's queue is rx.
	rx, tx int
	peer   int32 // the connected peer (a datagram socket's default destination), or -1
	rdShut bool
	wrShut bool
	// name is the bound address's sun_path bytes (nameLen of them; an
	// abstract name starts with 0); node is the socket inode of a path
	// name in /tmp, or -1.
	nameLen int
	name    [unixPathMax]byte
	node    int
	// Accept queue of a listener: connections not yet accepted.
	backlog   int
	qhead, qn int
	queue     [maxUnixBacklog]int32
	gen       uint64
	// A stream's positions for SCM_RIGHTS (unix_rights.go): bytes
	// written to tx, changed under tx's lock, and read from rx, under
	// rx's; rightsIn counts the descriptor messages in flight to this
	// socket (under rx's lock), for which reads take the locked path.
	txPos      uint64
	rxPos      uint64
	rightsIn   int32
	peerClosed bool // a datagram socket's peer went away
}

var unixSocks [maxUnixSockets]unixSock

// unixAutobindNext numbers the abstract names of autobound sockets.
var unixAutobindNext uint32

func unixAlloc(typ uint8) int {
	for i := range unixSocks {
		if unixSocks[i].state == usFree {
			unixSocks[i] = unixSock{state: usNew, typ: typ, rx: -1, tx: -1, peer: -1, node: -1, ino: newAnonIno()}
			return i
		}
	}
	return -1
}

// unixSocketCreate is socket(2) for AF_UNIX.
func unixSocketCreate(typ, proto int32) int64 {
	st := typ &^ (sockNonblock | sockCloexec)
	if proto != 0 {
		return -EPROTONOSUPPORT
	}
	if st != sockStream && st != sockDgram && st != sockSeqpacket {
		return -ESOCKTNOSUPPORT
	}
	ui := unixAlloc(uint8(st))
	if ui < 0 {
		return -ENFILE
	}
	if st == sockDgram {
		pi, e := pipeAlloc()
		if e != 0 {
			unixSocks[ui].state = usFree
			return e
		}
		unixSocks[ui].rx = pi
	}
	fd, f := newSocketFD(fkUnix, uint32(typ))
	if f == nil {
		unixFree(ui)
		return fd
	}
	f.node = ui
	return fd
}

// unixSocketpair is socketpair(2) for AF_UNIX.
func unixSocketpair(typ, proto int32, fds uintptr) int64 {
	st := typ &^ (sockNonblock | sockCloexec)
	if proto != 0 {
		return -EPROTONOSUPPORT
	}
	if st != sockStream && st != sockDgram && st != sockSeqpacket {
		return -ESOCKTNOSUPPORT
	}
	out, ok := userBytes(fds, 8, true)
	if !ok {
		return -EFAULT
	}
	a := unixAlloc(uint8(st))
	if a < 0 {
		return -ENFILE
	}
	b := unixAlloc(uint8(st))
	if b < 0 {
		unixSocks[a].state = usFree
		return -ENFILE
	}
	var e int64
	if st == sockDgram {
		e = unixDgramPair(a, b)
	} else {
		e = unixJoin(a, b)
	}
	if e != 0 {
		unixFree(a)
		unixFree(b)
		return e
	}
	fa, f1 := newSocketFD(fkUnix, uint32(typ))
	if f1 == nil {
		unixFree(a)
		unixFree(b)
		return fa
	}
	f1.node = a
	fb, f2 := newSocketFD(fkUnix, uint32(typ))
	if f2 == nil {
		fdClose(uintptr(fa))
		unixFree(b)
		return fb
	}
	f2.node = b
	*(*[2]int32)(ptr(uintptrOf(&out[0]))) = [2]int32{int32(fa), int32(fb)}
	return 0
}

// unixDgramPair connects two new datagram sockets to each other.
func unixDgramPair(a, b int) int64 {
	for _, i := range [2]int{a, b} {
		pi, e := pipeAlloc()
		if e != 0 {
			return e
		}
		unixSocks[i].rx = pi
	}
	unixSocks[a].peer, unixSocks[b].peer = int32(b), int32(a)
	unixSocks[a].state, unixSocks[b].state = usConnected, usConnected
	return 0
}

// unixJoin connects stream or seqpacket sockets a and b with a pipe each
// way.
func unixJoin(a, b int) int64 {
	alloc := pipeAllocStream
	if unixSocks[a].typ == sockSeqpacket {
		alloc = pipeAlloc
	}
	up, e := alloc()
	if e != 0 {
		return e
	}
	down, e := alloc()
	if e != 0 {
		pipeClose(up, false)
		pipeClose(up, true)
		return e
	}
	s, t := &unixSocks[a], &unixSocks[b]
	s.tx, s.rx, s.peer = up, down, int32(b)
	t.rx, t.tx, t.peer = up, down, int32(a)
	s.state, t.state = usConnected, usConnected
	return 0
}

// unixFree releases a socket that has no descriptor.
func unixFree(ui int) {
	unixRelease(ui)
}

// unixAddr is a decoded sockaddr_un: the sun_path bytes that count.
type unixAddr struct {
	n    int
	path [unixPathMax + 1]byte // NUL-terminated for a path name
}

func (a *unixAddr) abstract() bool { return a.n > 0 && a.path[0] == 0 }

// pathName returns a path name (without its NUL).
func (a *unixAddr) pathName() string { return unsafeString(a.path[:a.n]) }

// readUnixAddr decodes the user's sockaddr_un at p, n bytes long. A path
// name ends at its first NUL; an abstract name is every byte given.
func readUnixAddr(p, n uintptr, a *unixAddr) int64 {
	if n < 2 || n > unixAddrMax {
		return -EINVAL
	}
	b, ok := userBytes(p, n, false)
	if !ok {
		return -EFAULT
	}
	if byteorder.LittleEndian.Uint16(b) != afUnix {
		return -EINVAL
	}
	sp := b[2:]
	a.n = len(sp)
	if a.n > 0 && sp[0] != 0 {
		a.n = 0
		for a.n < len(sp) && sp[a.n] != 0 {
			a.n++
		}
	}
	copy(a.path[:], sp[:a.n])
	a.path[a.n] = 0
	return 0
}

// putUnixName writes the address of socket ui (nothing for an unbound one)
// to the user's buffer p with its length at lenp.
func putUnixName(ui int, p, lenp uintptr) int64 {
	var sa [unixAddrMax + 1]byte
	byteorder.LittleEndian.PutUint16(sa[:], afUnix)
	n := 2
	if ui >= 0 {
		s := &unixSocks[ui]
		n += copy(sa[2:], s.name[:s.nameLen])
		if s.nameLen > 0 && s.name[0] != 0 {
			n++ // a path name's NUL
		}
	}
	return putSockaddr(sa[:n], p, lenp)
}

// unixFindName returns the socket of type typ bound to a, or Linux's
// error: a path that does not exist is ENOENT, one that is not a socket or
// whose socket is gone ECONNREFUSED, a socket of another type EPROTOTYPE
// (an abstract name of another type: ECONNREFUSED).
func unixFindName(a *unixAddr, typ uint8) (int, int64) {
	if a.n == 0 {
		return -1, -EINVAL
	}
	if a.abstract() {
		for i := range unixSocks {
			s := &unixSocks[i]
			if s.state != usFree && s.nameLen == a.n && string(s.name[:s.nameLen]) == string(a.path[:a.n]) {
				if s.typ != typ {
					return -1, -ECONNREFUSED
				}
				return i, 0
			}
		}
		return -1, -ECONNREFUSED
	}
	ref, e := resolveAt(atFDCWD, a.pathName(), true)
	if e != 0 {
		return -1, e
	}
	if !ref.tmp || tmp.nodes[ref.idx].mode&tmpModeMask != tmpModeSock {
		return -1, -ECONNREFUSED
	}
	for i := range unixSocks {
		s := &unixSocks[i]
		if s.state != usFree && s.node == ref.idx {
			if s.typ != typ {
				return -1, -EPROTOTYPE
			}
			return i, 0
		}
	}
	return -1, -ECONNREFUSED
}

// unixBind gives socket ui the name a: an abstract name, or a socket
// inode created at a path (in /tmp; EROFS elsewhere, EADDRINUSE if the
// path exists).
func unixBind(ui int, a *unixAddr) int64 {
	s := &unixSocks[ui]
	if s.nameLen > 0 {
		return -EINVAL
	}
	if a.n == 0 {
		return unixAutobind(ui)
	}
	if a.abstract() {
		for i := range unixSocks {
			o := &unixSocks[i]
			if o.state != usFree && o.nameLen == a.n && string(o.name[:o.nameLen]) == string(a.path[:a.n]) {
				return -EADDRINUSE
			}
		}
	} else {
		if _, e := resolveAt(atFDCWD, a.pathName(), false); e == 0 {
			return -EADDRINUSE
		} else if e != -ENOENT {
			return e
		}
		if ab, _ := pathBufs0(); nfuseMounts > 0 {
			if mi, _ := fuseAbs(ab, atFDCWD, a.pathName()); mi >= 0 {
				return -EOPNOTSUPP // no socket inodes on shared directories
			}
		}
		dir, name, e := resolveParent(atFDCWD, a.pathName())
		if e != 0 {
			return e
		}
		node, e := tmpCreate(dir, name, tmpModeSock|0o755)
		if e != 0 {
			return e
		}
		inotifyNotify(node, inCreate)
		// A socket inode freed and made again names this socket only.
		for i := range unixSocks {
			if unixSocks[i].node == node {
				unixSocks[i].node = -1
			}
		}
		s.node = node
	}
	s.nameLen = copy(s.name[:], a.path[:a.n])
	return 0
}

// unixAutobind gives socket ui an unused abstract name of five hex digits.
func unixAutobind(ui int) int64 {
	for tries := 0; tries < 1<<20; tries++ {
		var a unixAddr
		a.n = unixAutobindLen
		v := unixAutobindNext & 0xfffff
		unixAutobindNext++
		for i := 5; i >= 1; i-- {
			a.path[i] = "0123456789abcdef"[v&15]
			v >>= 4
		}
		if _, e := unixFindName(&a, unixSocks[ui].typ); e == -ECONNREFUSED {
			if unixNameFree(&a) {
				s := &unixSocks[ui]
				s.nameLen = copy(s.name[:], a.path[:a.n])
				return 0
			}
		}
	}
	return -EADDRINUSE
}

func unixNameFree(a *unixAddr) bool {
	for i := range unixSocks {
		o := &unixSocks[i]
		if o.state != usFree && o.nameLen == a.n && string(o.name[:o.nameLen]) == string(a.path[:a.n]) {
			return false
		}
	}
	return true
}

func unixChanged(s *unixSock) {
	s.gen++
	wakeKey(uintptrOf(s))
	epollNotify()
}

// unixConnect connects stream or seqpacket socket ui to the listener
// named a, waiting for room in its accept queue unless nonblocking.
func unixConnect(ui int, a *unixAddr, nonblock bool) int64 {
	s := &unixSocks[ui]
	switch s.state {
	case usConnected:
		return -EISCONN
	case usListening:
		return -EINVAL
	}
	for {
		li, e := unixFindName(a, s.typ)
		if e != 0 {
			return e
		}
		l := &unixSocks[li]
		if l.state != usListening {
			return -ECONNREFUSED
		}
		if l.qn < l.backlog {
			return unixEnqueue(ui, li)
		}
		if nonblock {
			return -EAGAIN
		}
		if waitOn(uintptrOf(l), 0) == wakeSignal {
			return -errRestartSys
		}
	}
}

// unixEnqueue makes the server end of a connection from socket ui to
// listener li and queues it for accept.
func unixEnqueue(ui, li int) int64 {
	l := &unixSocks[li]
	srv := unixAlloc(l.typ)
	if srv < 0 {
		return -ENFILE
	}
	if e := unixJoin(ui, srv); e != 0 {
		unixSocks[srv].state = usFree
		return e
	}
	v := &unixSocks[srv]
	v.nameLen = copy(v.name[:], l.name[:l.nameLen])
	l.queue[(l.qhead+l.qn)%maxUnixBacklog] = int32(srv)
	l.qn++
	unixChanged(l)
	unixChanged(&unixSocks[ui])
	return 0
}

func unixAccept(f *file, addr, lenp uintptr, flags uint32) int64 {
	s := &unixSocks[f.node]
	if flags&^(sockNonblock|sockCloexec) != 0 {
		return -EINVAL
	}
	if s.typ == sockDgram {
		return -EOPNOTSUPP
	}
	if s.state != usListening {
		return -EINVAL
	}
	for s.qn == 0 {
		if f.flags&oNonblock != 0 {
			return -EAGAIN
		}
		if waitOn(uintptrOf(s), 0) == wakeSignal {
			return -errRestartSys
		}
	}
	ci := s.queue[s.qhead]
	nfd, nf := newSocketFD(fkUnix, flags)
	if nf == nil {
		return nfd
	}
	s.qhead = (s.qhead + 1) % maxUnixBacklog
	s.qn--
	unixChanged(s)
	nf.node = int(ci)
	// The peer's address: the connecting socket's name, if it has one.
	if e := putUnixName(int(unixSocks[ci].peer), addr, lenp); e != 0 {
		return e
	}
	return nfd
}

// unixRelease closes socket ui: its pipes, its queue, descriptors in
// flight to it; its socket inode stays (as on Linux: connecting to it is
// refused until it is removed).
func unixRelease(ui int) {
	s := &unixSocks[ui]
	switch s.state {
	case usListening:
		for s.qn > 0 {
			unixRelease(int(s.queue[s.qhead]))
			s.qhead = (s.qhead + 1) % maxUnixBacklog
			s.qn--
		}
	case usConnected:
		if s.typ != sockDgram {
			if !s.rdShut {
				pipeClose(s.rx, false)
			}
			if !s.wrShut {
				pipeClose(s.tx, true)
			}
		}
	}
	if s.typ == sockDgram && s.rx >= 0 {
		pipeClose(s.rx, false)
		pipeClose(s.rx, true)
	}
	rightsDropFor(ui)
	for i := range unixSocks {
		o := &unixSocks[i]
		if o.state != usFree && o.peer == int32(ui) {
			o.peer = -1
			if o.typ == sockDgram {
				o.peerClosed = true
			}
			unixChanged(o)
		}
	}
	unixChanged(s)
	s.state = usFree
	s.node = -1
	s.nameLen = 0
}

// unixFile is an AF_UNIX socket: f.node indexes unixSocks.
type unixFile struct{ fileBase }

func (*unixFile) release(f *file)                     { unixRelease(f.node) }
func (*unixFile) statfs(f *file, st *statfsBuf) int64 { return statfsPseudo(st, sockfsMagic) }

func (*unixFile) stat(f *file, st *statBuf) int64 {
	*st = statBuf{nlink: 1, blksize: 4096, dev: 8, ino: sockIno(f.kind, f.node), mode: tmpModeSock | 0o777}
	return 0
}

func (*unixFile) bind(f *file, addr, n uintptr) int64 {
	var a unixAddr
	if e := readUnixAddr(addr, n, &a); e != 0 {
		return e
	}
	return unixBind(f.node, &a)
}

func (*unixFile) listen(f *file, backlog int32) int64 {
	s := &unixSocks[f.node]
	if s.typ == sockDgram {
		return -EOPNOTSUPP
	}
	if s.state != usNew && s.state != usListening {
		return -EINVAL
	}
	if s.nameLen == 0 {
		if e := unixAutobind(f.node); e != 0 {
			return e
		}
	}
	s.state = usListening
	s.backlog = int(min(max(backlog, 1), maxUnixBacklog))
	unixChanged(s)
	return 0
}

func (*unixFile) connect(f *file, addr, n uintptr) int64 {
	var a unixAddr
	if e := readUnixAddr(addr, n, &a); e != 0 {
		return e
	}
	if unixSocks[f.node].typ == sockDgram {
		return unixDgramConnect(f.node, &a)
	}
	return unixConnect(f.node, &a, f.flags&oNonblock != 0)
}

func (*unixFile) accept(f *file, addr, lenp uintptr, flags uint32) int64 {
	return unixAccept(f, addr, lenp, flags)
}

func (*unixFile) shutdown(f *file, how int32) int64 {
	s := &unixSocks[f.node]
	if how < 0 || how > 2 {
		return -EINVAL
	}
	if s.state != usConnected {
		return -ENOTCONN
	}
	if s.typ == sockDgram {
		if how != shutWr {
			s.rdShut = true
		}
		if how != shutRd {
			s.wrShut = true
		}
		unixChanged(s)
		return 0
	}
	if how != shutWr && !s.rdShut {
		s.rdShut = true
		pipeClose(s.rx, false)
	}
	if how != shutRd && !s.wrShut {
		s.wrShut = true
		pipeClose(s.tx, true)
	}
	unixChanged(s)
	if p := s.peer; p >= 0 {
		unixChanged(&unixSocks[p])
	}
	return 0
}

func (*unixFile) sockname(f *file, addr, lenp uintptr, peer bool) int64 {
	s := &unixSocks[f.node]
	if !peer {
		return putUnixName(f.node, addr, lenp)
	}
	if s.peer < 0 {
		return -ENOTCONN
	}
	return putUnixName(int(s.peer), addr, lenp)
}

func (*unixFile) setsockopt(f *file, level, name int32, val, n uintptr) int64 { return 0 }

func (*unixFile) getsockopt(f *file, level, name int32, val, lenp uintptr) int64 {
	s := &unixSocks[f.node]
	lb, e := sockoptLen(lenp)
	if e != 0 {
		return e
	}
	if level != solSocket {
		return -EOPNOTSUPP
	}
	v := uint32(0)
	switch name {
	case soType:
		v = uint32(s.typ)
	case soDomain:
		v = afUnix
	case soAcceptconn:
		if s.state == usListening {
			v = 1
		}
	case soSndbuf, soRcvbuf:
		v = pipeSize
	case soPeercred:
		// struct ucred {pid, uid, gid}: this process, root.
		if byteorder.LittleEndian.Uint32(lb) < 12 {
			return -EINVAL
		}
		b, ok := userBytes(val, 12, true)
		if !ok {
			return -EFAULT
		}
		byteorder.LittleEndian.PutUint32(b[0:], procPid)
		byteorder.LittleEndian.PutUint32(b[4:], 0)
		byteorder.LittleEndian.PutUint32(b[8:], 0)
		byteorder.LittleEndian.PutUint32(lb, 12)
		return 0
	}
	return putSockoptInt(val, lb, v)
}

func (*unixFile) read(f *file, b []byte, off int64) int64 {
	if off >= 0 {
		return -ESPIPE
	}
	return unixRecv(f, b, callMsgFlags(), nil)
}

func (*unixFile) write(f *file, b []byte, off int64) int64 {
	if off >= 0 {
		return -ESPIPE
	}
	return unixSend(f, b, callMsgFlags(), nil)
}

func (*unixFile) sendto(f *file, buf, n uintptr, flags uint32, addr, alen uintptr) int64 {
	b, ok := userBytes(buf, n, false)
	if !ok {
		return -EFAULT
	}
	if addr != 0 && unixSocks[f.node].typ == sockDgram {
		var a unixAddr
		if e := readUnixAddr(addr, alen, &a); e != 0 {
			return e
		}
		g := ioVec{one: b}
		return unixMsgSend(f, &g, &a, nil, flags)
	}
	return unixSend(f, b, flags, nil)
}

func (*unixFile) recvfrom(f *file, buf, n uintptr, flags uint32, addr, lenp uintptr) int64 {
	b, ok := userBytes(buf, n, true)
	if !ok {
		return -EFAULT
	}
	if addr == 0 || lenp == 0 {
		addr = 0
	}
	s := &unixSocks[f.node]
	if s.typ == sockStream {
		r := unixRecv(f, b, flags, nil)
		if r >= 0 && addr != 0 {
			if e := putUnixName(int(s.peer), addr, lenp); e != 0 {
				return e
			}
		}
		return r
	}
	g := ioVec{one: b}
	return unixMsgRecv(f, &g, flags, addr, lenp, nil)
}

func (*unixFile) msg(f *file, m []byte, send bool) int64 { return unixMsg(f, m, send) }

// unixSend writes b to a connected socket (datagram: to its peer).
// rights, if not nil and not empty, go with the first byte of a stream
// write; they stay the caller's when no byte went.
func unixSend(f *file, b []byte, flags uint32, rights *rightsMsg) int64 {
	s := &unixSocks[f.node]
	if s.typ != sockStream {
		g := ioVec{one: b}
		return unixMsgSend(f, &g, nil, rights, flags)
	}
	if s.state != usConnected {
		return -ENOTCONN
	}
	if s.wrShut {
		return unixEPIPE(flags)
	}
	slot := -1
	if rights != nil && rights.n > 0 {
		var e int64
		if slot, e = rightsReserve(); e != 0 {
			return e
		}
	}
	r := unixStreamSend(f, s, b, flags, slot, rights)
	if slot >= 0 && rights.n > 0 {
		rightsUnreserve(slot) // no byte went: the descriptors stay the caller's
	}
	return r
}

// unixStreamSend is unixSend on connected stream socket s, under the
// lock of its send pipe, which readers and writers without the big
// kernel lock take too (socket_unlocked.go); s.txPos moves with the
// bytes under it. The descriptors of rights go into reserved in-flight
// slot (when slot >= 0) with the first bytes, in the same hold of the
// lock, so a reader sees both or neither; as on Linux they belong to
// those first bytes, and a read that takes them ends there.
func unixStreamSend(f *file, s *unixSock, b []byte, flags uint32, slot int, rights *rightsMsg) int64 {
	nonblock := f.flags&oNonblock != 0 || flags&msgDontwait != 0
	p := &pipes[s.tx]
	done := 0
	p.lock.lock()
	for done < len(b) {
		if p.readers == 0 {
			p.lock.unlock()
			if done > 0 {
				return int64(done)
			}
			return unixEPIPE(flags)
		}
		if m := pipePut(p, b[done:]); m > 0 {
			if done == 0 && slot >= 0 {
				rightsAttach(slot, int(s.peer), s.txPos, s.txPos+uint64(m), rights)
			}
			done += m
			s.txPos += uint64(m)
			atomic.AddUint64(&p.gen, 1)
			p.lock.unlock()
			pipeWake(p)
			p.lock.lock()
			continue
		}
		if nonblock {
			p.lock.unlock()
			if done > 0 {
				return int64(done)
			}
			return -EAGAIN
		}
		if pipeSleep(p) == wakeSignal {
			if done > 0 {
				return int64(done)
			}
			return -errRestartSys
		}
		p.lock.lock()
	}
	p.lock.unlock()
	return int64(done)
}

// unixEPIPE is a write to a connection nobody reads: EPIPE, and SIGPIPE
// unless MSG_NOSIGNAL.
func unixEPIPE(flags uint32) int64 {
	if flags&msgNosignal == 0 {
		sendSignal(curThread(), sigPIPE)
	}
	return -EPIPE
}

// unixRecv reads a stream socket into b. A read that reaches bytes sent
// with descriptors takes the descriptors — into rights (recvmsg), or they
// are closed (read) — and ends with those bytes.
func unixRecv(f *file, b []byte, flags uint32, rights *rightsMsg) int64 {
	s := &unixSocks[f.node]
	if s.typ != sockStream {
		g := ioVec{one: b}
		return unixMsgRecv(f, &g, flags, 0, 0, rights)
	}
	if flags&msgPeek != 0 {
		g := ioVec{one: b}
		return unixStreamPeek(f, &g, flags)
	}
	// The descriptors' lookup, the read and rxPos move under the receive
	// pipe's lock: writers and readers without the big lock take it too.
	p, e := unixStreamAwait(f, flags, len(b) == 0)
	if e <= 0 {
		return e
	}
	var dropped rightsMsg
	out := rights
	if out == nil {
		out = &dropped
	}
	if lim := rightsTake(f.node, s.rxPos, min(len(b), p.n), out); lim >= 0 && int64(len(b)) > lim {
		b = b[:lim]
	}
	r := pipeTake(p, b)
	s.rxPos += uint64(r)
	atomic.AddUint64(&p.gen, 1)
	p.lock.unlock()
	pipeWake(p)
	rightsRelease(&dropped)
	return int64(r)
}

// unixStreamAwait waits until connected stream socket f has bytes to
// read (pipeAwait): its receive pipe and 1, holding the pipe's lock, when
// it has; else what the read returns (0 at the end, at once for an empty
// read; -EINVAL unconnected, -EAGAIN, -errRestartSys), without the lock.
func unixStreamAwait(f *file, flags uint32, empty bool) (*pipe, int64) {
	s := &unixSocks[f.node]
	if s.state != usConnected {
		return nil, -EINVAL
	}
	if s.rdShut {
		return nil, 0
	}
	p := &pipes[s.rx]
	nonblock := f.flags&oNonblock != 0 || flags&msgDontwait != 0
	return p, pipeAwait(p, nonblock, empty)
}

// unixStreamPeek copies the bytes stream socket f has into g without
// taking them (MSG_PEEK), waiting for the first as a read does. The
// descriptors sent with them stay queued for the read that takes them.
func unixStreamPeek(f *file, g *ioVec, flags uint32) int64 {
	p, e := unixStreamAwait(f, flags, g.size(true) == 0)
	if e <= 0 {
		return e
	}
	r := pipePeekv(p, g) // under the lock: readers without the big lock take bytes
	p.lock.unlock()
	return r
}

func (*unixFile) readiness(f *file) uint32 {
	s := &unixSocks[f.node]
	switch s.state {
	case usListening:
		if s.qn > 0 {
			return epollIn
		}
		return 0
	case usNew:
		if s.typ == sockDgram {
			return unixDgramReadiness(s)
		}
		return epollOut | epollHup
	}
	if s.typ == sockDgram {
		return unixDgramReadiness(s)
	}
	// A stream's pipes change without the big lock (socket_unlocked.go):
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
	room := pipeRoom(tx)
	if s.typ == sockSeqpacket {
		room -= msgHdrLen
	}
	if !s.wrShut && room > 0 {
		r |= epollOut
	}
	if tx.readers == 0 {
		r |= epollOut | epollHup
	}
	tx.lock.unlock()
	if s.rdShut && s.wrShut {
		r |= epollHup
	}
	return r
}

func (*unixFile) gen(f *file) uint64 {
	s := &unixSocks[f.node]
	g := s.gen
	if s.rx >= 0 {
		g += atomic.LoadUint64(&pipes[s.rx].gen)
	}
	if s.state == usConnected && s.tx >= 0 {
		g += atomic.LoadUint64(&pipes[s.tx].gen)
	}
	if s.typ == sockDgram && s.peer >= 0 && unixSocks[s.peer].rx >= 0 {
		g += pipes[unixSocks[s.peer].rx].gen
	}
	return g
}

func (*unixFile) spliceRoom(f *file) int {
	if s := &unixSocks[f.node]; s.typ == sockStream && s.state == usConnected && !s.wrShut {
		return writeRoom(&pipes[s.tx])
	}
	return -1
}

func (*unixFile) spliceWait(f *file) int32 {
	s := &unixSocks[f.node]
	if s.typ == sockStream && s.state == usConnected {
		return pipeSpliceWait(&pipes[s.tx])
	}
	return blockOnFile(f)
}
