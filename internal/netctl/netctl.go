// Package netctl is the wire format between the guest kernel and the
// network service (package netsvc), the TCP/IP stack that runs as
// goroutines of the program: the records read from and written to
// /dev/netctl, the arguments of its ioctls, and the interface
// configuration /dev/net0 reports. The kernel (kernel/netctl.go,
// kernel/dev_net.go) and the service (netsvc/proto.go) both encode and
// decode with it, so the format is defined once.
//
// Kernel to service, by read(2): records of a Header and a body:
//
//	OpConnect   Connect: a program connects to RAddr:RPort from LPort; FD
//	            is the service's end of the connection, a stream socket
//	            descriptor the kernel installs as it hands the record over.
//	OpUDPSend   Datagram, then the payload: a datagram to send.
//	OpUDPBind   Port: listen for datagrams to a port.
//	OpUDPClose  Port: stop.
//
// Service to kernel, by write(2): OpUDPRecv records (Datagram, then the
// payload: the guest's port and address, then the sender's) carry
// arriving datagrams. ioctl(2) on /dev/netctl: IoctlAccept (an Accept:
// a connection from another machine; returns the service's end as a new
// descriptor, or ECONNREFUSED if no socket listens), IoctlConnected (a
// Connected: the outcome of an OpConnect), IoctlSetAddr (the guest's IPv4
// address, which then counts as local). ioctl on /dev/net0: IoctlNetCfg
// (a NetCfg); IoctlPark (no argument: the service will start on first
// need), IoctlAwaitNeed (no argument: blocks until a socket call needs
// another machine), IoctlStartFailed (the argument is the errno, by value,
// that the calls waiting for the service get).
//
// Integers are little-endian, ports in host byte order, addresses 16
// bytes (IPv6, or IPv4 mapped into ::ffff:0:0/96). Nothing here allocates:
// the kernel uses it.
package netctl

import "github.com/gotoro/gotoro/internal/byteorder"

// Record operations.
const (
	OpConnect  = 1 // kernel → service
	OpUDPSend  = 2 // kernel → service
	OpUDPBind  = 3 // kernel → service
	OpUDPClose = 4 // kernel → service
	OpUDPRecv  = 5 // service → kernel
)

// ioctl requests: on /dev/netctl, and IoctlNetCfg, IoctlPark,
// IoctlAwaitNeed and IoctlStartFailed on /dev/net0.
const (
	IoctlNetCfg      = 0x4E01
	IoctlPark        = 0x4E02
	IoctlAwaitNeed   = 0x4E03
	IoctlStartFailed = 0x4E04
	IoctlAccept      = 0x4E10
	IoctlConnected   = 0x4E11
	IoctlSetAddr     = 0x4E12
)

// Record and argument sizes in bytes, headers included.
const (
	HeaderLen     = 8
	ConnectLen    = HeaderLen + 44
	DatagramLen   = HeaderLen + 36 // before the payload
	PortLen       = HeaderLen + 4
	AcceptLen     = 40
	ConnectedLen  = 8
	NetCfgLen     = 32
	MaxUDPPayload = 65507
	// MaxRecord is the longest record: the largest datagram and its header.
	MaxRecord = DatagramLen + MaxUDPPayload
)

// PutHeader writes a record header for operation op and a record of n
// bytes, header included, into b.
func PutHeader(b []byte, op uint16, n int) {
	byteorder.LittleEndian.PutUint16(b[0:], op)
	byteorder.LittleEndian.PutUint16(b[2:], 0)
	byteorder.LittleEndian.PutUint32(b[4:], uint32(n))
}

// ReadHeader decodes the record header at the start of b: the operation
// and the record's length, header included.
func ReadHeader(b []byte) (op uint16, n int) {
	return byteorder.LittleEndian.Uint16(b[0:]), int(byteorder.LittleEndian.Uint32(b[4:]))
}

// Connect is the body of an OpConnect record.
type Connect struct {
	FD           int32
	Family       uint16 // AF_INET or AF_INET6 of the program's socket
	LPort, RPort uint16
	LAddr, RAddr [16]byte
}

// Put writes c as a whole record into b (ConnectLen bytes).
func (c *Connect) Put(b []byte) {
	PutHeader(b, OpConnect, ConnectLen)
	d := b[HeaderLen:ConnectLen]
	byteorder.LittleEndian.PutUint32(d[0:], uint32(c.FD))
	byteorder.LittleEndian.PutUint16(d[4:], c.Family)
	byteorder.LittleEndian.PutUint16(d[6:], c.LPort)
	byteorder.LittleEndian.PutUint16(d[8:], c.RPort)
	byteorder.LittleEndian.PutUint16(d[10:], 0)
	copy(d[12:28], c.LAddr[:])
	copy(d[28:44], c.RAddr[:])
}

// Get decodes the record in b (at least ConnectLen bytes).
func (c *Connect) Get(b []byte) {
	d := b[HeaderLen:ConnectLen]
	c.FD = int32(byteorder.LittleEndian.Uint32(d[0:]))
	c.Family = byteorder.LittleEndian.Uint16(d[4:])
	c.LPort = byteorder.LittleEndian.Uint16(d[6:])
	c.RPort = byteorder.LittleEndian.Uint16(d[8:])
	c.LAddr = [16]byte(d[12:28])
	c.RAddr = [16]byte(d[28:44])
}

// SetConnectFD replaces the descriptor of the OpConnect record in b.
func SetConnectFD(b []byte, fd int32) {
	byteorder.LittleEndian.PutUint32(b[HeaderLen:], uint32(fd))
}

// Datagram is the part of an OpUDPSend or OpUDPRecv record before the
// payload: the guest's port and address (L), then the other machine's (R).
type Datagram struct {
	LPort, RPort uint16
	LAddr, RAddr [16]byte
}

// Put writes the record's first DatagramLen bytes into b for operation op
// and a payload of n bytes.
func (d *Datagram) Put(b []byte, op uint16, n int) {
	PutHeader(b, op, DatagramLen+n)
	byteorder.LittleEndian.PutUint16(b[HeaderLen:], d.LPort)
	byteorder.LittleEndian.PutUint16(b[HeaderLen+2:], d.RPort)
	copy(b[HeaderLen+4:HeaderLen+20], d.LAddr[:])
	copy(b[HeaderLen+20:DatagramLen], d.RAddr[:])
}

// Get decodes the first DatagramLen bytes of the record in b.
func (d *Datagram) Get(b []byte) {
	d.LPort = byteorder.LittleEndian.Uint16(b[HeaderLen:])
	d.RPort = byteorder.LittleEndian.Uint16(b[HeaderLen+2:])
	d.LAddr = [16]byte(b[HeaderLen+4 : HeaderLen+20])
	d.RAddr = [16]byte(b[HeaderLen+20 : DatagramLen])
}

// PutPort writes an OpUDPBind or OpUDPClose record for port into b
// (PortLen bytes).
func PutPort(b []byte, op, port uint16) {
	PutHeader(b, op, PortLen)
	byteorder.LittleEndian.PutUint16(b[HeaderLen:], port)
	byteorder.LittleEndian.PutUint16(b[HeaderLen+2:], 0)
}

// Port decodes the port of an OpUDPBind or OpUDPClose record.
func Port(b []byte) uint16 { return byteorder.LittleEndian.Uint16(b[HeaderLen:]) }

// Accept is the argument of IoctlAccept: a connection from RAddr:RPort to
// the guest's LAddr:LPort.
type Accept struct {
	LPort, RPort uint16
	LAddr, RAddr [16]byte
}

// Put writes a into b (AcceptLen bytes).
func (a *Accept) Put(b []byte) {
	clear(b[:AcceptLen])
	byteorder.LittleEndian.PutUint16(b[0:], a.LPort)
	byteorder.LittleEndian.PutUint16(b[2:], a.RPort)
	copy(b[8:24], a.LAddr[:])
	copy(b[24:40], a.RAddr[:])
}

// Get decodes b (AcceptLen bytes).
func (a *Accept) Get(b []byte) {
	a.LPort = byteorder.LittleEndian.Uint16(b[0:])
	a.RPort = byteorder.LittleEndian.Uint16(b[2:])
	a.LAddr = [16]byte(b[8:24])
	a.RAddr = [16]byte(b[24:40])
}

// Connected is the argument of IoctlConnected: the service's end of an
// OpConnect connection and the errno of its outcome (0: connected).
type Connected struct {
	FD, Errno int32
}

// Put writes c into b (ConnectedLen bytes).
func (c *Connected) Put(b []byte) {
	byteorder.LittleEndian.PutUint32(b[0:], uint32(c.FD))
	byteorder.LittleEndian.PutUint32(b[4:], uint32(c.Errno))
}

// Get decodes b (ConnectedLen bytes).
func (c *Connected) Get(b []byte) {
	c.FD = int32(byteorder.LittleEndian.Uint32(b[0:]))
	c.Errno = int32(byteorder.LittleEndian.Uint32(b[4:]))
}

// NetCfg is what IoctlNetCfg on /dev/net0 reports: the device's address
// and the interface configuration from the kernel command line.
type NetCfg struct {
	MAC    [6]byte
	MTU    uint16
	IP     [4]byte // the guest's address, if Static
	Prefix uint8   // its network's prefix length
	GW     [4]byte // the default gateway, or zero
	DNS    [4]byte // the name server, or zero
	Static bool    // an address was given on the command line
}

// Put writes c into b (NetCfgLen bytes).
func (c *NetCfg) Put(b []byte) {
	clear(b[:NetCfgLen])
	copy(b[0:6], c.MAC[:])
	byteorder.LittleEndian.PutUint16(b[6:], c.MTU)
	copy(b[8:12], c.IP[:])
	b[12] = c.Prefix
	copy(b[16:20], c.GW[:])
	copy(b[20:24], c.DNS[:])
	if c.Static {
		b[24] = 1
	}
}

// Get decodes b (NetCfgLen bytes).
func (c *NetCfg) Get(b []byte) {
	copy(c.MAC[:], b[0:6])
	c.MTU = byteorder.LittleEndian.Uint16(b[6:])
	c.IP = [4]byte(b[8:12])
	c.Prefix = b[12]
	c.GW = [4]byte(b[16:20])
	c.DNS = [4]byte(b[20:24])
	c.Static = byteorder.LittleEndian.Uint32(b[24:])&1 != 0
}
