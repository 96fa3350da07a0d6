package kernel

// Reads and writes of connected stream sockets, inet and unix, without
// the big kernel lock. A connection's byte streams are stream pipes
// (streambuf.go) and take the pipe lock and wait protocol of ordinary
// pipes (pipe_unlocked.go). What else a read or write looks at is the
// socket's state, its pipes and its shutdown flags: a connected socket
// whose description the call has pinned stays connected with the same
// pipes until it is released, which waits for the pin; a shutdown sets
// the flag under the big lock before it closes the pipe's end under the
// pipe's lock, and the unlocked call looks at the flag after every taking
// of that lock, going to the locked path once it is set.
//
// A unix stream socket carries SCM_RIGHTS descriptors beside its bytes
// (unix_rights.go), placed by stream positions: the unlocked calls move
// txPos and rxPos with the bytes under the pipe lock, and a read leaves
// the socket to the locked path while descriptors are in flight to it
// (rightsIn, counted under the same lock when a sendmsg attaches them),
// so descriptors arrive with their bytes.
//
// What still goes to the big lock: datagram and seqpacket sockets,
// sockets not yet connected or shut down, EPIPE and SIGPIPE, bytes that
// need a page of the stream buffers' shared budget (streamExtra), reads
// of a unix socket with descriptors in flight to it, send and recv with
// an address or flags other than MSG_DONTWAIT and MSG_NOSIGNAL (their
// unlocked forms are sendUnlocked and recvUnlocked), and readv and
// writev, recvmsg and sendmsg.

func (*inetSocket) flags() kindFlags { return kindUnlocked }

func (*inetSocket) readUnlocked(f *file, buf, n uintptr, off int64) (int64, bool) {
	s := &sockets[f.node]
	if off >= 0 || s.typ != sockStream || s.state != ssConnected || s.rdShut {
		return 0, false
	}
	return ringReadUnlocked(f, &pipes[s.rx], sockEnd{shut: &s.rdShut}, buf, n)
}

func (*inetSocket) writeUnlocked(f *file, buf, n uintptr, off int64) (int64, bool) {
	s := &sockets[f.node]
	if off >= 0 || s.typ != sockStream || s.state != ssConnected || s.wrShut {
		return 0, false
	}
	return ringWriteUnlocked(f, &pipes[s.tx], sockEnd{shut: &s.wrShut}, buf, n)
}

func (*inetSocket) recvUnlocked(f *file, buf, n uintptr, flags uint32) (int64, bool) {
	s := &sockets[f.node]
	if s.typ != sockStream || s.state != ssConnected || s.rdShut {
		return 0, false
	}
	return ringReadUnlocked(f, &pipes[s.rx], sockEnd{shut: &s.rdShut, msg: true, flags: flags}, buf, n)
}

func (*inetSocket) sendUnlocked(f *file, buf, n uintptr, flags uint32) (int64, bool) {
	s := &sockets[f.node]
	if s.typ != sockStream || s.state != ssConnected || s.wrShut {
		return 0, false
	}
	return ringWriteUnlocked(f, &pipes[s.tx], sockEnd{shut: &s.wrShut, msg: true, flags: flags}, buf, n)
}

func (*unixFile) flags() kindFlags { return kindUnlocked }

func (*unixFile) readUnlocked(f *file, buf, n uintptr, off int64) (int64, bool) {
	s := &unixSocks[f.node]
	if off >= 0 || s.typ != sockStream || s.state != usConnected || s.rdShut {
		return 0, false
	}
	return ringReadUnlocked(f, &pipes[s.rx], sockEnd{shut: &s.rdShut, pos: &s.rxPos, rights: &s.rightsIn}, buf, n)
}

func (*unixFile) writeUnlocked(f *file, buf, n uintptr, off int64) (int64, bool) {
	s := &unixSocks[f.node]
	if off >= 0 || s.typ != sockStream || s.state != usConnected || s.wrShut {
		return 0, false
	}
	return ringWriteUnlocked(f, &pipes[s.tx], sockEnd{shut: &s.wrShut, pos: &s.txPos}, buf, n)
}

func (*unixFile) recvUnlocked(f *file, buf, n uintptr, flags uint32) (int64, bool) {
	s := &unixSocks[f.node]
	if s.typ != sockStream || s.state != usConnected || s.rdShut {
		return 0, false
	}
	return ringReadUnlocked(f, &pipes[s.rx], sockEnd{shut: &s.rdShut, pos: &s.rxPos, rights: &s.rightsIn, msg: true, flags: flags}, buf, n)
}

func (*unixFile) sendUnlocked(f *file, buf, n uintptr, flags uint32) (int64, bool) {
	s := &unixSocks[f.node]
	if s.typ != sockStream || s.state != usConnected || s.wrShut {
		return 0, false
	}
	return ringWriteUnlocked(f, &pipes[s.tx], sockEnd{shut: &s.wrShut, pos: &s.txPos, msg: true, flags: flags}, buf, n)
}
