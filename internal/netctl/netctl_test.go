package netctl

import (
	"bytes"
	"encoding/binary"
	"testing"
)

var (
	guest = [16]byte{10: 0xff, 11: 0xff, 12: 10, 13: 0, 14: 2, 15: 15}
	host  = [16]byte{10: 0xff, 11: 0xff, 12: 10, 13: 0, 14: 2, 15: 2}
)

// The byte layouts are the protocol: each record is checked against
// offsets written out here, then decoded back.
func TestConnect(t *testing.T) {
	c := Connect{FD: 7, Family: 2, LPort: 40000, RPort: 80, LAddr: guest, RAddr: host}
	b := make([]byte, ConnectLen)
	c.Put(b)
	want := make([]byte, ConnectLen)
	binary.LittleEndian.PutUint16(want[0:], OpConnect)
	binary.LittleEndian.PutUint32(want[4:], ConnectLen)
	binary.LittleEndian.PutUint32(want[8:], 7)
	binary.LittleEndian.PutUint16(want[12:], 2)
	binary.LittleEndian.PutUint16(want[14:], 40000)
	binary.LittleEndian.PutUint16(want[16:], 80)
	copy(want[20:], guest[:])
	copy(want[36:], host[:])
	if !bytes.Equal(b, want) {
		t.Fatalf("Put:\n% x\nwant\n% x", b, want)
	}
	var d Connect
	d.Get(b)
	if d != c {
		t.Errorf("Get = %+v, want %+v", d, c)
	}
	SetConnectFD(b, 12)
	if d.Get(b); d.FD != 12 || d.RPort != 80 {
		t.Errorf("after SetConnectFD: %+v", d)
	}
	if op, n := ReadHeader(b); op != OpConnect || n != ConnectLen {
		t.Errorf("ReadHeader = %d, %d", op, n)
	}
}

func TestDatagram(t *testing.T) {
	d := Datagram{LPort: 5353, RPort: 53, LAddr: guest, RAddr: host}
	b := make([]byte, DatagramLen)
	d.Put(b, OpUDPRecv, 6)
	if op, n := ReadHeader(b); op != OpUDPRecv || n != DatagramLen+6 {
		t.Errorf("header: %d, %d", op, n)
	}
	if binary.LittleEndian.Uint16(b[8:]) != 5353 || binary.LittleEndian.Uint16(b[10:]) != 53 ||
		!bytes.Equal(b[12:28], guest[:]) || !bytes.Equal(b[28:44], host[:]) {
		t.Errorf("layout % x", b)
	}
	var e Datagram
	e.Get(b)
	if e != d {
		t.Errorf("Get = %+v", e)
	}
}

func TestPort(t *testing.T) {
	b := make([]byte, PortLen)
	PutPort(b, OpUDPBind, 5173)
	if !bytes.Equal(b, []byte{OpUDPBind, 0, 0, 0, PortLen, 0, 0, 0, 0x35, 0x14, 0, 0}) || Port(b) != 5173 {
		t.Errorf("% x", b)
	}
}

func TestIoctlArgs(t *testing.T) {
	a := Accept{LPort: 80, RPort: 5555, LAddr: guest, RAddr: host}
	b := make([]byte, AcceptLen)
	for i := range b {
		b[i] = 0xAA // Put clears the padding
	}
	a.Put(b)
	if binary.LittleEndian.Uint16(b[0:]) != 80 || binary.LittleEndian.Uint16(b[2:]) != 5555 ||
		!bytes.Equal(b[4:8], []byte{0, 0, 0, 0}) || !bytes.Equal(b[8:24], guest[:]) || !bytes.Equal(b[24:40], host[:]) {
		t.Errorf("Accept % x", b)
	}
	var a2 Accept
	if a2.Get(b); a2 != a {
		t.Errorf("Accept.Get = %+v", a2)
	}
	c := Connected{FD: 9, Errno: 111}
	cb := make([]byte, ConnectedLen)
	c.Put(cb)
	var c2 Connected
	if c2.Get(cb); c2 != c || binary.LittleEndian.Uint32(cb[4:]) != 111 {
		t.Errorf("Connected % x", cb)
	}
	n := NetCfg{MAC: [6]byte{0x52, 0x54, 0, 0x12, 0x34, 0x56}, MTU: 1500, IP: [4]byte{10, 0, 2, 15},
		Prefix: 24, GW: [4]byte{10, 0, 2, 2}, DNS: [4]byte{10, 0, 2, 3}, Static: true}
	nb := make([]byte, NetCfgLen)
	n.Put(nb)
	if nb[5] != 0x56 || binary.LittleEndian.Uint16(nb[6:]) != 1500 || nb[11] != 15 || nb[12] != 24 ||
		nb[19] != 2 || nb[23] != 3 || nb[24] != 1 {
		t.Errorf("NetCfg % x", nb)
	}
	var n2 NetCfg
	if n2.Get(nb); n2 != n {
		t.Errorf("NetCfg.Get = %+v", n2)
	}
}

// The kernel encodes and decodes with this package: it must not allocate.
func TestNoAllocation(t *testing.T) {
	b := make([]byte, MaxRecord)
	n := testing.AllocsPerRun(100, func() {
		c := Connect{FD: 1, LAddr: guest}
		c.Put(b)
		c.Get(b)
		d := Datagram{LPort: 1}
		d.Put(b, OpUDPSend, 10)
		d.Get(b)
		PutPort(b, OpUDPClose, 1)
		var cfg NetCfg
		cfg.Put(b)
		cfg.Get(b)
	})
	if n != 0 {
		t.Errorf("%v allocations", n)
	}
}
