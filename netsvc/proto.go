package netsvc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// The /dev/netctl protocol, the service's side of kernel/netctl.go.
// Records are an 8-byte header (operation uint16, zero uint16, length
// uint32 including the header) and a body; integers are little-endian,
// ports in host order, addresses 16 bytes (IPv6 or IPv4-mapped).

// Record operations.
const (
	opConnect  = 1 // kernel → service: a program connects out
	opUDPSend  = 2 // kernel → service: a datagram to send
	opUDPBind  = 3 // kernel → service: listen for datagrams on a port
	opUDPClose = 4 // kernel → service: stop listening on a port
	opUDPRecv  = 5 // service → kernel: a datagram arrived
)

// ioctl requests on /dev/netctl and /dev/net0.
const (
	ioctlNetCfg    = 0x4E01 // /dev/net0: the interface configuration
	ioctlAccept    = 0x4E10
	ioctlConnected = 0x4E11
	ioctlSetAddr   = 0x4E12
)

const (
	hdrLen     = 8
	connectLen = hdrLen + 44
	udpHdrLen  = hdrLen + 36
	portLen    = hdrLen + 4
	// maxRecord is the longest record: a 65507-byte datagram and its header.
	maxRecord = udpHdrLen + 65507
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
		op := binary.LittleEndian.Uint16(b)
		l := int(binary.LittleEndian.Uint32(b[4:]))
		if l < hdrLen || l > len(b) {
			return out, fmt.Errorf("netctl: record length %d with %d bytes left", l, len(b))
		}
		r := record{op: op}
		body := b[hdrLen:l]
		switch op {
		case opConnect:
			if len(body) < 44 {
				return out, errors.New("netctl: short connect record")
			}
			r.fd = int32(binary.LittleEndian.Uint32(body))
			r.lport = binary.LittleEndian.Uint16(body[6:])
			r.rport = binary.LittleEndian.Uint16(body[8:])
			r.laddr = addrFrom(body[12:28])
			r.raddr = addrFrom(body[28:44])
		case opUDPSend:
			if len(body) < 36 {
				return out, errors.New("netctl: short datagram record")
			}
			r.lport = binary.LittleEndian.Uint16(body)
			r.rport = binary.LittleEndian.Uint16(body[2:])
			r.laddr = addrFrom(body[4:20])
			r.raddr = addrFrom(body[20:36])
			r.payload = body[36:]
		case opUDPBind, opUDPClose:
			if len(body) < 4 {
				return out, errors.New("netctl: short port record")
			}
			r.lport = binary.LittleEndian.Uint16(body)
		default:
			return out, fmt.Errorf("netctl: unknown record operation %d", op)
		}
		out = append(out, r)
		b = b[l:]
	}
	return out, nil
}

// addrFrom decodes a 16-byte address, unmapping IPv4.
func addrFrom(b []byte) netip.Addr {
	return netip.AddrFrom16([16]byte(b)).Unmap()
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
	var h [udpHdrLen]byte
	binary.LittleEndian.PutUint16(h[0:], opUDPRecv)
	binary.LittleEndian.PutUint32(h[4:], uint32(udpHdrLen+len(payload)))
	binary.LittleEndian.PutUint16(h[hdrLen:], lport)
	binary.LittleEndian.PutUint16(h[hdrLen+2:], rport)
	l, r := addr16(laddr), addr16(raddr)
	copy(h[hdrLen+4:], l[:])
	copy(h[hdrLen+20:], r[:])
	return append(append(b, h[:]...), payload...)
}

// acceptArg is the argument of ioctlAccept.
func acceptArg(lport, rport uint16, laddr, raddr netip.Addr) [40]byte {
	var a [40]byte
	binary.LittleEndian.PutUint16(a[0:], lport)
	binary.LittleEndian.PutUint16(a[2:], rport)
	l, r := addr16(laddr), addr16(raddr)
	copy(a[8:], l[:])
	copy(a[24:], r[:])
	return a
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

// parseNetCfg decodes the 32-byte ioctlNetCfg result.
func parseNetCfg(b [32]byte) netCfg {
	c := netCfg{mtu: binary.LittleEndian.Uint16(b[6:])}
	copy(c.mac[:], b[0:6])
	c.static = binary.LittleEndian.Uint32(b[24:])&1 != 0
	ip := netip.AddrFrom4([4]byte(b[8:12]))
	if p, err := ip.Prefix(int(b[12])); err == nil && c.static {
		c.prefix = netip.PrefixFrom(ip, p.Bits())
	}
	if gw := netip.AddrFrom4([4]byte(b[16:20])); !gw.IsUnspecified() {
		c.gw = gw
	}
	if d := netip.AddrFrom4([4]byte(b[20:24])); !d.IsUnspecified() {
		c.dns = d
	}
	if c.mtu == 0 {
		c.mtu = 1500
	}
	return c
}
