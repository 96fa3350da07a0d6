// Command netctl plays the network service against the kernel through
// /dev/netctl, with raw system calls and no network device: a program's
// connection out (made and refused), a connection in, datagrams both ways,
// and what happens when the service goes away. It does not import net, so
// gotoro links no network service into it.
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

const (
	ioctlAccept    = 0x4E10
	ioctlConnected = 0x4E11
	ioctlSetAddr   = 0x4E12

	opConnect  = 1
	opUDPSend  = 2
	opUDPBind  = 3
	opUDPClose = 4
	opUDPRecv  = 5
)

func fail(format string, args ...any) {
	fmt.Printf("FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func check(err error, what string) {
	if err != nil {
		fail("%s: %v", what, err)
	}
}

func ioctl(fd int, req uintptr, arg unsafe.Pointer) (int, error) {
	r, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

func mapped(a [4]byte) (m [16]byte) {
	m[10], m[11] = 0xff, 0xff
	copy(m[12:], a[:])
	return m
}

type rec struct {
	op           uint16
	fd           int
	lport, rport uint16
	laddr, raddr [16]byte
	payload      []byte
}

// readRecs reads what the kernel has queued on ctl.
func readRecs(ctl int) []rec {
	buf := make([]byte, 1<<18)
	n, err := syscall.Read(ctl, buf)
	if err == syscall.EAGAIN {
		return nil
	}
	check(err, "read /dev/netctl")
	var out []rec
	b := buf[:n]
	for len(b) > 0 {
		l := int(binary.LittleEndian.Uint32(b[4:]))
		r := rec{op: binary.LittleEndian.Uint16(b)}
		body := b[8:l]
		switch r.op {
		case opConnect:
			r.fd = int(int32(binary.LittleEndian.Uint32(body)))
			r.lport = binary.LittleEndian.Uint16(body[6:])
			r.rport = binary.LittleEndian.Uint16(body[8:])
			r.laddr, r.raddr = [16]byte(body[12:28]), [16]byte(body[28:44])
		case opUDPSend:
			r.lport = binary.LittleEndian.Uint16(body)
			r.rport = binary.LittleEndian.Uint16(body[2:])
			r.laddr, r.raddr = [16]byte(body[4:20]), [16]byte(body[20:36])
			r.payload = append([]byte(nil), body[36:]...)
		case opUDPBind, opUDPClose:
			r.lport = binary.LittleEndian.Uint16(body)
		default:
			fail("unknown record %d", r.op)
		}
		out = append(out, r)
		b = b[l:]
	}
	return out
}

func one(ctl int, op uint16) rec {
	rs := readRecs(ctl)
	if len(rs) != 1 || rs[0].op != op {
		fail("records %+v, want one of operation %d", rs, op)
	}
	return rs[0]
}

func connected(ctl, fd int, errno syscall.Errno) {
	arg := [2]int32{int32(fd), int32(errno)}
	_, err := ioctl(ctl, ioctlConnected, unsafe.Pointer(&arg))
	check(err, "ioctl connected")
}

func accept(ctl int, lport, rport uint16, laddr, raddr [4]byte) (int, error) {
	var a [40]byte
	binary.LittleEndian.PutUint16(a[0:], lport)
	binary.LittleEndian.PutUint16(a[2:], rport)
	l, r := mapped(laddr), mapped(raddr)
	copy(a[8:], l[:])
	copy(a[24:], r[:])
	return ioctl(ctl, ioctlAccept, unsafe.Pointer(&a))
}

func readAll(fd int, want int) []byte {
	var out []byte
	buf := make([]byte, 4096)
	for len(out) < want {
		n, err := syscall.Read(fd, buf)
		if err == syscall.EAGAIN {
			continue
		}
		check(err, "read")
		if n == 0 {
			break
		}
		out = append(out, buf[:n]...)
	}
	return out
}

func exchange(a, b int, what string) {
	msg := []byte("hello " + what)
	if _, err := syscall.Write(a, msg); err != nil {
		fail("%s: write: %v", what, err)
	}
	if got := readAll(b, len(msg)); !bytes.Equal(got, msg) {
		fail("%s: read %q", what, got)
	}
}

var (
	guestIP = [4]byte{10, 0, 2, 15}
	otherIP = [4]byte{10, 9, 9, 9}
	hostIP  = [4]byte{10, 0, 2, 2}
)

func main() {
	// Booted without a network device.
	if _, err := syscall.Open("/dev/net0", syscall.O_RDWR, 0); err != syscall.ENODEV {
		fail("open /dev/net0 without a device: %v, want ENODEV", err)
	}
	ctl, err := syscall.Open("/dev/netctl", syscall.O_RDWR|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	check(err, "open /dev/netctl")
	if _, err := syscall.Open("/dev/netctl", syscall.O_RDWR, 0); err != syscall.EBUSY {
		fail("second open: %v, want EBUSY", err)
	}
	ip := guestIP
	_, err = ioctl(ctl, ioctlSetAddr, unsafe.Pointer(&ip))
	check(err, "ioctl set address")

	connectOut(ctl)
	connectRefused(ctl)
	acceptIn(ctl)
	datagrams(ctl)
	serviceGone(ctl)
	fmt.Println("netctl ok")
}

// connectOut: a non-blocking connect to another machine is handed to the
// service, completes when the service says so, and carries data.
func connectOut(ctl int) {
	s, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK, 0)
	check(err, "socket")
	err = syscall.Connect(s, &syscall.SockaddrInet4{Port: 7, Addr: otherIP})
	if err != syscall.EINPROGRESS {
		fail("connect: %v, want EINPROGRESS", err)
	}
	if _, err := syscall.Write(s, []byte("x")); err != syscall.EAGAIN {
		fail("write while connecting: %v, want EAGAIN", err)
	}
	r := one(ctl, opConnect)
	if r.rport != 7 || r.raddr != mapped(otherIP) || r.laddr != mapped(guestIP) || r.lport == 0 || r.fd < 0 {
		fail("connect record %+v", r)
	}
	connected(ctl, r.fd, 0)
	if v, err := syscall.GetsockoptInt(s, syscall.SOL_SOCKET, syscall.SO_ERROR); err != nil || v != 0 {
		fail("SO_ERROR %d, %v", v, err)
	}
	peer, err := syscall.Getpeername(s)
	if p, ok := peer.(*syscall.SockaddrInet4); err != nil || !ok || p.Port != 7 || p.Addr != otherIP {
		fail("getpeername %+v, %v", peer, err)
	}
	local, err := syscall.Getsockname(s)
	if l, ok := local.(*syscall.SockaddrInet4); err != nil || !ok || int(r.lport) != l.Port || l.Addr != guestIP {
		fail("getsockname %+v, %v (record port %d)", local, err, r.lport)
	}
	exchange(s, r.fd, "out")
	exchange(r.fd, s, "back")
	check(syscall.Shutdown(r.fd, syscall.SHUT_WR), "service shutdown")
	if got := readAll(s, 1); len(got) != 0 {
		fail("after the service's shutdown: %q, want EOF", got)
	}
	syscall.Close(s)
	if got := readAll(r.fd, 1); len(got) != 0 {
		fail("service end after the program's close: %q, want EOF", got)
	}
	syscall.Close(r.fd)
}

// connectRefused: the service reports a refusal, the program sees it as
// SO_ERROR; a blocking connect gets it from connect itself.
func connectRefused(ctl int) {
	s, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK, 0)
	check(err, "socket")
	if err := syscall.Connect(s, &syscall.SockaddrInet4{Port: 9, Addr: otherIP}); err != syscall.EINPROGRESS {
		fail("connect: %v", err)
	}
	r := one(ctl, opConnect)
	connected(ctl, r.fd, syscall.ECONNREFUSED)
	syscall.Close(r.fd)
	if v, err := syscall.GetsockoptInt(s, syscall.SOL_SOCKET, syscall.SO_ERROR); err != nil || syscall.Errno(v) != syscall.ECONNREFUSED {
		fail("SO_ERROR %d, %v; want ECONNREFUSED", v, err)
	}
	syscall.Close(s)

	b, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	check(err, "socket")
	done := make(chan error)
	tids := make(chan int)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tids <- syscall.Gettid()
		done <- syscall.Connect(b, &syscall.SockaddrInet4{Port: 10, Addr: otherIP})
	}()
	tid := <-tids
	var r2 []rec
	for len(r2) == 0 {
		r2 = readRecs(ctl)
	}
	// Signals cut the connect's wait; the runtime's handlers ask for
	// SA_RESTART, so it must wait on, not fail with EINTR.
	for i := 0; i < 5; i++ {
		if err := syscall.Tgkill(syscall.Getpid(), tid, syscall.SIGURG); err != nil {
			fail("tgkill: %v", err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	connected(ctl, r2[0].fd, syscall.ETIMEDOUT)
	syscall.Close(r2[0].fd)
	if err := <-done; err != syscall.ETIMEDOUT {
		fail("blocking connect: %v, want ETIMEDOUT", err)
	}
	syscall.Close(b)
}

// acceptIn: a connection from another machine reaches a listener on any
// address, not one on 127.0.0.1, and nothing on a port nobody listens on.
func acceptIn(ctl int) {
	l, err := syscall.Socket(syscall.AF_INET6, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK, 0)
	check(err, "socket")
	check(syscall.Bind(l, &syscall.SockaddrInet6{Port: 80}), "bind [::]:80")
	check(syscall.Listen(l, 16), "listen")
	lo, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	check(err, "socket")
	check(syscall.Bind(lo, &syscall.SockaddrInet4{Port: 82, Addr: [4]byte{127, 0, 0, 1}}), "bind 127.0.0.1:82")
	check(syscall.Listen(lo, 16), "listen")

	if _, err := accept(ctl, 81, 5555, guestIP, hostIP); err != syscall.ECONNREFUSED {
		fail("accept on a closed port: %v, want ECONNREFUSED", err)
	}
	if _, err := accept(ctl, 82, 5555, guestIP, hostIP); err != syscall.ECONNREFUSED {
		fail("accept on a loopback-only listener: %v, want ECONNREFUSED", err)
	}
	v, err := accept(ctl, 80, 5555, guestIP, hostIP)
	check(err, "accept on port 80")
	c, sa, err := syscall.Accept4(l, syscall.SOCK_NONBLOCK)
	check(err, "accept4")
	p, ok := sa.(*syscall.SockaddrInet6)
	if !ok || p.Port != 5555 || [4]byte(p.Addr[12:]) != hostIP {
		fail("peer %+v", sa)
	}
	exchange(v, c, "in")
	exchange(c, v, "reply")
	syscall.Close(c)
	if got := readAll(v, 1); len(got) != 0 {
		fail("service end after the program's close: %q", got)
	}
	syscall.Close(v)
	syscall.Close(l)
	syscall.Close(lo)
}

// datagrams: a bound socket is announced; a datagram out becomes a record;
// a record in reaches the socket with its source; closing is announced.
func datagrams(ctl int) {
	u, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	check(err, "socket")
	check(syscall.Bind(u, &syscall.SockaddrInet4{Port: 5353}), "bind")
	if r := one(ctl, opUDPBind); r.lport != 5353 {
		fail("bind record %+v", r)
	}
	check(syscall.Sendto(u, []byte("query"), 0, &syscall.SockaddrInet4{Port: 53, Addr: [4]byte{10, 0, 2, 3}}), "sendto")
	r := one(ctl, opUDPSend)
	if r.lport != 5353 || r.rport != 53 || r.raddr != mapped([4]byte{10, 0, 2, 3}) || string(r.payload) != "query" {
		fail("datagram record %+v", r)
	}
	var rec []byte
	rec = binary.LittleEndian.AppendUint16(rec, opUDPRecv)
	rec = binary.LittleEndian.AppendUint16(rec, 0)
	rec = binary.LittleEndian.AppendUint32(rec, uint32(44+len("answer")))
	rec = binary.LittleEndian.AppendUint16(rec, 5353)
	rec = binary.LittleEndian.AppendUint16(rec, 53)
	g, d := mapped(guestIP), mapped([4]byte{10, 0, 2, 3})
	rec = append(append(append(rec, g[:]...), d[:]...), "answer"...)
	if n, err := syscall.Write(ctl, rec); err != nil || n != len(rec) {
		fail("write datagram record: %d, %v", n, err)
	}
	buf := make([]byte, 100)
	n, from, err := syscall.Recvfrom(u, buf, 0)
	check(err, "recvfrom")
	if f, ok := from.(*syscall.SockaddrInet4); string(buf[:n]) != "answer" || !ok || f.Port != 53 || f.Addr != [4]byte{10, 0, 2, 3} {
		fail("received %q from %+v", buf[:n], from)
	}
	syscall.Close(u)
	if r := one(ctl, opUDPClose); r.lport != 5353 {
		fail("close record %+v", r)
	}
}

// serviceGone: a connect pending when the service closes /dev/netctl fails
// with ENETDOWN; later ones find the network unreachable.
func serviceGone(ctl int) {
	s, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK, 0)
	check(err, "socket")
	if err := syscall.Connect(s, &syscall.SockaddrInet4{Port: 7, Addr: otherIP}); err != syscall.EINPROGRESS {
		fail("connect: %v", err)
	}
	syscall.Close(ctl)
	if v, err := syscall.GetsockoptInt(s, syscall.SOL_SOCKET, syscall.SO_ERROR); err != nil || syscall.Errno(v) != syscall.ENETDOWN {
		fail("SO_ERROR %d, %v; want ENETDOWN", v, err)
	}
	syscall.Close(s)
	s, _ = syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err := syscall.Connect(s, &syscall.SockaddrInet4{Port: 7, Addr: otherIP}); err != syscall.ENETUNREACH {
		fail("connect without a service: %v, want ENETUNREACH", err)
	}
	syscall.Close(s)
}
