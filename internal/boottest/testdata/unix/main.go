// Command unix checks AF_UNIX sockets: stream, datagram and seqpacket;
// path, abstract and automatic names; socketpair; getsockname and
// getpeername; SCM_RIGHTS; SO_PEERCRED; shutdown; epoll readiness; Linux's
// errors; and the net package and net/http over them. It runs in the guest
// and, with the argument "native DIR", on Linux, which is the oracle: both
// must print the same checks and "unix ok". The first failed check prints
// FAIL and exits 1.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/gotoro/gotoro/internal/guestcheck"
)

func sock(typ int) int {
	return guestcheck.Value(syscall.Socket(syscall.AF_UNIX, typ, 0))
}

// unnamed reports whether sa is the address of an unbound socket (Linux
// gives only the family, which Go reads as "@").
// A datagram from an unbound sender has no address at all (nil).
func unnamed(sa syscall.Sockaddr) bool { n := nameOf(sa); return sa == nil || n == "" || n == "@" }

func nameOf(sa syscall.Sockaddr) string {
	if u, ok := sa.(*syscall.SockaddrUnix); ok {
		return u.Name
	}
	return fmt.Sprintf("%T", sa)
}

// tag makes abstract names unique per run (natively other programs share
// the namespace).
var tag = strconv.Itoa(os.Getpid()) + strconv.FormatInt(time.Now().UnixNano()%1e6, 10)

func main() {
	dir := "/tmp"
	if len(os.Args) > 2 && os.Args[1] == "native" {
		dir = os.Args[2]
	}
	testStreamPath(dir)
	testAbstract()
	testSocketpair(dir)
	testDgram(dir)
	testSeqpacket(dir)
	testEpoll()
	testNet(dir)
	fmt.Println("unix ok")
}

func testStreamPath(dir string) {
	path := filepath.Join(dir, "s.sock")
	l := sock(syscall.SOCK_STREAM)
	guestcheck.Expect("bind a path", syscall.Bind(l, &syscall.SockaddrUnix{Name: path}), nil)
	var st syscall.Stat_t
	guestcheck.Expect("stat the socket inode", syscall.Stat(path, &st), nil)
	guestcheck.Check("the inode is a socket", st.Mode&syscall.S_IFMT == syscall.S_IFSOCK, "mode %o", st.Mode)
	l2 := sock(syscall.SOCK_STREAM)
	guestcheck.Expect("bind an existing path", syscall.Bind(l2, &syscall.SockaddrUnix{Name: path}), syscall.EADDRINUSE)
	guestcheck.Expect("bind twice", syscall.Bind(l, &syscall.SockaddrUnix{Name: path + "2"}), syscall.EINVAL)
	guestcheck.Expect("connect to a missing path", syscall.Connect(l2, &syscall.SockaddrUnix{Name: path + ".none"}), syscall.ENOENT)
	os.WriteFile(path+".file", nil, 0o644)
	guestcheck.Expect("connect to a regular file", syscall.Connect(l2, &syscall.SockaddrUnix{Name: path + ".file"}), syscall.ECONNREFUSED)
	guestcheck.Expect("connect before listen", syscall.Connect(l2, &syscall.SockaddrUnix{Name: path}), syscall.ECONNREFUSED)
	syscall.Close(l2)
	guestcheck.Expect("listen", syscall.Listen(l, 8), nil)
	v, _ := syscall.GetsockoptInt(l, syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN)
	guestcheck.Check("SO_ACCEPTCONN", v == 1, "%d", v)
	v, _ = syscall.GetsockoptInt(l, syscall.SOL_SOCKET, syscall.SO_TYPE)
	guestcheck.Check("SO_TYPE", v == syscall.SOCK_STREAM, "%d", v)
	syscall.SetNonblock(l, true)
	_, _, err := syscall.Accept(l)
	guestcheck.Expect("accept with nothing queued", err, syscall.EAGAIN)
	syscall.SetNonblock(l, false)
	_, err = syscall.Open(path, syscall.O_RDWR, 0)
	guestcheck.Expect("open a socket inode", err, syscall.ENXIO)

	c := sock(syscall.SOCK_STREAM)
	guestcheck.Expect("connect", syscall.Connect(c, &syscall.SockaddrUnix{Name: path}), nil)
	guestcheck.Expect("connect again", syscall.Connect(c, &syscall.SockaddrUnix{Name: path}), syscall.EISCONN)
	a, peer, err := syscall.Accept(l)
	guestcheck.Check("accept", err == nil && unnamed(peer), "%v %q", err, nameOf(peer))
	sa, _ := syscall.Getsockname(l)
	guestcheck.Check("getsockname of the listener", nameOf(sa) == path, "%q", nameOf(sa))
	sa, _ = syscall.Getpeername(c)
	guestcheck.Check("getpeername of the client", nameOf(sa) == path, "%q", nameOf(sa))
	sa, _ = syscall.Getsockname(a)
	guestcheck.Check("getsockname of the accepted socket", nameOf(sa) == path, "%q", nameOf(sa))
	sa, _ = syscall.Getsockname(c)
	guestcheck.Check("getsockname of an unbound client", unnamed(sa), "%q", nameOf(sa))
	sa, _ = syscall.Getpeername(a)
	guestcheck.Check("getpeername of the accepted socket", unnamed(sa), "%q", nameOf(sa))
	_, err = syscall.Getpeername(l)
	guestcheck.Expect("getpeername of a listener", err, syscall.ENOTCONN)
	cred, err := syscall.GetsockoptUcred(a, syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	guestcheck.Check("SO_PEERCRED", err == nil && int(cred.Pid) == os.Getpid() && int(cred.Uid) == os.Getuid() && int(cred.Gid) == os.Getgid(), "%v %+v", err, cred)

	syscall.Write(c, []byte("ping"))
	b := make([]byte, 16)
	n, _ := syscall.Read(a, b)
	guestcheck.Check("stream data", string(b[:n]) == "ping", "%q", b[:n])
	syscall.Write(a, []byte("pong"))
	n, _ = syscall.Read(c, b)
	guestcheck.Check("stream data back", string(b[:n]) == "pong", "%q", b[:n])
	guestcheck.Expect("shutdown write", syscall.Shutdown(c, syscall.SHUT_WR), nil)
	n, err = syscall.Read(a, b)
	guestcheck.Check("end of file after the peer's shutdown", n == 0 && err == nil, "%d %v", n, err)
	syscall.Write(a, []byte("still"))
	n, _ = syscall.Read(c, b)
	guestcheck.Check("the other direction still works", string(b[:n]) == "still", "%q", b[:n])
	err = syscall.Sendto(c, []byte("x"), syscall.MSG_NOSIGNAL, nil)
	guestcheck.Expect("write after shutdown", err, syscall.EPIPE)
	syscall.Close(a)
	n, err = syscall.Read(c, b)
	guestcheck.Check("end of file after the peer's close", n == 0 && err == nil, "%d %v", n, err)
	syscall.Close(c)

	// A second connection, then the listener closes: queued ones end.
	c = sock(syscall.SOCK_STREAM)
	syscall.Connect(c, &syscall.SockaddrUnix{Name: path})
	syscall.Close(l)
	n, err = syscall.Read(c, b)
	guestcheck.Check("a queued connection ends with its listener", n == 0 && err == nil || errors.Is(err, syscall.ECONNRESET), "%d %v", n, err)
	syscall.Close(c)
	c = sock(syscall.SOCK_STREAM)
	guestcheck.Expect("connect to a closed listener's path", syscall.Connect(c, &syscall.SockaddrUnix{Name: path}), syscall.ECONNREFUSED)
	os.Remove(path)
	guestcheck.Expect("connect after unlink", syscall.Connect(c, &syscall.SockaddrUnix{Name: path}), syscall.ENOENT)
	syscall.Close(c)

	// A full accept queue: nonblocking connects get EAGAIN.
	l = sock(syscall.SOCK_STREAM)
	syscall.Bind(l, &syscall.SockaddrUnix{Name: path})
	syscall.Listen(l, 1)
	var cs []int
	var last error
	for i := 0; i < 8; i++ {
		c := sock(syscall.SOCK_STREAM | syscall.SOCK_NONBLOCK)
		cs = append(cs, c)
		if last = syscall.Connect(c, &syscall.SockaddrUnix{Name: path}); last != nil {
			break
		}
	}
	guestcheck.Expect("connect to a full backlog", last, syscall.EAGAIN)
	for _, c := range cs {
		syscall.Close(c)
	}
	syscall.Close(l)
	os.Remove(path)
}

func testAbstract() {
	name := "@gotoro-abstract-" + tag
	l := sock(syscall.SOCK_STREAM)
	guestcheck.Expect("bind an abstract name", syscall.Bind(l, &syscall.SockaddrUnix{Name: name}), nil)
	l2 := sock(syscall.SOCK_STREAM)
	guestcheck.Expect("bind a taken abstract name", syscall.Bind(l2, &syscall.SockaddrUnix{Name: name}), syscall.EADDRINUSE)
	guestcheck.Expect("connect to a missing abstract name", syscall.Connect(l2, &syscall.SockaddrUnix{Name: name + "x"}), syscall.ECONNREFUSED)
	syscall.Close(l2)
	syscall.Listen(l, 4)
	sa, _ := syscall.Getsockname(l)
	guestcheck.Check("getsockname of an abstract name", nameOf(sa) == name, "%q", nameOf(sa))
	c := sock(syscall.SOCK_STREAM)
	guestcheck.Expect("connect to an abstract name", syscall.Connect(c, &syscall.SockaddrUnix{Name: name}), nil)
	a, _, err := syscall.Accept(l)
	guestcheck.Expect("accept an abstract connection", err, nil)
	sa, _ = syscall.Getpeername(c)
	guestcheck.Check("getpeername of an abstract name", nameOf(sa) == name, "%q", nameOf(sa))
	syscall.Close(a)
	syscall.Close(c)
	syscall.Close(l)
	// Autobind: an empty name gets five hex digits.
	d := sock(syscall.SOCK_DGRAM)
	fd := d
	_, _, e := syscall.Syscall(syscall.SYS_BIND, uintptr(fd), uintptr(unsafePointer(&[2]byte{1, 0})), 2)
	guestcheck.Check("autobind", e == 0, "%v", e)
	sa, _ = syscall.Getsockname(d)
	n := nameOf(sa)
	guestcheck.Check("an autobound name", len(n) == 6 && n[0] == '@' && strings.Trim(n[1:], "0123456789abcdef") == "", "%q", n)
	syscall.Close(d)
	// The name is free again once its socket closed.
	l = sock(syscall.SOCK_STREAM)
	guestcheck.Expect("bind a released abstract name", syscall.Bind(l, &syscall.SockaddrUnix{Name: name}), nil)
	syscall.Close(l)
}

func testSocketpair(dir string) {
	_, err := syscall.Socketpair(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	guestcheck.Expect("socketpair of AF_INET", err, syscall.EOPNOTSUPP)
	p := guestcheck.Value(syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0))
	syscall.Write(p[0], []byte("hello"))
	b := make([]byte, 16)
	n, _ := syscall.Read(p[1], b)
	guestcheck.Check("socketpair stream", string(b[:n]) == "hello", "%q", b[:n])
	sa, _ := syscall.Getpeername(p[0])
	guestcheck.Check("getpeername of a socketpair", unnamed(sa), "%q", nameOf(sa))

	// SCM_RIGHTS: a pipe's read end and a file travel; the receiver reads
	// them through its new descriptors.
	var pp [2]int
	syscall.Pipe(pp[:])
	syscall.Write(pp[1], []byte("through the pipe"))
	name := filepath.Join(dir, "rights-file")
	os.WriteFile(name, []byte("file contents"), 0o644)
	ff := guestcheck.Value(syscall.Open(name, syscall.O_RDONLY, 0))
	err = syscall.Sendmsg(p[0], []byte("fds"), syscall.UnixRights(pp[0], ff), nil, 0)
	guestcheck.Expect("sendmsg SCM_RIGHTS", err, nil)
	syscall.Close(pp[0])
	syscall.Close(ff)
	oob := make([]byte, syscall.CmsgSpace(2*4))
	n, oobn, flags, _, err := syscall.Recvmsg(p[1], b, oob, 0)
	guestcheck.Check("recvmsg SCM_RIGHTS", err == nil && string(b[:n]) == "fds" && flags&syscall.MSG_CTRUNC == 0, "%v %q flags %#x", err, b[:n], flags)
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	guestcheck.Check("one control message", err == nil && len(msgs) == 1, "%v %d", err, len(msgs))
	fds, err := syscall.ParseUnixRights(&msgs[0])
	guestcheck.Check("two descriptors", err == nil && len(fds) == 2, "%v %v", err, fds)
	n, _ = syscall.Read(fds[0], b)
	guestcheck.Check("read the passed pipe", string(b[:n]) == "through the pipe", "%q", b[:n])
	n, _ = syscall.Pread(fds[1], b, 0)
	guestcheck.Check("read the passed file", string(b[:n]) == "file contents", "%q", b[:n])
	var st1, st2 syscall.Stat_t
	syscall.Fstat(fds[1], &st1)
	syscall.Stat(name, &st2)
	guestcheck.Check("the passed file is the file", st1.Ino == st2.Ino, "%d %d", st1.Ino, st2.Ino)
	syscall.Close(fds[0])
	syscall.Close(fds[1])

	// A read that takes descriptors ends with the bytes sent with them; a
	// plain read drops them.
	syscall.Sendmsg(p[0], []byte("AB"), syscall.UnixRights(pp[1]), nil, 0)
	syscall.Write(p[0], []byte("CD"))
	syscall.Sendmsg(p[0], []byte("EF"), syscall.UnixRights(pp[1]), nil, 0)
	syscall.Write(p[0], []byte("GH"))
	syscall.Sendmsg(p[0], []byte("IJ"), syscall.UnixRights(pp[1]), nil, 0)
	syscall.Write(p[0], []byte("KL"))
	n, oobn, _, _, _ = syscall.Recvmsg(p[1], b, oob, 0)
	guestcheck.Check("a read with descriptors ends with their bytes", string(b[:n]) == "AB" && oobn > 0, "%q oob %d", b[:n], oobn)
	msgs, _ = syscall.ParseSocketControlMessage(oob[:oobn])
	fds, _ = syscall.ParseUnixRights(&msgs[0])
	syscall.Close(fds[0])
	n, oobn, _, _, _ = syscall.Recvmsg(p[1], b, oob, 0)
	guestcheck.Check("a read reaching descriptors takes them", string(b[:n]) == "CDEF" && oobn > 0, "%q oob %d", b[:n], oobn)
	msgs, _ = syscall.ParseSocketControlMessage(oob[:oobn])
	fds, _ = syscall.ParseUnixRights(&msgs[0])
	syscall.Close(fds[0])
	n, _ = syscall.Read(p[1], b)
	guestcheck.Check("a plain read of bytes with descriptors", string(b[:n]) == "GHIJ", "%q", b[:n])
	n, _ = syscall.Read(p[1], b)
	guestcheck.Check("the bytes after them", string(b[:n]) == "KL", "%q", b[:n])

	// Too little control space: MSG_CTRUNC.
	syscall.Sendmsg(p[0], []byte("G"), syscall.UnixRights(pp[1], pp[1], pp[1]), nil, 0)
	small := make([]byte, syscall.CmsgLen(4))
	n, oobn, flags, _, _ = syscall.Recvmsg(p[1], b, small, 0)
	guestcheck.Check("MSG_CTRUNC", n == 1 && flags&syscall.MSG_CTRUNC != 0, "n %d flags %#x", n, flags)
	if oobn > 0 {
		msgs, _ = syscall.ParseSocketControlMessage(small[:oobn])
		fds, _ = syscall.ParseUnixRights(&msgs[0])
		guestcheck.Check("the descriptors that fit", len(fds) == 1, "%v", fds)
		syscall.Close(fds[0])
	}
	err = syscall.Sendmsg(p[0], []byte("x"), syscall.UnixRights(999), nil, 0)
	guestcheck.Expect("SCM_RIGHTS of a bad descriptor", err, syscall.EBADF)
	syscall.Close(pp[1])
	syscall.Close(p[0])
	n, err = syscall.Read(p[1], b)
	guestcheck.Check("socketpair end of file", n == 0 && err == nil, "%d %v", n, err)
	syscall.Close(p[1])
}

func testDgram(dir string) {
	p := guestcheck.Value(syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_DGRAM, 0))
	syscall.Write(p[0], []byte("a"))
	syscall.Write(p[0], []byte("bb"))
	syscall.Write(p[0], []byte("ccc"))
	b := make([]byte, 16)
	n1, _ := syscall.Read(p[1], b)
	n2, _ := syscall.Read(p[1], b)
	guestcheck.Check("datagram boundaries", n1 == 1 && n2 == 2, "%d %d", n1, n2)
	n, _, flags, _, _ := syscall.Recvmsg(p[1], b[:2], nil, 0)
	guestcheck.Check("a truncated datagram", n == 2 && flags&syscall.MSG_TRUNC != 0, "%d %#x", n, flags)
	syscall.Sendmsg(p[0], []byte("r"), syscall.UnixRights(p[0]), nil, 0)
	oob := make([]byte, syscall.CmsgSpace(4))
	n, oobn, _, _, _ := syscall.Recvmsg(p[1], b, oob, 0)
	guestcheck.Check("SCM_RIGHTS over a datagram", n == 1 && oobn > 0, "%d %d", n, oobn)
	msgs, _ := syscall.ParseSocketControlMessage(oob[:oobn])
	fds, _ := syscall.ParseUnixRights(&msgs[0])
	syscall.Close(fds[0])
	syscall.Close(p[0])
	syscall.Close(p[1])

	srvPath := filepath.Join(dir, "d.sock")
	cliPath := filepath.Join(dir, "dc.sock")
	s := sock(syscall.SOCK_DGRAM)
	guestcheck.Expect("bind a datagram socket", syscall.Bind(s, &syscall.SockaddrUnix{Name: srvPath}), nil)
	c := sock(syscall.SOCK_DGRAM)
	guestcheck.Expect("sendto from an unbound socket", syscall.Sendto(c, []byte("one"), 0, &syscall.SockaddrUnix{Name: srvPath}), nil)
	n, from, err := syscall.Recvfrom(s, b, 0)
	guestcheck.Check("recvfrom an unbound sender", err == nil && n == 3 && unnamed(from), "%v %d %q", err, n, nameOf(from))
	syscall.Bind(c, &syscall.SockaddrUnix{Name: cliPath})
	syscall.Sendto(c, []byte("two"), 0, &syscall.SockaddrUnix{Name: srvPath})
	n, from, _ = syscall.Recvfrom(s, b, 0)
	guestcheck.Check("recvfrom a bound sender", n == 3 && nameOf(from) == cliPath, "%d %q", n, nameOf(from))
	guestcheck.Expect("sendto a missing path", syscall.Sendto(c, []byte("x"), 0, &syscall.SockaddrUnix{Name: srvPath + ".none"}), syscall.ENOENT)
	_, err = syscall.Write(c, []byte("x"))
	guestcheck.Expect("send without a destination", err, syscall.ENOTCONN)
	guestcheck.Expect("connect a datagram socket", syscall.Connect(c, &syscall.SockaddrUnix{Name: srvPath}), nil)
	syscall.Write(c, []byte("three"))
	n, _ = syscall.Read(s, b)
	guestcheck.Check("send to the connected peer", string(b[:n]) == "three", "%q", b[:n])
	sa, _ := syscall.Getpeername(c)
	guestcheck.Check("getpeername of a datagram socket", nameOf(sa) == srvPath, "%q", nameOf(sa))
	syscall.SetNonblock(s, true)
	_, _, err = syscall.Recvfrom(s, b, 0)
	guestcheck.Expect("recv from an empty queue", err, syscall.EAGAIN)
	guestcheck.Expect("listen on a datagram socket", syscall.Listen(s, 1), syscall.EOPNOTSUPP)
	syscall.Close(s)
	_, err = syscall.Write(c, []byte("x"))
	guestcheck.Expect("send to a closed peer", err, syscall.ECONNREFUSED)
	syscall.Close(c)
	os.Remove(srvPath)
	os.Remove(cliPath)
}

func testSeqpacket(dir string) {
	p := guestcheck.Value(syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET, 0))
	syscall.Write(p[0], []byte("one"))
	syscall.Write(p[0], []byte("two!"))
	b := make([]byte, 16)
	n1, _ := syscall.Read(p[1], b)
	n2, _ := syscall.Read(p[1], b)
	guestcheck.Check("seqpacket boundaries", n1 == 3 && n2 == 4, "%d %d", n1, n2)
	v, _ := syscall.GetsockoptInt(p[0], syscall.SOL_SOCKET, syscall.SO_TYPE)
	guestcheck.Check("seqpacket SO_TYPE", v == syscall.SOCK_SEQPACKET, "%d", v)
	syscall.Close(p[0])
	n, err := syscall.Read(p[1], b)
	guestcheck.Check("seqpacket end of file", n == 0 && err == nil, "%d %v", n, err)
	syscall.Close(p[1])
	name := "@gotoro-seq-" + tag
	l := sock(syscall.SOCK_SEQPACKET)
	syscall.Bind(l, &syscall.SockaddrUnix{Name: name})
	guestcheck.Expect("seqpacket listen", syscall.Listen(l, 2), nil)
	c := sock(syscall.SOCK_SEQPACKET)
	guestcheck.Expect("seqpacket connect", syscall.Connect(c, &syscall.SockaddrUnix{Name: name}), nil)
	a, _, err := syscall.Accept(l)
	guestcheck.Expect("seqpacket accept", err, nil)
	syscall.Write(c, []byte("xy"))
	n, _ = syscall.Read(a, b)
	guestcheck.Check("seqpacket over a connection", n == 2, "%d", n)
	s := sock(syscall.SOCK_STREAM)
	guestcheck.Expect("stream connect to a seqpacket listener", syscall.Connect(s, &syscall.SockaddrUnix{Name: name}), syscall.ECONNREFUSED)
	for _, fd := range []int{s, a, c, l} {
		syscall.Close(fd)
	}
	path := filepath.Join(dir, "seq.sock")
	l = sock(syscall.SOCK_SEQPACKET)
	syscall.Bind(l, &syscall.SockaddrUnix{Name: path})
	syscall.Listen(l, 2)
	s = sock(syscall.SOCK_STREAM)
	guestcheck.Expect("stream connect to a seqpacket path", syscall.Connect(s, &syscall.SockaddrUnix{Name: path}), syscall.EPROTOTYPE)
	d := sock(syscall.SOCK_DGRAM)
	guestcheck.Expect("datagram to a seqpacket path", syscall.Sendto(d, []byte("x"), 0, &syscall.SockaddrUnix{Name: path}), syscall.EPROTOTYPE)
	for _, fd := range []int{s, d, l} {
		syscall.Close(fd)
	}
	os.Remove(path)
}

func testEpoll() {
	ep := guestcheck.Value(syscall.EpollCreate1(0))
	name := "@gotoro-ep-" + tag
	l := sock(syscall.SOCK_STREAM | syscall.SOCK_NONBLOCK)
	syscall.Bind(l, &syscall.SockaddrUnix{Name: name})
	syscall.Listen(l, 4)
	syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, l, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(l)})
	ev := make([]syscall.EpollEvent, 4)
	n, _ := syscall.EpollWait(ep, ev, 0)
	guestcheck.Check("epoll: an idle listener", n == 0, "%d", n)
	c := sock(syscall.SOCK_STREAM)
	syscall.Connect(c, &syscall.SockaddrUnix{Name: name})
	n, _ = syscall.EpollWait(ep, ev, 1000)
	guestcheck.Check("epoll: a listener with a connection", n == 1 && ev[0].Events&syscall.EPOLLIN != 0, "%d %#x", n, ev[0].Events)
	a, _, _ := syscall.Accept(l)
	syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, a, &syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLOUT | syscall.EPOLLRDHUP | epollET, Fd: int32(a)})
	n, _ = syscall.EpollWait(ep, ev, 1000)
	guestcheck.Check("epoll: writable", n == 1 && ev[0].Fd == int32(a) && ev[0].Events == syscall.EPOLLOUT, "%d %#x", n, ev[0].Events)
	syscall.Write(c, []byte("x"))
	n, _ = syscall.EpollWait(ep, ev, 1000)
	guestcheck.Check("epoll: readable", n == 1 && ev[0].Events&syscall.EPOLLIN != 0, "%d %#x", n, ev[0].Events)
	syscall.Shutdown(c, syscall.SHUT_WR)
	n, _ = syscall.EpollWait(ep, ev, 1000)
	guestcheck.Check("epoll: EPOLLRDHUP after the peer's shutdown", n == 1 && ev[0].Events&syscall.EPOLLRDHUP != 0, "%d %#x", n, ev[0].Events)
	syscall.Close(c)
	n, _ = syscall.EpollWait(ep, ev, 1000)
	guestcheck.Check("epoll: EPOLLHUP after the peer's close", n == 1 && ev[0].Events&syscall.EPOLLHUP != 0, "%d %#x", n, ev[0].Events)
	for _, fd := range []int{a, l, ep} {
		syscall.Close(fd)
	}
}

func testNet(dir string) {
	path := filepath.Join(dir, "net.sock")
	ln, err := net.Listen("unix", path)
	guestcheck.Expect("net.Listen unix", err, nil)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	c, err := net.Dial("unix", path)
	guestcheck.Expect("net.Dial unix", err, nil)
	msg := strings.Repeat("0123456789", 100000) // 1 MB both ways
	go func() { io.WriteString(c, msg); c.(*net.UnixConn).CloseWrite() }()
	got, err := io.ReadAll(c)
	guestcheck.Check("net echo of 1 MB", err == nil && string(got) == msg, "%v %d bytes", err, len(got))
	c.Close()
	ln.Close()
	_, err = os.Stat(path)
	guestcheck.Expect("the listener's close removes its path", err, os.ErrNotExist)

	pc, err := net.ListenPacket("unixgram", path)
	guestcheck.Expect("net.ListenPacket unixgram", err, nil)
	cc, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	guestcheck.Expect("net.DialUnix unixgram", err, nil)
	cc.Write([]byte("datagram"))
	b := make([]byte, 64)
	pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _, err := pc.ReadFrom(b)
	guestcheck.Check("net unixgram", err == nil && string(b[:n]) == "datagram", "%v %q", err, b[:n])
	cc.Close()
	pc.Close()
	os.Remove(path)

	// HTTP over a Unix socket, as servers and their tests use it.
	hp := filepath.Join(dir, "http.sock")
	hl, err := net.Listen("unix", hp)
	guestcheck.Expect("listen for http", err, nil)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.URL.Path)
	})}
	go srv.Serve(hl)
	cl := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", hp)
	}}}
	var body []byte
	resp, err := cl.Get("http://unix/path")
	if err == nil {
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	guestcheck.Check("net/http over a Unix socket", err == nil && string(body) == "hello /path", "%v %q", err, body)
	srv.Close()
}

func unsafePointer(p *[2]byte) unsafe.Pointer { return unsafe.Pointer(p) }

const epollET = 1 << 31
