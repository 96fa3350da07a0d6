package netsvc

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"

	"github.com/gotoro/gotoro/internal/netctl"
)

// The /dev/netctl protocol, the service's side of kernel/netctl.go; the
// format is package internal/netctl's.

// Record operations, ioctl requests and sizes (internal/netctl).
const (
	opConnect  = netctl.OpConnect
	opUDPSend  = netctl.OpUDPSend
	opUDPBind  = netctl.OpUDPBind
	opUDPClose = netctl.OpUDPClose
	opUDPRecv  = netctl.OpUDPRecv

	ioctlNetCfg      = netctl.IoctlNetCfg
	ioctlPark        = netctl.IoctlPark
	ioctlAwaitNeed   = netctl.IoctlAwaitNeed
	ioctlStartFailed = netctl.IoctlStartFailed
	ioctlAccept      = netctl.IoctlAccept
	ioctlConnected   = netctl.IoctlConnected
	ioctlSetAddr     = netctl.IoctlSetAddr

	hdrLen    = netctl.HeaderLen
	maxRecord = netctl.MaxRecord
)

// record is one decoded kernel → service record.
type record struct {
	op uint16
	// opConnect: the descriptor of the service's end.
	fd int32
	// Ports and addresses: the guest's side (local), then the other
	// machine's (remote).
	lport, rport uint16
	laddr, raddr netip.Addr
	payload      []byte // opUDPSend; aliases the read buffer
}

// parseRecords splits a read from /dev/netctl into records.
func parseRecords(b []byte) ([]record, error) {
	var out []record
	for len(b) > 0 {
		if len(b) < hdrLen {
			return out, fmt.Errorf("netctl: %d bytes left, shorter than a record header", len(b))
		}
		op, l := netctl.ReadHeader(b)
		if l < hdrLen || l > len(b) {
			return out, fmt.Errorf("netctl: record length %d with %d bytes left", l, len(b))
		}
		r := record{op: op}
		rec := b[:l]
		switch op {
		case opConnect:
			if l < netctl.ConnectLen {
				return out, errors.New("netctl: short connect record")
			}
			var c netctl.Connect
			c.Get(rec)
			r.fd, r.lport, r.rport = c.FD, c.LPort, c.RPort
			r.laddr, r.raddr = addrFrom(c.LAddr), addrFrom(c.RAddr)
		case opUDPSend:
			if l < netctl.DatagramLen {
				return out, errors.New("netctl: short datagram record")
			}
			var d netctl.Datagram
			d.Get(rec)
			r.lport, r.rport = d.LPort, d.RPort
			r.laddr, r.raddr = addrFrom(d.LAddr), addrFrom(d.RAddr)
			r.payload = rec[netctl.DatagramLen:]
		case opUDPBind, opUDPClose:
			if l < netctl.PortLen {
				return out, errors.New("netctl: short port record")
			}
			r.lport = netctl.Port(rec)
		default:
			return out, fmt.Errorf("netctl: unknown record operation %d", op)
		}
		out = append(out, r)
		b = b[l:]
	}
	return out, nil
}

// addrFrom decodes a 16-byte address, unmapping IPv4.
func addrFrom(b [16]byte) netip.Addr {
	return netip.AddrFrom16(b).Unmap()
}

// addr16 encodes a as 16 bytes (IPv4 mapped; the zero Addr as ::).
func addr16(a netip.Addr) [16]byte {
	if !a.IsValid() {
		return [16]byte{}
	}
	return a.As16()
}

// appendUDPRecv appends an opUDPRecv record: payload arrived from
// raddr:rport for the guest's laddr:lport.
func appendUDPRecv(b []byte, lport, rport uint16, laddr, raddr netip.Addr, payload []byte) []byte {
	var h [netctl.DatagramLen]byte
	d := netctl.Datagram{LPort: lport, RPort: rport, LAddr: addr16(laddr), RAddr: addr16(raddr)}
	d.Put(h[:], opUDPRecv, len(payload))
	return append(append(b, h[:]...), payload...)
}

// acceptArg is the argument of ioctlAccept.
func acceptArg(lport, rport uint16, laddr, raddr netip.Addr) [netctl.AcceptLen]byte {
	var b [netctl.AcceptLen]byte
	a := netctl.Accept{LPort: lport, RPort: rport, LAddr: addr16(laddr), RAddr: addr16(raddr)}
	a.Put(b[:])
	return b
}

// connectedArg is the argument of ioctlConnected.
func connectedArg(fd int32, errno syscall.Errno) [netctl.ConnectedLen]byte {
	var b [netctl.ConnectedLen]byte
	c := netctl.Connected{FD: fd, Errno: int32(errno)}
	c.Put(b[:])
	return b
}

// netCfg is the interface configuration read from /dev/net0.
type netCfg struct {
	mac    [6]byte
	mtu    uint16
	prefix netip.Prefix // the guest's address and its network
	gw     netip.Addr
	dns    netip.Addr
	static bool // an address was given on the command line
}

// parseNetCfg decodes the ioctlNetCfg result.
func parseNetCfg(b [netctl.NetCfgLen]byte) netCfg {
	var w netctl.NetCfg
	w.Get(b[:])
	c := netCfg{mac: w.MAC, mtu: w.MTU, static: w.Static}
	ip := netip.AddrFrom4(w.IP)
	if p, err := ip.Prefix(int(w.Prefix)); err == nil && c.static {
		c.prefix = netip.PrefixFrom(ip, p.Bits())
	}
	if gw := netip.AddrFrom4(w.GW); !gw.IsUnspecified() {
		c.gw = gw
	}
	if d := netip.AddrFrom4(w.DNS); !d.IsUnspecified() {
		c.dns = d
	}
	if c.mtu == 0 {
		c.mtu = 1500
	}
	return c
}
