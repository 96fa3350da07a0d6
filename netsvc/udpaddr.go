package netsvc

import (
	"net"

	"gvisor.dev/gvisor/pkg/tcpip"
)

func fullToUDP(a tcpip.FullAddress) *net.UDPAddr {
	return &net.UDPAddr{IP: net.IP(a.Addr.AsSlice()), Port: int(a.Port)}
}

func fromAddr(a net.Addr) []byte {
	if u, ok := a.(*net.UDPAddr); ok {
		return u.IP
	}
	return nil
}

func fromPort(a net.Addr) int {
	if u, ok := a.(*net.UDPAddr); ok {
		return u.Port
	}
	return 0
}
