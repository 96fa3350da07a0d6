package kernel

import "github.com/gotoro/gotoro/kernel/ktime"

// netLingerNs bounds how long exit_group waits for the peers of the
// program's connections to other machines to acknowledge what it wrote
// (netLinger). A peer that reads acknowledges within a round trip; the
// bound is for one that does not read, or whose acknowledgements are
// lost: it covers netstack's retransmission timer backing off five times
// from its 200 ms minimum (0.2+0.4+0.8+1.6+3.2 s) with room for a host
// loaded enough that QEMU's user network is slow to run. Linux would keep
// sending for minutes after the process is gone, but here the machine
// stops with the program.
const netLingerNs = 10e9 // the message in netLinger says 10 s

// netLinger runs when the program exits: the network service, goroutines
// of the same program, must still send what the program wrote to
// connections to other machines (an HTTP server's last response, a CLI's
// result), which Linux's in-kernel stack would do after the process is
// gone. As Linux closes a process's descriptors at exit, the program's
// end of every such connection stops writing, so that the service sends
// what it holds and then the FIN; the exit then waits, at most
// netLingerNs, until the peer has acknowledged the data and the FIN of
// each (the service shuts its end's reading side then, netsvc's
// awaitAcked) or the connection has ended. A connection that still held
// data at the bound is named on the console instead of being lost
// silently.
//
//go:nosplit
func netLinger() {
	if !ncDev.open {
		return
	}
	for i := range sockets {
		s := &sockets[i]
		if s.state != ssConnected || !s.svc {
			continue
		}
		if p := s.peer; p >= 0 && !sockets[p].wrShut {
			sockets[p].wrShut = true
			pipeClose(sockets[p].tx, true)
			sockChanged(&sockets[p])
		}
	}
	end := ktime.Now() + netLingerNs
	for netUnsent() {
		now := ktime.Now()
		if now >= end {
			netReportUnsent()
			return
		}
		sleepUntil(min(now+5e6, end))
	}
}

// netUnacked reports whether s, the service's end of a connection to
// another machine, still has data or a FIN the peer has not acknowledged:
// the program has stopped writing (it closed its end, or exited), and the
// service has neither ended the connection nor shut its reading side,
// which it does once the peer acknowledged everything.
func netUnacked(s *socket) bool {
	return s.state == ssConnected && s.svc && !s.rdShut && (pipes[s.rx].n > 0 || pipes[s.rx].writers == 0)
}

// netUnsent reports whether a connection to another machine holds data
// the program wrote that its peer has not acknowledged (netUnacked).
func netUnsent() bool {
	for i := range sockets {
		if netUnacked(&sockets[i]) {
			return true
		}
	}
	return false
}

// netReportUnsent names on the console the connections that still held
// unacknowledged data when the exit's bound ran out.
func netReportUnsent() {
	n := 0
	for i := range sockets {
		if netUnacked(&sockets[i]) {
			n++
		}
	}
	kprint("net: exit: ")
	kprintDec(uint64(n))
	if n == 1 {
		kprint(" connection still held data after 10 s: ")
	} else {
		kprint(" connections still held data after 10 s: ")
	}
	sep := ""
	for i := range sockets {
		s := &sockets[i]
		if !netUnacked(s) {
			continue
		}
		kprint(sep)
		sep = ", "
		// The service's end: raddr is the guest's, laddr the peer's.
		kprintInetAddr(s.raddr, s.rport)
		kprint(" -> ")
		kprintInetAddr(s.laddr, s.lport)
		if b := pipes[s.rx].n; b > 0 {
			kprint(" (")
			kprintDec(uint64(b))
			kprint(" bytes not taken by the service)")
		}
	}
	kprint("\n")
}

// kprintInetAddr prints an address as 1.2.3.4:port, or an IPv6 one as
// [x:x:...]:port.
func kprintInetAddr(a [16]byte, port uint16) {
	if [12]byte(a[:12]) == [12]byte{10: 0xff, 11: 0xff} {
		for i, b := range a[12:] {
			if i > 0 {
				kprint(".")
			}
			kprintDec(uint64(b))
		}
	} else {
		kprint("[")
		for i := 0; i < 16; i += 2 {
			if i > 0 {
				kprint(":")
			}
			v := uint16(a[i])<<8 | uint16(a[i+1])
			g := [4]byte{hexDigit(v >> 12), hexDigit(v >> 8), hexDigit(v >> 4), hexDigit(v)}
			consoleWrite(g[:])
		}
		kprint("]")
	}
	kprint(":")
	kprintDec(uint64(port))
}

// hexDigit is the lowest four bits of v as a hexadecimal digit.
func hexDigit(v uint16) byte { return "0123456789abcdef"[v&15] }
