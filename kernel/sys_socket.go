package kernel

// Socket system calls. socket(2) picks the family; the calls on a
// descriptor are its kind's socket operations (fileops.go): internet
// sockets (socket.go, udp.go), AF_UNIX sockets (unix_socket.go) and vsock
// (vsock_syscall.go); other kinds answer ENOTSOCK.

func sysSocket(domain, typ, proto, _, _, _ uintptr) int64 {
	switch int32(domain) {
	case afInet, afInet6:
		return inetSocketCreate(int32(domain), int32(typ), int32(proto))
	case afUnix:
		return unixSocketCreate(int32(typ), int32(proto))
	case afVsock:
		return vsSocket(int32(typ), int32(proto))
	}
	return -EAFNOSUPPORT
}

// sysSocketpair makes connected pairs of AF_UNIX sockets only, as Linux.
func sysSocketpair(domain, typ, proto, fds, _, _ uintptr) int64 {
	switch int32(domain) {
	case afUnix:
		return unixSocketpair(int32(typ), int32(proto), fds)
	case afInet, afInet6, afVsock:
		return -EOPNOTSUPP
	}
	return -EAFNOSUPPORT
}

func sysBind(fd, addr, n, _, _, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	return f.ops().bind(f, addr, n)
}

func sysListen(fd, backlog, _, _, _, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	return f.ops().listen(f, int32(backlog))
}

func sysConnect(fd, addr, n, _, _, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	return f.ops().connect(f, addr, n)
}

func sysAccept(fd, addr, lenp, _, _, _ uintptr) int64 { return sysAccept4(fd, addr, lenp, 0, 0, 0) }

func sysAccept4(fd, addr, lenp, flags, _, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	return f.ops().accept(f, addr, lenp, uint32(flags))
}

func sysShutdown(fd, how, _, _, _, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	return f.ops().shutdown(f, int32(how))
}

func sysGetsockname(fd, addr, lenp, _, _, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	return f.ops().sockname(f, addr, lenp, false)
}

func sysGetpeername(fd, addr, lenp, _, _, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	return f.ops().sockname(f, addr, lenp, true)
}

func sysSetsockopt(fd, level, name, val, n, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	return f.ops().setsockopt(f, int32(level), int32(name), val, n)
}

func sysGetsockopt(fd, level, name, val, lenp, _ uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	return f.ops().getsockopt(f, int32(level), int32(name), val, lenp)
}

// sendto and recvfrom run without the big kernel lock (sysNoBKL): send
// and recv — no address, flags of at most MSG_DONTWAIT and MSG_NOSIGNAL
// — on a kind that serves them unlocked (connected stream sockets,
// socket_unlocked.go) go there as read and write do (sys_file.go);
// everything else, and a kind that declines, takes the big lock.

// sockUnlockedFlags are the flags send and recv may carry on the unlocked
// path.
const sockUnlockedFlags = msgDontwait | msgNosignal

func sysSendto(fd, buf, n, flags, addr, alen uintptr) int64 {
	if addr == 0 && uint32(flags)&^sockUnlockedFlags == 0 {
		if _, f := fdPin(fd); f != nil {
			r, ok := f.ops().sendUnlocked(f, buf, n, uint32(flags))
			fdUnpin()
			if ok {
				return r
			}
		}
	}
	bklLock()
	r := sendtoLocked(fd, buf, n, flags, addr, alen)
	bklUnlock()
	return r
}

// sendtoLocked is sendto under the big kernel lock.
func sendtoLocked(fd, buf, n, flags, addr, alen uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	return f.ops().sendto(f, buf, n, uint32(flags), addr, alen)
}

func sysRecvfrom(fd, buf, n, flags, addr, lenp uintptr) int64 {
	if (addr == 0 || lenp == 0) && uint32(flags)&^sockUnlockedFlags == 0 {
		if _, f := fdPin(fd); f != nil {
			r, ok := f.ops().recvUnlocked(f, buf, n, uint32(flags))
			fdUnpin()
			if ok {
				return r
			}
		}
	}
	bklLock()
	r := recvfromLocked(fd, buf, n, flags, addr, lenp)
	bklUnlock()
	return r
}

// recvfromLocked is recvfrom under the big kernel lock.
func recvfromLocked(fd, buf, n, flags, addr, lenp uintptr) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	return f.ops().recvfrom(f, buf, n, uint32(flags), addr, lenp)
}

func sysSendmsg(fd, msg, flags, _, _, _ uintptr) int64 { return sysMsg(fd, msg, uint32(flags), true) }

func sysRecvmsg(fd, msg, flags, _, _, _ uintptr) int64 {
	return sysMsg(fd, msg, uint32(flags), false)
}

// sysMsg is sendmsg and recvmsg.
func sysMsg(fd, msg uintptr, flags uint32, send bool) int64 {
	_, f := fdGet(fd)
	if f == nil {
		return -EBADF
	}
	unixMsgFlags = flags
	m, ok := userBytes(msg, msghdrSize, !send)
	if !ok {
		return -EFAULT
	}
	return f.ops().msg(f, m, send)
}

// msghdrSize is sizeof(struct msghdr) on x86-64.
const msghdrSize = 56

// msgVec returns the buffers of the user's msghdr m (its msg_iov and
// msg_iovlen), or -EMSGSIZE for too many, -EFAULT.
func msgVec(m []byte) (ioVec, int64) {
	iov := *(*uintptr)(ptrTo(&m[16]))
	cnt := *(*uintptr)(ptrTo(&m[24]))
	if cnt > iovMax {
		return ioVec{}, -EMSGSIZE
	}
	v, ok := userBytes(iov, cnt*16, false)
	if !ok {
		return ioVec{}, -EFAULT
	}
	return ioVec{v: v, use: true}, 0
}

// streamSendv writes the buffers of g to stream socket f (unix or inet)
// with send's flags, stopping at the first short write; a unix socket's
// descriptors (rights, if not nil and not empty) go with the first byte.
func streamSendv(f *file, g *ioVec, rights *rightsMsg, flags uint32) int64 {
	total := int64(0)
	first := rights
	if rights != nil && rights.n == 0 {
		first = nil
	}
	for i := 0; i < g.count(); i++ {
		b, ok := g.part(i, false)
		if !ok {
			if total > 0 {
				return total
			}
			return -EFAULT
		}
		if len(b) == 0 {
			continue
		}
		var r int64
		if f.kind == fkUnix {
			r = unixSend(f, b, flags, first)
		} else {
			r = inetStreamSend(f, b, flags)
		}
		if r < 0 {
			if total > 0 {
				return total
			}
			return r
		}
		if first != nil {
			first = nil
			rights.n = 0 // attached: no longer the caller's to release
		}
		total += r
		if int(r) < len(b) {
			break
		}
	}
	return total
}

// msgIov sends or receives through the iovec of the user's msghdr m, with
// no address and no control data.
func msgIov(f *file, m []byte, send bool) int64 {
	iov := *(*uintptr)(ptrTo(&m[16]))
	cnt := *(*uintptr)(ptrTo(&m[24]))
	if !send {
		*(*uint32)(ptrTo(&m[8])) = 0   // msg_namelen
		*(*uintptr)(ptrTo(&m[40])) = 0 // msg_controllen
		*(*int32)(ptrTo(&m[48])) = 0   // msg_flags
	}
	return iovFile(f, iov, cnt, -1, send)
}
