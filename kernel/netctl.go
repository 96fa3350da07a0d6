package kernel

import (
	"github.com/gotoro/gotoro/internal/netctl"
	"github.com/gotoro/gotoro/kernel/mm"
)

// /dev/netctl joins the kernel's sockets to the network service, the TCP/IP
// stack that runs as goroutines in the program (package netsvc). The
// records and ioctl arguments are package internal/netctl's, shared with
// the service. One opener at a time.

const (
	ncRingPages = 64
	ncRingSize  = ncRingPages * pageSize
)

var ncDev struct {
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
	if ncDev.open {
		return -EBUSY
	}
	for i := range ncDev.pages {
		if ncDev.pages[i] = mm.Alloc(); ncDev.pages[i] == 0 {
			ncFreePages()
			return -ENOMEM
		}
	}
	fd, f := newFD(fkNetctl, flags&(oNonblock|oCloexec)|oRdwr)
	if f == nil {
		ncFreePages()
		return fd
	}
	ncDev.open, ncDev.r, ncDev.n = true, 0, 0
	// Datagram sockets bound before the service started.
	for i := range sockets {
		if s := &sockets[i]; s.state != ssFree && s.typ == sockDgram && s.lport != 0 {
			udpBound(i)
		}
	}
	return fd
}

func ncFreePages() {
	for i, p := range ncDev.pages {
		if p != 0 {
			mm.Free(p)
			ncDev.pages[i] = 0
		}
	}
}

// netctlFile is the open /dev/netctl.
type netctlFile struct{ fileBase }

func (*netctlFile) read(f *file, b []byte, off int64) int64  { return ncRead(f, b) }
func (*netctlFile) write(f *file, b []byte, off int64) int64 { return ncWrite(b) }
func (*netctlFile) readiness(f *file) uint32                 { return ncReadiness() }
func (*netctlFile) gen(f *file) uint64                       { return ncDev.gen }
func (*netctlFile) ioctl(f *file, req, arg uintptr) int64    { return ncIoctl(req, arg) }
func (*netctlFile) release(f *file)                          { ncClose() }

// ncClose runs when the service closes /dev/netctl: connections it has not
// taken yet fail, and nothing more leaves the machine.
func ncClose() {
	ncDev.open, ncDev.haveIP = false, false
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
	netSvcGone(false)
}

func ncChanged() {
	ncDev.gen++
	wakeKey(uintptrOf(&ncDev))
	epollNotify()
}

func ncReadiness() uint32 {
	if ncDev.n > 0 {
		return epollIn | epollOut
	}
	return epollOut
}

// ncPut appends a record made of head (its header says the whole record's
// length) and the parts of g (payload, n bytes; g may be nil), or reports
// that it did not fit.
func ncPut(head []byte, g *ioVec, n int) bool {
	if !ncDev.open {
		return false
	}
	total := len(head) + n
	if total > ncRingSize-ncDev.n {
		ncDev.drops++
		return false
	}
	w := (ncDev.r + ncDev.n) % ncRingSize
	w = (w + pageRingWrite(ncDev.pages[:], w, head)) % ncRingSize
	if g != nil {
		for i := 0; i < g.count(); i++ {
			b, _ := g.part(i, false)
			w = (w + pageRingWrite(ncDev.pages[:], w, b)) % ncRingSize
		}
	}
	ncDev.n += total
	ncChanged()
	return true
}

// ncPortMsg posts an OpUDPBind or OpUDPClose record.
func ncPortMsg(op uint16, port uint16) bool {
	var h [netctl.PortLen]byte
	netctl.PutPort(h[:], op, port)
	return ncPut(h[:], nil, 0)
}

// ncUDPSend posts a datagram from socket s to d.
func ncUDPSend(s *socket, d *sockDst, g *ioVec, n int) {
	var h [netctl.DatagramLen]byte
	dg := netctl.Datagram{LPort: s.lport, RPort: d.port, LAddr: s.laddr, RAddr: d.addr}
	dg.Put(h[:], netctl.OpUDPSend, n)
	ncPut(h[:], g, n)
}

// ncConnect starts a connection from stream socket ci to another machine:
// the service's end is created now and handed over with an OpConnect
// record.
func ncConnect(ci int, a [16]byte, port uint16) int64 {
	if !ncDev.open || !isMapped(a) {
		return -ENETUNREACH
	}
	s := &sockets[ci]
	if s.lport == 0 {
		if s.lport = ephemeralPort(sockStream); s.lport == 0 {
			return -EADDRNOTAVAIL
		}
		if ncDev.haveIP {
			s.laddr = mappedIP(ncDev.ip)
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
	// The record carries the socket index until ncRead installs a
	// descriptor for it.
	var h [netctl.ConnectLen]byte
	c := netctl.Connect{FD: int32(vi), Family: s.family, LPort: s.lport, RPort: port, LAddr: s.laddr, RAddr: a}
	c.Put(h[:])
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
	for ncDev.n > 0 {
		var h [netctl.HeaderLen]byte
		pageRingRead(h[:], ncDev.pages[:], ncDev.r, ncDev.n)
		op, l := netctl.ReadHeader(h[:])
		if l > len(b)-done {
			if done == 0 {
				return -EINVAL
			}
			break
		}
		rec := b[done : done+l]
		pageRingRead(rec, ncDev.pages[:], ncDev.r, l)
		ncDev.r = (ncDev.r + l) % ncRingSize
		ncDev.n -= l
		if op == netctl.OpConnect {
			var c netctl.Connect
			c.Get(rec)
			fd := ncInstall(int(c.FD))
			if fd < 0 {
				continue // the program's connect has failed
			}
			netctl.SetConnectFD(rec, int32(fd))
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
	if waitOn(uintptrOf(&ncDev), 0) == wakeSignal {
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

// ncWrite takes OpUDPRecv records from the service.
func ncWrite(b []byte) int64 {
	done := 0
	for len(b)-done >= netctl.DatagramLen {
		r := b[done:]
		op, l := netctl.ReadHeader(r)
		if op != netctl.OpUDPRecv || l < netctl.DatagramLen || l > len(r) || l-netctl.DatagramLen > udpMaxData {
			break
		}
		var d netctl.Datagram
		d.Get(r)
		if ti := udpFind(d.LPort, d.LAddr, d.RAddr, d.RPort); ti >= 0 {
			g := ioVec{one: r[netctl.DatagramLen:l]}
			udpQueue(ti, d.RAddr, d.RPort, &g, l-netctl.DatagramLen)
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
	case netctl.IoctlAccept:
		b, ok := userBytes(arg, netctl.AcceptLen, false)
		if !ok {
			return -EFAULT
		}
		var a netctl.Accept
		a.Get(b)
		return ncAccept(a.LPort, a.RPort, a.LAddr, a.RAddr)
	case netctl.IoctlConnected:
		b, ok := userBytes(arg, netctl.ConnectedLen, false)
		if !ok {
			return -EFAULT
		}
		var c netctl.Connected
		c.Get(b)
		return ncConnected(uintptr(uint32(c.FD)), c.Errno)
	case netctl.IoctlSetAddr:
		a, ok := userBytes(arg, 4, false)
		if !ok {
			return -EFAULT
		}
		ncDev.ip, ncDev.haveIP = [4]byte(a), true
		netSvcUp()
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
