package netsvc

import (
	"context"
	"errors"
	"io"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// dialTimeout bounds a connection attempt to another machine, as Linux's
// SYN retries do (about two minutes there).
const dialTimeout = 75 * time.Second

// acceptTCP handles a connection request from another machine: if a
// program listens on the port, the kernel gives the service its end of a
// new connection and the handshake completes; otherwise the peer gets a
// reset, as from Linux.
func (sv *service) acceptTCP(r *tcp.ForwarderRequest) {
	id := r.ID()
	laddr := addrOf(id.LocalAddress)
	raddr := addrOf(id.RemoteAddress)
	arg := acceptArg(id.LocalPort, id.RemotePort, laddr, raddr)
	fd, err := ioctlRet(sv.ctlFD, ioctlAccept, unsafe.Pointer(&arg))
	if err != nil {
		r.Complete(true)
		return
	}
	var wq waiter.Queue
	ep, terr := r.CreateEndpoint(&wq)
	if terr != nil {
		r.Complete(true)
		syscall.Close(fd)
		return
	}
	r.Complete(false)
	go splice(gonet.NewTCPConn(&wq, ep), ep, os.NewFile(uintptr(fd), "tcp"))
}

// connectTCP makes the connection a program asked for in rec and reports
// the outcome to the kernel.
func (sv *service) connectTCP(rec record) {
	f := os.NewFile(uintptr(rec.fd), "tcp")
	conn, ep, errno := sv.dial(rec)
	arg := connectedArg(rec.fd, errno)
	if err := ioctl(sv.ctlFD, ioctlConnected, unsafe.Pointer(&arg)); err != nil {
		logf("reporting a connection to %s:%d: %v", rec.raddr, rec.rport, err)
	}
	if conn == nil {
		f.Close()
		return
	}
	splice(conn, ep, f)
}

// dial connects from the guest's port rec.lport to rec.raddr:rec.rport.
func (sv *service) dial(rec record) (*gonet.TCPConn, tcpip.Endpoint, syscall.Errno) {
	if !rec.raddr.Is4() {
		return nil, nil, syscall.ENETUNREACH
	}
	var wq waiter.Queue
	ep, terr := sv.stack.NewEndpoint(tcp.ProtocolNumber, ipv4.ProtocolNumber, &wq)
	if terr != nil {
		return nil, nil, syscall.ENOBUFS
	}
	local := tcpip.FullAddress{NIC: nicID, Port: rec.lport}
	if rec.laddr.Is4() && !rec.laddr.IsUnspecified() {
		local.Addr = tcpip.AddrFrom4(rec.laddr.As4())
	}
	if terr := ep.Bind(local); terr != nil {
		ep.Close()
		return nil, nil, syscall.EADDRINUSE
	}
	we, ch := waiter.NewChannelEntry(waiter.WritableEvents)
	wq.EventRegister(&we)
	defer wq.EventUnregister(&we)
	terr = ep.Connect(tcpip.FullAddress{NIC: nicID, Addr: tcpip.AddrFrom4(rec.raddr.As4()), Port: rec.rport})
	if _, ok := terr.(*tcpip.ErrConnectStarted); ok {
		ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
		select {
		case <-ch:
			terr = ep.LastError()
		case <-ctx.Done():
			terr = &tcpip.ErrTimeout{}
		}
		cancel()
	}
	if terr != nil {
		ep.Close()
		return nil, nil, errnoOf(terr)
	}
	return gonet.NewTCPConn(&wq, ep), ep, 0
}

// errnoOf maps a stack error to what Linux's connect would report.
func errnoOf(e tcpip.Error) syscall.Errno {
	switch e.(type) {
	case *tcpip.ErrConnectionRefused:
		return syscall.ECONNREFUSED
	case *tcpip.ErrTimeout:
		return syscall.ETIMEDOUT
	case *tcpip.ErrNetworkUnreachable:
		return syscall.ENETUNREACH
	case *tcpip.ErrHostUnreachable:
		return syscall.EHOSTUNREACH
	case *tcpip.ErrConnectionReset:
		return syscall.ECONNRESET
	case *tcpip.ErrPortInUse:
		return syscall.EADDRINUSE
	}
	return syscall.ECONNREFUSED
}

func addrOf(a tcpip.Address) netip.Addr {
	if a.Len() == 4 {
		return netip.AddrFrom4(a.As4())
	}
	if a.Len() == 16 {
		return netip.AddrFrom16(a.As16())
	}
	return netip.Addr{}
}

// copyBufs are the buffers of the connection pumps.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// splice pumps a connection between the stack (c, endpoint ep) and the
// kernel socket that is the program's other end (f), in both directions,
// passing on half-closes, and closes both when neither direction has more
// to carry. Once the program has finished writing and the peer has
// acknowledged all of it and the FIN, it shuts f's reading side: that
// tells the kernel's exit (netLinger) that nothing of this connection
// can be lost any more.
func splice(c *gonet.TCPConn, ep tcpip.Endpoint, f *os.File) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		pump(f, c) // from the network to the program
		// The peer finished sending (or reset): the program reads EOF.
		if rc, err := f.SyscallConn(); err == nil {
			rc.Control(func(fd uintptr) { syscall.Shutdown(int(fd), syscall.SHUT_WR) })
		}
	}()
	if err := pump(c, f); err == nil { // from the program to the network
		c.CloseWrite()
		if awaitAcked(ep, done) {
			if rc, err := f.SyscallConn(); err == nil {
				rc.Control(func(fd uintptr) { syscall.Shutdown(int(fd), syscall.SHUT_RD) })
			}
		}
	}
	<-done
	c.Close()
	f.Close()
}

// pump copies src to dst until EOF or an error, which it returns (nil at
// EOF).
func pump(dst io.Writer, src io.Reader) error {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
