package kernel

import (
	"github.com/gotoro/gotoro/internal/byteorder"
	"github.com/gotoro/gotoro/internal/virtio"
	"github.com/gotoro/gotoro/kernel/mm"
)

// AF_VSOCK stream sockets over the virtio-vsock driver, with Linux's
// semantics as far as Go's net package and golang.org/x/sys/unix use
// them: socket, bind, listen, accept4, connect (EINPROGRESS when
// non-blocking, the outcome in SO_ERROR), read/write and their msg
// forms, shutdown, close, getsockname/getpeername, and epoll readiness.
// A descriptor is a file of kind fkVsock whose node indexes vsocks.

const (
	afVsock       = 40
	vmaddrCIDAny  = 0xffffffff
	vmaddrPortAny = 0xffffffff
	sockaddrVMLen = 16

	maxVsocks    = 1024
	vsRcvPages   = 16
	vsRcvSize    = vsRcvPages * pageSize // buffer per connection (buf_alloc)
	vsFirstEphem = 49152
	vsMaxBacklog = 128
)

type vsState uint8

const (
	vsFree       vsState = iota
	vsNew                // created or bound
	vsListening          // listen called
	vsConnecting         // request sent
	vsConnected          // data flows (also after a peer reset, until closed)
	vsPending            // accepted by the kernel, waiting in a listener's queue
	vsLinger             // closed by the program, waiting for the host's reset
)

type vsock struct {
	ino        uint64 // st_ino, the N of socket:[N] (newAnonIno)
	state      vsState
	lport      uint32
	rcid       uint64
	rport      uint32
	err        int32 // pending SO_ERROR (positive errno)
	gen        uint64
	peerNoSend bool // peer sends no more: reads end after the buffer
	peerNoRecv bool // peer takes no more: writes get EPIPE
	reset      bool // the connection is gone
	shutRd     bool
	shutWr     bool
	listener   int32 // for vsPending: the listening socket
	// tcp marks a connection accepted by a TCP listener (vsock_bridge.go):
	// it shows the program Internet addresses.
	tcp        bool
	tcpFamily  uint16
	rcv        [vsRcvPages]uintptr
	rcvR, rcvN int
	fwdCnt     uint32 // bytes the program has read
	sentFwd    uint32 // fwdCnt last sent to the peer
	peerAlloc  uint32
	peerFwd    uint32
	txCnt      uint32 // bytes sent
	backlog    int
	qhead, qn  int
	queue      [vsMaxBacklog]int32
}

var (
	vsocks    [maxVsocks]vsock
	vsNextEph uint32 = vsFirstEphem
)

func vsAlloc() int {
	for i := range vsocks {
		if vsocks[i].state == vsFree {
			vsocks[i] = vsock{state: vsNew, listener: -1, ino: newAnonIno()}
			return i
		}
	}
	return -1
}

// vsChanged records a readiness change of s and wakes its waiters.
func vsChanged(s *vsock) {
	s.gen++
	wakeKey(vsockKey())
	epollNotify()
}

// vsRcvAlloc gives s its receive buffer; false if memory is short.
func vsRcvAlloc(s *vsock) bool {
	for i := range s.rcv {
		if s.rcv[i] = mm.Alloc(); s.rcv[i] == 0 {
			vsRcvFree(s)
			return false
		}
	}
	return true
}

func vsRcvFree(s *vsock) {
	for i, p := range s.rcv {
		if p != 0 {
			mm.Free(p)
			s.rcv[i] = 0
		}
	}
	s.rcvN = 0
}

// vsFree releases socket si.
func vsRelease(si int) {
	s := &vsocks[si]
	vsRcvFree(s)
	vsChanged(s)
	s.state = vsFree
}

// vsHdr returns a header from s to its peer, carrying s's credit.
func vsHdr(s *vsock, op uint16, flags uint32) virtio.VsockHdr {
	s.sentFwd = s.fwdCnt
	return virtio.VsockHdr{DstCID: s.rcid, SrcPort: s.lport, DstPort: s.rport, Op: op, Flags: flags,
		BufAlloc: vsRcvSize, FwdCnt: s.fwdCnt}
}

// vsRST answers a packet that has no connection.
func vsRST(h *virtio.VsockHdr) {
	vsTrace("reset a packet for no connection", h)
	vsSendCtl(virtio.VsockHdr{DstCID: h.SrcCID, SrcPort: h.DstPort, DstPort: h.SrcPort, Op: virtio.VsockOpRST})
}

// vsFind returns the connection socket for a packet, or -1.
func vsFind(h *virtio.VsockHdr) int {
	for i := range vsocks {
		s := &vsocks[i]
		switch s.state {
		case vsConnecting, vsConnected, vsPending, vsLinger:
			if s.lport == h.DstPort && s.rport == h.SrcPort && s.rcid == h.SrcCID {
				return i
			}
		}
	}
	return -1
}

// vsockPacket handles one received packet; its payload is in buf after
// the header.
func vsockPacket(h *virtio.VsockHdr, buf *vsBuf) {
	if h.DstCID != vsd.cid || h.Type != virtio.VsockTypeStream {
		if h.Op != virtio.VsockOpRST {
			vsRST(h)
		}
		return
	}
	si := vsFind(h)
	if si < 0 {
		if h.Op == virtio.VsockOpRequest {
			vsIncoming(h)
		} else if h.Op != virtio.VsockOpRST {
			vsRST(h)
		}
		return
	}
	s := &vsocks[si]
	s.peerAlloc, s.peerFwd = h.BufAlloc, h.FwdCnt
	switch h.Op {
	case virtio.VsockOpResponse:
		if s.state != vsConnecting {
			vsRST(h)
			return
		}
		s.state = vsConnected
	case virtio.VsockOpRST:
		switch s.state {
		case vsLinger:
			vsRelease(si)
			return
		case vsConnecting:
			s.state = vsNew
			s.err = ECONNREFUSED
			s.reset = true
			vsRcvFree(s)
		case vsPending:
			s.reset = true
			s.peerNoSend, s.peerNoRecv = true, true
		default:
			vsTrace("the host reset a connection", h)
			s.reset = true
			s.peerNoSend, s.peerNoRecv = true, true
		}
	case virtio.VsockOpShutdown:
		s.peerNoRecv = s.peerNoRecv || h.Flags&virtio.VsockShutdownRcv != 0
		s.peerNoSend = s.peerNoSend || h.Flags&virtio.VsockShutdownSend != 0
		if s.state == vsLinger && s.peerNoSend && s.peerNoRecv {
			// Both sides are done: end it ourselves.
			vsSendCtl(vsHdr(s, virtio.VsockOpRST, 0))
			vsRelease(si)
			return
		}
	case virtio.VsockOpRW:
		if s.state == vsLinger || s.shutRd {
			vsTrace("data for a closed reading side discarded", h)
			break // nobody will read it; credit is moot
		}
		if int(h.Len) > vsRcvSize-s.rcvN || s.rcv[0] == 0 {
			vsTrace("the host overran our credit: reset", h)
			// The peer overran our credit: abort.
			vsSendCtl(vsHdr(s, virtio.VsockOpRST, 0))
			s.reset, s.peerNoSend, s.peerNoRecv = true, true, true
			break
		}
		vsRcvPut(s, buf, int(h.Len))
	case virtio.VsockOpCreditRequest:
		vsSendCtl(vsHdr(s, virtio.VsockOpCreditUpdate, 0))
	case virtio.VsockOpCreditUpdate:
	default:
		vsRST(h)
	}
	vsChanged(s)
}

// vsRcvPut appends n payload bytes from buf to s's receive ring.
func vsRcvPut(s *vsock, buf *vsBuf, n int) {
	off := virtio.VsockHdrSize
	for n > 0 {
		w := (s.rcvR + s.rcvN) % vsRcvSize
		pg, po := w/pageSize, w%pageSize
		m := min(n, pageSize-po)
		vsCopy(buf, off, unsafeSlice(s.rcv[pg]+uintptr(po), uintptr(m)), false)
		off += m
		n -= m
		s.rcvN += m
	}
}

// vsIncoming handles a connection request: a new pending socket in the
// listener's queue, or a reset if nobody listens.
func vsIncoming(h *virtio.VsockHdr) {
	li := -1
	for i := range vsocks {
		if vsocks[i].state == vsListening && vsocks[i].lport == h.DstPort {
			li = i
			break
		}
	}
	if li < 0 {
		vsBridgeIncoming(h)
		return
	}
	if vsocks[li].qn >= vsocks[li].backlog {
		vsRST(h)
		return
	}
	ci := vsNewPending(h)
	if ci < 0 {
		return
	}
	c := &vsocks[ci]
	c.listener = int32(li)
	l := &vsocks[li]
	l.queue[(l.qhead+l.qn)%vsMaxBacklog] = int32(ci)
	l.qn++
	vsSendCtl(vsHdr(c, virtio.VsockOpResponse, 0))
	vsChanged(l)
}

// vsNewPending makes the socket of connection request h, waiting to be
// accepted, or resets the request and returns -1 when sockets or memory
// run out.
func vsNewPending(h *virtio.VsockHdr) int {
	ci := vsAlloc()
	if ci < 0 {
		vsRST(h)
		return -1
	}
	c := &vsocks[ci]
	if !vsRcvAlloc(c) {
		c.state = vsFree
		vsRST(h)
		return -1
	}
	c.state, c.lport, c.rcid, c.rport = vsPending, h.DstPort, h.SrcCID, h.SrcPort
	c.peerAlloc, c.peerFwd = h.BufAlloc, h.FwdCnt
	return ci
}

// vsReadiness returns the epoll events of vsock socket si.
//
// It does not process packets: a readiness change made while epoll
// collects would wake nobody (epollWait polls before collecting).
func vsReadiness(si int) uint32 {
	s := &vsocks[si]
	r := uint32(0)
	switch s.state {
	case vsListening:
		if s.qn > 0 {
			r |= epollIn
		}
	case vsConnecting:
	case vsConnected:
		if s.rcvN > 0 || s.peerNoSend || s.shutRd {
			r |= epollIn
		}
		if s.peerNoSend {
			r |= epollRdhup
		}
		if !s.shutWr && !s.peerNoRecv && vsCredit(s) > 0 {
			r |= epollOut
		}
		if s.peerNoRecv && s.peerNoSend {
			r |= epollHup | epollOut
		}
	default:
		r |= epollOut | epollHup
	}
	if s.err != 0 {
		r |= epollErr
	}
	return r
}

// vsCredit returns how many bytes the peer can take now.
func vsCredit(s *vsock) uint32 {
	used := s.txCnt - s.peerFwd
	if used >= s.peerAlloc {
		return 0
	}
	return s.peerAlloc - used
}

// vsGen returns the readiness generation of socket si.
func vsGen(si int) uint64 {
	return vsocks[si].gen
}

// vsClose releases socket si when its last descriptor closes.
func vsClose(si int) {
	vsockPoll()
	s := &vsocks[si]
	switch s.state {
	case vsListening:
		for s.qn > 0 {
			ci := int(s.queue[s.qhead])
			s.qhead = (s.qhead + 1) % vsMaxBacklog
			s.qn--
			c := &vsocks[ci]
			if !c.reset {
				vsSendCtl(vsHdr(c, virtio.VsockOpRST, 0))
			}
			vsRelease(ci)
		}
		vsRelease(si)
	case vsConnecting:
		vsSendCtl(vsHdr(s, virtio.VsockOpRST, 0))
		vsRelease(si)
	case vsConnected:
		if s.reset {
			vsRelease(si)
			return
		}
		// Tell the peer we are done both ways, then wait (without a
		// descriptor) for its reset, as Linux does.
		vsSendCtl(vsHdr(s, virtio.VsockOpShutdown, virtio.VsockShutdownRcv|virtio.VsockShutdownSend))
		vsRcvFree(s)
		s.state = vsLinger
		vsChanged(s)
	default:
		vsRelease(si)
	}
}

// readSockaddrVM decodes a sockaddr_vm.
func readSockaddrVM(p, n uintptr) (cid uint64, port uint32, e int64) {
	if n < sockaddrVMLen {
		return 0, 0, -EINVAL
	}
	b, ok := userBytes(p, sockaddrVMLen, false)
	if !ok {
		return 0, 0, -EFAULT
	}
	if byteorder.LittleEndian.Uint16(b) != afVsock {
		return 0, 0, -EAFNOSUPPORT
	}
	return uint64(byteorder.LittleEndian.Uint32(b[8:])), byteorder.LittleEndian.Uint32(b[4:]), 0
}

// writeSockaddrVM stores a sockaddr_vm into the user buffer p of length
// *lenp, and the full length into *lenp.
func writeSockaddrVM(cid uint64, port uint32, p, lenp uintptr) int64 {
	var sa [sockaddrVMLen]byte
	byteorder.LittleEndian.PutUint16(sa[:], afVsock)
	byteorder.LittleEndian.PutUint32(sa[4:], port)
	byteorder.LittleEndian.PutUint32(sa[8:], uint32(cid))
	return putSockaddr(sa[:], p, lenp)
}

// vsPortBusy reports whether a socket is bound to port.
func vsPortBusy(port uint32) bool {
	for i := range vsocks {
		if vsocks[i].state != vsFree && vsocks[i].state != vsPending && vsocks[i].lport == port &&
			(vsocks[i].state == vsNew || vsocks[i].state == vsListening) {
			return true
		}
	}
	return false
}

func vsEphemeral() uint32 {
	for range 0x10000 {
		p := vsNextEph
		vsNextEph++
		if vsNextEph == 0 || vsNextEph >= vmaddrPortAny {
			vsNextEph = vsFirstEphem
		}
		if !vsPortBusy(p) {
			return p
		}
	}
	return 0
}
