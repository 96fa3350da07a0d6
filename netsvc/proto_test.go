package netsvc

import (
	"encoding/binary"
	"net/netip"
	"syscall"
	"testing"

	"github.com/gotoro/gotoro/internal/netctl"
)

func rec(op uint16, body []byte) []byte {
	h := make([]byte, hdrLen, hdrLen+len(body))
	binary.LittleEndian.PutUint16(h, op)
	binary.LittleEndian.PutUint32(h[4:], uint32(hdrLen+len(body)))
	return append(h, body...)
}

func TestParseRecords(t *testing.T) {
	guest := netip.MustParseAddr("10.0.2.15")
	host := netip.MustParseAddr("10.0.2.2")
	g, h := addr16(guest), addr16(host)

	connect := make([]byte, 44)
	binary.LittleEndian.PutUint32(connect, 7)
	binary.LittleEndian.PutUint16(connect[4:], 2)
	binary.LittleEndian.PutUint16(connect[6:], 40000)
	binary.LittleEndian.PutUint16(connect[8:], 80)
	copy(connect[12:], g[:])
	copy(connect[28:], h[:])

	send := make([]byte, 36, 40)
	binary.LittleEndian.PutUint16(send, 5353)
	binary.LittleEndian.PutUint16(send[2:], 53)
	copy(send[4:], g[:])
	copy(send[20:], h[:])
	send = append(send, "dns?"...)

	port := []byte{0x35, 0x14, 0, 0} // 5173
	var b []byte
	b = append(b, rec(opConnect, connect)...)
	b = append(b, rec(opUDPSend, send)...)
	b = append(b, rec(opUDPBind, port)...)
	b = append(b, rec(opUDPClose, port)...)
	rs, err := parseRecords(b)
	if err != nil || len(rs) != 4 {
		t.Fatalf("%d records, %v", len(rs), err)
	}
	if r := rs[0]; r.op != opConnect || r.fd != 7 || r.lport != 40000 || r.rport != 80 || r.laddr != guest || r.raddr != host {
		t.Errorf("connect: %+v", r)
	}
	if r := rs[1]; r.op != opUDPSend || r.lport != 5353 || r.rport != 53 || r.raddr != host || string(r.payload) != "dns?" {
		t.Errorf("datagram: %+v", r)
	}
	if rs[2].op != opUDPBind || rs[2].lport != 5173 || rs[3].op != opUDPClose || rs[3].lport != 5173 {
		t.Errorf("ports: %+v %+v", rs[2], rs[3])
	}
}

func TestParseRecordsErrors(t *testing.T) {
	for name, b := range map[string][]byte{
		"short header":   {1, 0, 0},
		"length too big": rec(opUDPBind, []byte{1, 2, 3, 4})[:10],
		"short connect":  rec(opConnect, make([]byte, 10)),
		"unknown op":     rec(99, nil),
	} {
		if _, err := parseRecords(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestUDPRecvRecord(t *testing.T) {
	guest, host := netip.MustParseAddr("10.0.2.15"), netip.MustParseAddr("10.0.2.3")
	b := appendUDPRecv(nil, 5353, 53, guest, host, []byte("answer"))
	if len(b) != netctl.DatagramLen+6 || binary.LittleEndian.Uint16(b) != opUDPRecv || binary.LittleEndian.Uint32(b[4:]) != uint32(len(b)) {
		t.Fatalf("header % x", b[:hdrLen])
	}
	if binary.LittleEndian.Uint16(b[hdrLen:]) != 5353 || binary.LittleEndian.Uint16(b[hdrLen+2:]) != 53 {
		t.Errorf("ports % x", b[hdrLen:hdrLen+4])
	}
	if addrFrom([16]byte(b[hdrLen+4:hdrLen+20])) != guest || addrFrom([16]byte(b[hdrLen+20:hdrLen+36])) != host || string(b[netctl.DatagramLen:]) != "answer" {
		t.Errorf("record % x", b)
	}
}

func TestParseNetCfg(t *testing.T) {
	var b [32]byte
	copy(b[:], []byte{0x52, 0x54, 0, 0x12, 0x34, 0x56})
	binary.LittleEndian.PutUint16(b[6:], 1500)
	copy(b[8:], []byte{10, 0, 2, 15})
	b[12] = 24
	copy(b[16:], []byte{10, 0, 2, 2})
	copy(b[20:], []byte{10, 0, 2, 3})
	b[24] = 1
	c := parseNetCfg(b)
	if c.prefix != netip.MustParsePrefix("10.0.2.15/24") || c.gw != netip.MustParseAddr("10.0.2.2") ||
		c.dns != netip.MustParseAddr("10.0.2.3") || c.mtu != 1500 || !c.static || c.mac[5] != 0x56 {
		t.Errorf("%+v", c)
	}
	b[24] = 0 // no address on the command line
	if c := parseNetCfg(b); c.prefix.IsValid() || c.static {
		t.Errorf("unconfigured: %+v", c)
	}
}

func TestAcceptArg(t *testing.T) {
	a := acceptArg(80, 5555, netip.MustParseAddr("10.0.2.15"), netip.MustParseAddr("10.0.2.2"))
	if binary.LittleEndian.Uint16(a[0:]) != 80 || binary.LittleEndian.Uint16(a[2:]) != 5555 ||
		addrFrom([16]byte(a[8:24])) != netip.MustParseAddr("10.0.2.15") || addrFrom([16]byte(a[24:40])) != netip.MustParseAddr("10.0.2.2") {
		t.Errorf("% x", a)
	}
	if z := addr16(netip.Addr{}); z != [16]byte{} {
		t.Errorf("zero address % x", z)
	}
}

func TestConnectedArg(t *testing.T) {
	a := connectedArg(9, syscall.ECONNREFUSED)
	if binary.LittleEndian.Uint32(a[0:]) != 9 || binary.LittleEndian.Uint32(a[4:]) != uint32(syscall.ECONNREFUSED) {
		t.Errorf("% x", a)
	}
}
