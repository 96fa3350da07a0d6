package qemu

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Guest networking. NetUser is QEMU's user-mode network (slirp): the
// guest is 10.0.2.15/24 behind a NAT whose gateway 10.0.2.2 is the host's
// loopback and whose DNS server 10.0.2.3 forwards to the host's resolver.
// Host ports reach guest ports through hostfwd rules. The kernel learns
// the addresses from its command line (net.ip, net.gw, net.dns).

// Network is a guest network mode.
type Network string

// Network modes.
const (
	NetNone Network = "none" // no network device: loopback only
	NetUser Network = "user" // QEMU user networking (slirp)
	// NetAuto is NetUser for a program that links the network service
	// (it uses package net) and NetNone for one that does not, which
	// would pay for a device and a QEMU backend it cannot use.
	NetAuto Network = "auto"
)

// ParseNetwork parses a -net value.
func ParseNetwork(s string) (Network, error) {
	switch Network(s) {
	case NetNone, NetUser, NetAuto:
		return Network(s), nil
	}
	return "", fmt.Errorf("unknown network %q: want auto (user networking if the program uses package net, the default), user (QEMU user networking) or none", s)
}

// Resolve returns the mode a guest gets: NetAuto becomes NetUser if the
// program links the network service, NetNone otherwise.
func (n Network) Resolve(linksNetwork bool) Network {
	if n != NetAuto {
		return n
	}
	if linksNetwork {
		return NetUser
	}
	return NetNone
}

// Addresses of QEMU user networking as gotoro configures it.
const (
	UserGuestIP = "10.0.2.15"
	UserGateway = "10.0.2.2"
	UserDNS     = "10.0.2.3"
	userNet     = "10.0.2.0/24"
	guestMAC    = "52:54:00:12:34:56"
)

// HostForward sends connections (or datagrams) to a host address and port
// on to a guest port.
type HostForward struct {
	Proto     string // "tcp" or "udp"
	HostAddr  string // "" means 127.0.0.1
	HostPort  int
	GuestPort int
}

func (f HostForward) hostAddr() string {
	if f.HostAddr == "" {
		return "127.0.0.1"
	}
	return f.HostAddr
}

// String renders f as -p takes it.
func (f HostForward) String() string {
	s := strconv.Itoa(f.HostPort) + ":" + strconv.Itoa(f.GuestPort)
	if f.HostAddr != "" {
		s = f.HostAddr + ":" + s
	}
	if f.Proto == "udp" {
		s += "/udp"
	}
	return s
}

// CheckFree reports an error naming the port if f's host port is taken.
func (f HostForward) CheckFree() error {
	addr := net.JoinHostPort(f.hostAddr(), strconv.Itoa(f.HostPort))
	if f.Proto == "udp" {
		c, err := net.ListenPacket("udp", addr)
		if err != nil {
			return fmt.Errorf("cannot forward host UDP port %s: %w", addr, err)
		}
		return c.Close()
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("cannot forward host TCP port %s: %w (is another program using it?)", addr, err)
	}
	return l.Close()
}

// UserNetDevice returns a virtio-net device on QEMU user networking with
// the given forwards.
func UserNetDevice(fwds []HostForward) Device {
	nd := "user,id=net0,net=" + userNet
	for _, f := range fwds {
		nd += fmt.Sprintf(",hostfwd=%s:%s:%d-:%d", f.Proto, f.hostAddr(), f.HostPort, f.GuestPort)
	}
	var names []string
	for _, f := range fwds {
		names = append(names, f.String())
	}
	name := "user network"
	if len(names) > 0 {
		name += " (forwarding " + strings.Join(names, ", ") + ")"
	}
	return Device{
		Name:    name,
		Args:    []string{"-netdev", nd, "-device", "virtio-net-device,netdev=net0,mac=" + guestMAC},
		Cmdline: " net.ip=" + UserGuestIP + "/24 net.gw=" + UserGateway + " net.dns=" + UserDNS,
	}
}
