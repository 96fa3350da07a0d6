package kernel

import (
	"unsafe"

	"github.com/gotoro/gotoro/internal/byteorder"
)

// AF_UNIX messages: datagram and seqpacket sockets keep each message as a
// record in an ordinary pipe — an 8-byte header (payload length, the
// in-flight descriptors' slot + 1, the sender's name length), the
// sender's name (datagrams), the payload — and sendmsg/recvmsg for every
// type, with SCM_RIGHTS control messages.

const msgHdrLen = 8

const (
	scmRights      = 1
	scmCredentials = 2
	msgCtrunc      = 0x8
	cmsgHdrLen     = 16
)

// unixDgramConnect sets datagram socket ui's peer: what it sends without
// an address goes there, and it receives only from there.
func unixDgramConnect(ui int, a *unixAddr) int64 {
	if a.n == 0 {
		// AF_UNSPEC-like: an empty name disconnects.
		unixSocks[ui].peer = -1
		return 0
	}
	ti, e := unixFindName(a, sockDgram)
	if e != 0 {
		return e
	}
	s := &unixSocks[ui]
	s.peer, s.peerClosed = int32(ti), false
	s.state = usConnected
	unixChanged(s)
	return 0
}

// unixDgramReadiness is a datagram socket's epoll events.
func unixDgramReadiness(s *unixSock) uint32 {
	r := uint32(0)
	if pipes[s.rx].n > 0 || s.rdShut {
		r |= epollIn
	}
	if s.peer < 0 || pipeRoom(&pipes[unixSocks[s.peer].rx]) > msgHdrLen+unixPathMax {
		r |= epollOut
	}
	return r
}

// unixMsgSend sends the message in g from socket f: a datagram to dst (or
// the peer), or a seqpacket record on the connection. rights, if not nil,
// are descriptors that go with it.
func unixMsgSend(f *file, g *ioVec, dst *unixAddr, rights *rightsMsg, flags uint32) int64 {
	ui := f.node
	s := &unixSocks[ui]
	if s.wrShut {
		return unixEPIPE(flags)
	}
	n := g.size(false)
	if n < 0 {
		return n
	}
	var pi int
	withName := false
	if s.typ == sockDgram {
		ti := int(s.peer)
		if dst != nil && dst.n > 0 {
			var e int64
			if ti, e = unixFindName(dst, sockDgram); e != 0 {
				return e
			}
		} else if ti < 0 {
			if s.peerClosed {
				return -ECONNREFUSED
			}
			return -ENOTCONN
		}
		t := &unixSocks[ti]
		if t.peer >= 0 && int(t.peer) != ui {
			return -EPERM // it receives from its own peer only
		}
		if t.rdShut {
			return unixEPIPE(flags)
		}
		pi, withName = t.rx, true
	} else {
		if s.state != usConnected {
			return -ENOTCONN
		}
		pi = s.tx
		if pipes[pi].readers == 0 {
			return unixEPIPE(flags)
		}
	}
	nameLen := 0
	if withName {
		nameLen = s.nameLen
	}
	need := msgHdrLen + nameLen + int(n)
	if need > pipeSize {
		return -EMSGSIZE
	}
	p := &pipes[pi]
	for pipeSize-p.n < need {
		if f.flags&oNonblock != 0 || flags&msgDontwait != 0 {
			return -EAGAIN
		}
		if pipeWait(p) == wakeSignal {
			return -errRestartSys
		}
		if !p.used || (s.typ != sockDgram && p.readers == 0) {
			return unixEPIPE(flags)
		}
	}
	slot := 0
	if rights != nil && rights.n > 0 {
		sl, e := rightsStore(rights)
		if e != 0 {
			return e
		}
		slot = sl + 1
	}
	var h [msgHdrLen]byte
	byteorder.LittleEndian.PutUint32(h[0:], uint32(n))
	byteorder.LittleEndian.PutUint16(h[4:], uint16(slot))
	byteorder.LittleEndian.PutUint16(h[6:], uint16(nameLen))
	w := (p.r + p.n) % pipeSize
	w = (w + pageRingWrite(p.pages[:], w, h[:])) % pipeSize
	w = (w + pageRingWrite(p.pages[:], w, s.name[:nameLen])) % pipeSize
	for i := 0; i < g.count(); i++ {
		b, _ := g.part(i, false)
		w = (w + pageRingWrite(p.pages[:], w, b)) % pipeSize
	}
	p.n += need
	pipeChanged(p)
	return n
}

// unixMsgRecv takes the oldest message of socket f into g. The sender's
// name goes to the user sockaddr at addr (length at lenp) when addr is
// not 0; its descriptors to rights (or they are closed). It returns the
// bytes stored, or with MSG_TRUNC in flags the message's length;
// *outFlags gets MSG_TRUNC if the message was longer than g. With
// MSG_PEEK the message stays queued, with its descriptors (which only the
// call that takes the message receives).
func unixMsgRecv(f *file, g *ioVec, flags uint32, addr, lenp uintptr, rights *rightsMsg) int64 {
	var out uint32
	return unixMsgRecvFlags(f, g, flags, addr, lenp, rights, &out)
}

func unixMsgRecvFlags(f *file, g *ioVec, flags uint32, addr, lenp uintptr, rights *rightsMsg, outFlags *uint32) int64 {
	s := &unixSocks[f.node]
	if s.typ == sockSeqpacket && s.state != usConnected {
		return -ENOTCONN
	}
	p := &pipes[s.rx]
	for p.n == 0 {
		if s.rdShut || s.typ == sockSeqpacket && p.writers == 0 {
			return 0
		}
		if f.flags&oNonblock != 0 || flags&msgDontwait != 0 {
			return -EAGAIN
		}
		if pipeWait(p) == wakeSignal {
			return -errRestartSys
		}
	}
	var h [msgHdrLen]byte
	pageRingRead(h[:], p.pages[:], p.r, p.n)
	n := int(byteorder.LittleEndian.Uint32(h[0:]))
	slot := int(byteorder.LittleEndian.Uint16(h[4:]))
	nameLen := int(byteorder.LittleEndian.Uint16(h[6:]))
	var name [unixPathMax]byte
	r := (p.r + msgHdrLen) % pipeSize
	pageRingRead(name[:nameLen], p.pages[:], r, nameLen)
	r = (r + nameLen) % pipeSize
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
	if flags&msgPeek == 0 {
		p.r = (p.r + msgHdrLen + nameLen + n) % pipeSize
		p.n -= msgHdrLen + nameLen + n
		pipeChanged(p)
		if slot > 0 {
			rightsDeliver(slot-1, rights)
		}
	}
	if done < n {
		*outFlags |= msgTrunc
	}
	if addr != 0 && nameLen == 0 {
		// An unbound sender: no address at all, as on Linux.
		if lb, ok := userBytes(lenp, 4, true); ok {
			byteorder.LittleEndian.PutUint32(lb, 0)
		}
	} else if addr != 0 {
		var sa [unixAddrMax + 1]byte
		byteorder.LittleEndian.PutUint16(sa[:], afUnix)
		k := 2 + copy(sa[2:], name[:nameLen])
		if nameLen > 0 && name[0] != 0 {
			k++
		}
		if e := putSockaddr(sa[:k], addr, lenp); e != 0 {
			return e
		}
	}
	if flags&msgTrunc != 0 {
		return int64(n)
	}
	return int64(done)
}

// unixMsg is sendmsg and recvmsg on the user's msghdr m.
func unixMsg(f *file, m []byte, send bool) int64 {
	name := *(*uintptr)(unsafe.Pointer(&m[0]))
	namelen := uintptr(*(*uint32)(unsafe.Pointer(&m[8])))
	control := *(*uintptr)(unsafe.Pointer(&m[32]))
	controllen := *(*uintptr)(unsafe.Pointer(&m[40]))
	flags := *(*uint32)(unsafe.Pointer(&m[48]))
	g, e := msgVec(m)
	if e != 0 {
		return e
	}
	s := &unixSocks[f.node]
	if send {
		// sendmsg's flags are its third argument, which the file
		// operation does not get: MSG_NOSIGNAL and MSG_DONTWAIT come
		// from sysMsg through unixMsgFlags.
		flags = unixMsgFlags
		var rights rightsMsg
		if control != 0 && controllen > 0 {
			if e := rightsParse(control, controllen, &rights); e != 0 {
				return e
			}
		}
		var r int64
		switch {
		case s.typ != sockStream:
			var a unixAddr
			var dst *unixAddr
			if name != 0 && namelen > 0 {
				if e := readUnixAddr(name, namelen, &a); e != 0 {
					rightsRelease(&rights)
					return e
				}
				dst = &a
			}
			r = unixMsgSend(f, &g, dst, &rights, flags)
		default:
			r = streamSendv(f, &g, &rights, flags)
		}
		if r < 0 {
			rightsRelease(&rights)
		}
		return r
	}
	flags = unixMsgFlags
	var rights rightsMsg
	var out uint32
	var r int64
	lenp := uintptr(0)
	if name != 0 {
		lenp = uintptr(unsafe.Pointer(&m[8]))
	}
	if s.typ == sockStream {
		r = unixStreamRecvv(f, &g, &rights, flags)
		*(*uint32)(unsafe.Pointer(&m[8])) = 0
	} else {
		r = unixMsgRecvFlags(f, &g, flags, name, lenp, &rights, &out)
	}
	if r < 0 {
		return r
	}
	used, trunc := rightsPut(&rights, control, controllen, flags&msgCmsgCloexec != 0)
	*(*uintptr)(unsafe.Pointer(&m[40])) = used
	if trunc {
		out |= msgCtrunc
	}
	*(*uint32)(unsafe.Pointer(&m[48])) = out
	return r
}

// unixMsgFlags are the flags of the sendmsg or recvmsg in progress (set
// by sysMsg for AF_UNIX sockets, under the big kernel lock).
var unixMsgFlags uint32

// unixStreamRecvv reads a stream socket into the buffers of g, without
// waiting after the first bytes, and ends after bytes that came with
// descriptors.
func unixStreamRecvv(f *file, g *ioVec, rights *rightsMsg, flags uint32) int64 {
	if flags&msgPeek != 0 {
		return unixStreamPeek(f, g, flags)
	}
	total := int64(0)
	for i := 0; i < g.count(); i++ {
		b, ok := g.part(i, true)
		if !ok {
			if total > 0 {
				return total
			}
			return -EFAULT
		}
		if len(b) == 0 {
			continue
		}
		fl := flags
		if total > 0 {
			if rights.got {
				break
			}
			fl |= msgDontwait
		}
		r := unixRecv(f, b, fl, rights)
		if r < 0 {
			if total > 0 {
				return total
			}
			return r
		}
		total += r
		if int(r) < len(b) {
			break
		}
	}
	return total
}
