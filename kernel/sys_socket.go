package kernel

import "unsafe"

// Socket system calls. socket(2) picks the family; the calls on a
// descriptor go to its kind: internet sockets (socket.go, udp.go) or vsock
// (vsock_syscall.go).

func sysSocket(domain, typ, proto, _, _, _ uintptr) int64 {
	switch int32(domain) {
	case afInet, afInet6:
		return sysSocketOp(int32(domain), int32(typ), int32(proto))
	case afVsock:
		return vsSocket(int32(typ), int32(proto))
	}
	return -EAFNOSUPPORT
}

// vsockFD returns the vsock socket behind fd and its description, or nil.
func vsockFD(fd uintptr) (int, *file) {
	if _, f := fdGet(fd); f != nil && f.kind == fkVsock {
		return f.node, f
	}
	return -1, nil
}

func sysBind(fd, addr, n, _, _, _ uintptr) int64 {
	if si, f := vsockFD(fd); f != nil {
		return vsBind(si, addr, n)
	}
	return sysBindOp(fd, addr, n)
}

func sysListen(fd, backlog, _, _, _, _ uintptr) int64 {
	if si, f := vsockFD(fd); f != nil {
		return vsListen(si, int32(backlog))
	}
	return sysListenOp(fd, int32(backlog))
}

func sysConnect(fd, addr, n, _, _, _ uintptr) int64 {
	if si, f := vsockFD(fd); f != nil {
		return vsConnect(si, f, addr, n)
	}
	return sysConnectOp(fd, addr, n)
}

func sysAccept(fd, addr, lenp, _, _, _ uintptr) int64 { return sysAccept4(fd, addr, lenp, 0, 0, 0) }

func sysAccept4(fd, addr, lenp, flags, _, _ uintptr) int64 {
	if si, f := vsockFD(fd); f != nil {
		return vsAccept(si, f, addr, lenp, uint32(flags))
	}
	return sysAcceptOp(fd, addr, lenp, uint32(flags))
}

func sysShutdown(fd, how, _, _, _, _ uintptr) int64 {
	if si, f := vsockFD(fd); f != nil {
		return vsShutdown(si, int32(how))
	}
	return sysShutdownOp(fd, int32(how))
}

func sysGetsockname(fd, addr, lenp, _, _, _ uintptr) int64 {
	if si, f := vsockFD(fd); f != nil {
		return vsGetsockname(si, addr, lenp, false)
	}
	return sysGetsocknameOp(fd, addr, lenp, false)
}

func sysGetpeername(fd, addr, lenp, _, _, _ uintptr) int64 {
	if si, f := vsockFD(fd); f != nil {
		return vsGetsockname(si, addr, lenp, true)
	}
	return sysGetsocknameOp(fd, addr, lenp, true)
}

// sysSetsockopt accepts every option and changes nothing.
func sysSetsockopt(fd, _, _, _, _, _ uintptr) int64 {
	if _, f := vsockFD(fd); f != nil {
		return 0
	}
	return sysSetsockoptOp(fd)
}

func sysGetsockopt(fd, level, name, val, lenp, _ uintptr) int64 {
	if si, f := vsockFD(fd); f != nil {
		return vsGetsockopt(si, int32(level), int32(name), val, lenp)
	}
	return sysGetsockoptOp(fd, int32(level), int32(name), val, lenp)
}

func sysSendto(fd, buf, n, _, addr, alen uintptr) int64 {
	if f := dgramFile(fd); f != nil {
		return udpSendto(f, buf, n, addr, alen)
	}
	return writeFD(fd, buf, n, -1)
}

func sysRecvfrom(fd, buf, n, flags, addr, lenp uintptr) int64 {
	if f := dgramFile(fd); f != nil {
		return udpRecvfrom(f, buf, n, uint32(flags), addr, lenp)
	}
	if addr != 0 && lenp != 0 {
		if b, ok := userBytes(lenp, 4, true); ok {
			clear(b) // a stream socket reports no address
		}
	}
	return readFD(fd, buf, n, -1)
}

func sysSendmsg(fd, msg, _, _, _, _ uintptr) int64 { return sysMsg(fd, msg, true) }

func sysRecvmsg(fd, msg, _, _, _, _ uintptr) int64 { return sysMsg(fd, msg, false) }

// sysSocketpair: there are no AF_UNIX sockets.
func sysSocketpair(_, _, _, _, _, _ uintptr) int64 { return -EOPNOTSUPP }

// sysMsg implements sendmsg and recvmsg over the iovec of a msghdr.
func sysMsg(fd, msg uintptr, send bool) int64 {
	m, ok := userBytes(msg, 56, !send)
	if !ok {
		return -EFAULT
	}
	if _, f := fdGet(fd); f != nil && f.kind == fkSocket && sockets[f.node].typ == sockDgram {
		return udpMsg(f, m, send)
	}
	iov := *(*uintptr)(unsafe.Pointer(&m[16]))
	cnt := *(*uintptr)(unsafe.Pointer(&m[24]))
	if !send {
		// No control data, no address.
		*(*uint32)(unsafe.Pointer(&m[8])) = 0
		*(*uintptr)(unsafe.Pointer(&m[40])) = 0
		*(*int32)(unsafe.Pointer(&m[48])) = 0
	}
	return rwv(fd, iov, cnt, send)
}
