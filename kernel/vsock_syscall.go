package kernel

import "github.com/gotoro/gotoro/internal/virtio"

// System calls on AF_VSOCK sockets: socket(AF_VSOCK, …) and the
// operations of a vsock descriptor (vsockFile).

// vsockFile is an AF_VSOCK socket: f.node indexes vsocks.
type vsockFile struct{ fileBase }

func (*vsockFile) read(f *file, b []byte, off int64) int64 {
	if off >= 0 {
		return -ESPIPE
	}
	return vsockRead(f, b)
}

func (*vsockFile) write(f *file, b []byte, off int64) int64 {
	if off >= 0 {
		return -ESPIPE
	}
	return vsockWrite(f, b)
}

func (*vsockFile) readiness(f *file) uint32            { return vsReadiness(f.node) }
func (*vsockFile) gen(f *file) uint64                  { return vsGen(f.node) }
func (*vsockFile) release(f *file)                     { vsClose(f.node) }
func (*vsockFile) statfs(f *file, st *statfsBuf) int64 { return statfsPseudo(st, sockfsMagic) }

func (*vsockFile) stat(f *file, st *statBuf) int64 {
	*st = statBuf{nlink: 1, blksize: 4096, dev: 8, ino: sockIno(f.kind, f.node), mode: 0o140777}
	return 0
}

// spliceRoom is the peer's credit.
func (*vsockFile) spliceRoom(f *file) int {
	vsockPoll()
	if s := &vsocks[f.node]; s.state == vsConnected && !s.shutWr && !s.peerNoRecv && !s.reset {
		return int(vsCredit(s))
	}
	return -1
}

func (*vsockFile) spliceWait(f *file) int32 { return vsockWait() }

func (*vsockFile) bind(f *file, addr, n uintptr) int64    { return vsBind(f.node, addr, n) }
func (*vsockFile) listen(f *file, backlog int32) int64    { return vsListen(f.node, backlog) }
func (*vsockFile) connect(f *file, addr, n uintptr) int64 { return vsConnect(f.node, f, addr, n) }
func (*vsockFile) shutdown(f *file, how int32) int64      { return vsShutdown(f.node, how) }

func (*vsockFile) accept(f *file, addr, lenp uintptr, flags uint32) int64 {
	return vsAccept(f.node, f, addr, lenp, flags)
}

// setsockopt accepts every option and changes nothing.
func (*vsockFile) setsockopt(f *file, level, name int32, val, n uintptr) int64 { return 0 }

func (*vsockFile) getsockopt(f *file, level, name int32, val, lenp uintptr) int64 {
	return vsGetsockopt(f.node, level, name, val, lenp)
}

// sockname writes the socket's own address, or with peer set its peer's.
func (*vsockFile) sockname(f *file, addr, lenp uintptr, peer bool) int64 {
	s := &vsocks[f.node]
	if s.tcp {
		return vsBridgeSockname(s, addr, lenp, peer)
	}
	if !peer {
		return writeSockaddrVM(vsd.cid, s.lport, addr, lenp)
	}
	if s.state != vsConnected {
		return -ENOTCONN
	}
	return writeSockaddrVM(s.rcid, s.rport, addr, lenp)
}

func vsSocket(typ, proto int32) int64 {
	if !vsd.up {
		return -EAFNOSUPPORT // no vsock device: as Linux without the transport
	}
	if typ&^(sockNonblock|sockCloexec) != sockStream {
		return -ESOCKTNOSUPPORT
	}
	if proto != 0 {
		return -EPROTONOSUPPORT
	}
	si := vsAlloc()
	if si < 0 {
		return -ENFILE
	}
	fd, f := newSocketFD(fkVsock, uint32(typ))
	if f == nil {
		vsocks[si].state = vsFree
		return fd
	}
	f.node = si
	return fd
}

func vsBind(si int, addr, n uintptr) int64 {
	cid, port, e := readSockaddrVM(addr, n)
	if e != 0 {
		return e
	}
	s := &vsocks[si]
	if s.state != vsNew || s.lport != 0 {
		return -EINVAL
	}
	if cid != vmaddrCIDAny && cid != vsd.cid {
		return -EADDRNOTAVAIL
	}
	if port == vmaddrPortAny {
		port = vsEphemeral()
	} else if vsPortBusy(port) {
		return -EADDRINUSE
	}
	s.lport = port
	return 0
}

func vsListen(si int, backlog int32) int64 {
	s := &vsocks[si]
	if s.state != vsNew && s.state != vsListening {
		return -EINVAL
	}
	if s.lport == 0 {
		return -EINVAL // Linux requires bind before listen on vsock
	}
	s.state = vsListening
	s.backlog = int(min(max(backlog, 1), vsMaxBacklog))
	vsChanged(s)
	return 0
}

func vsConnect(si int, f *file, addr, n uintptr) int64 {
	cid, port, e := readSockaddrVM(addr, n)
	if e != 0 {
		return e
	}
	s := &vsocks[si]
	switch s.state {
	case vsConnected:
		return -EISCONN
	case vsConnecting:
		if f.flags&oNonblock != 0 {
			return -EALREADY
		}
	case vsNew:
		if cid != virtio.VsockHostCID {
			return -ENETUNREACH // only the host is reachable
		}
		if s.lport == 0 {
			s.lport = vsEphemeral()
		}
		if !vsRcvAlloc(s) {
			return -ENOMEM
		}
		s.rcid, s.rport, s.err, s.reset = cid, port, 0, false
		s.peerNoSend, s.peerNoRecv, s.txCnt, s.fwdCnt, s.peerAlloc, s.peerFwd = false, false, 0, 0, 0, 0
		s.state = vsConnecting
		vsSendCtl(vsHdr(s, virtio.VsockOpRequest, 0))
		vsChanged(s)
		if f.flags&oNonblock != 0 {
			return -EINPROGRESS
		}
	default:
		return -EINVAL
	}
	for {
		vsockPoll()
		switch {
		case s.state == vsConnected:
			return 0
		case s.state != vsConnecting:
			e := s.err
			s.err = 0
			if e == 0 {
				e = ECONNREFUSED
			}
			return -int64(e)
		}
		if vsockWait() == wakeSignal {
			return -EINTR
		}
	}
}

func vsAccept(si int, f *file, addr, lenp uintptr, flags uint32) int64 {
	if flags&^(sockNonblock|sockCloexec) != 0 {
		return -EINVAL
	}
	s := &vsocks[si]
	if s.state != vsListening {
		return -EINVAL
	}
	for {
		vsockPoll()
		if s.qn > 0 {
			break
		}
		if f.flags&oNonblock != 0 {
			return -EAGAIN
		}
		if vsockWait() == wakeSignal {
			return -errRestartSys
		}
		if s.state != vsListening {
			return -EINVAL
		}
	}
	ci := s.queue[s.qhead]
	nfd, nf := newSocketFD(fkVsock, flags)
	if nf == nil {
		return nfd
	}
	s.qhead = (s.qhead + 1) % vsMaxBacklog
	s.qn--
	vsChanged(s)
	c := &vsocks[ci]
	c.state, c.listener = vsConnected, -1
	nf.node = int(ci)
	vsChanged(c)
	if e := writeSockaddrVM(c.rcid, c.rport, addr, lenp); e != 0 {
		return e
	}
	return nfd
}

func vsShutdown(si int, how int32) int64 {
	s := &vsocks[si]
	if how < shutRd || how > 2 {
		return -EINVAL
	}
	if s.state != vsConnected {
		return -ENOTCONN
	}
	flags := uint32(0)
	if how != shutWr && !s.shutRd {
		s.shutRd = true
		flags |= virtio.VsockShutdownRcv
	}
	if how != shutRd && !s.shutWr {
		s.shutWr = true
		flags |= virtio.VsockShutdownSend
	}
	if flags != 0 && !s.reset {
		vsSendCtl(vsHdr(s, virtio.VsockOpShutdown, flags))
	}
	vsChanged(s)
	return 0
}

func vsGetsockopt(si int, level, name int32, val, lenp uintptr) int64 {
	s := &vsocks[si]
	lb, e := sockoptLen(lenp)
	if e != 0 {
		return e
	}
	v := uint32(0) // unknown options read as 0
	if level == solSocket {
		switch name {
		case soType:
			v = sockStream
		case soError:
			vsockPoll()
			v = uint32(s.err)
			s.err = 0
		}
	}
	return putSockoptInt(val, lb, v)
}

// vsockRead reads from a connected vsock socket.
func vsockRead(f *file, b []byte) int64 {
	s := &vsocks[f.node]
	for {
		vsockPoll()
		if s.state != vsConnected {
			return -ENOTCONN
		}
		if s.rcvN > 0 && len(b) > 0 {
			break
		}
		if s.shutRd || s.peerNoSend || len(b) == 0 {
			return 0
		}
		if f.flags&oNonblock != 0 {
			return -EAGAIN
		}
		if vsockWait() == wakeSignal {
			return -errRestartSys
		}
	}
	done := pageRingRead(b, s.rcv[:], s.rcvR, s.rcvN)
	s.rcvR = (s.rcvR + done) % vsRcvSize
	s.rcvN -= done
	s.fwdCnt += uint32(done)
	if s.fwdCnt-s.sentFwd >= vsRcvSize/2 && !s.reset {
		vsSendCtl(vsHdr(s, virtio.VsockOpCreditUpdate, 0))
	}
	vsChanged(s)
	return int64(done)
}

// vsockWrite writes to a connected vsock socket within the peer's credit.
func vsockWrite(f *file, b []byte) int64 {
	s := &vsocks[f.node]
	done := 0
	for done < len(b) {
		vsockPoll()
		if s.state != vsConnected {
			if done > 0 {
				return int64(done)
			}
			return -ENOTCONN
		}
		if s.shutWr || s.peerNoRecv || s.reset {
			if done > 0 {
				return int64(done)
			}
			sendSignal(curThread(), sigPIPE)
			return -EPIPE
		}
		credit := int(vsCredit(s))
		if credit == 0 {
			if f.flags&oNonblock != 0 {
				if done > 0 {
					return int64(done)
				}
				return -EAGAIN
			}
			if vsockWait() == wakeSignal {
				if done > 0 {
					return int64(done)
				}
				return -errRestartSys
			}
			continue
		}
		n := min(len(b)-done, credit, vsMaxPayload)
		if !vsSendData(vsHdr(s, virtio.VsockOpRW, 0), b[done:done+n]) {
			if done > 0 {
				return int64(done)
			}
			return -EINTR
		}
		s.txCnt += uint32(n)
		done += n
	}
	if done > 0 {
		vsChanged(s)
	}
	return int64(done)
}
