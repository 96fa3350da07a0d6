//go:build linux

package vsock

import (
	"errors"
	"syscall"
	"testing"
)

func TestAddr(t *testing.T) {
	for _, tc := range []struct {
		a    Addr
		want string
	}{
		{Addr{CID: HostCID, Port: 1234}, "vsock(2):1234"},
		{Addr{CID: 3, Port: 0xffffffff}, "vsock(3):4294967295"},
	} {
		if got := tc.a.String(); got != tc.want || tc.a.Network() != "vsock" {
			t.Errorf("%+v: %q, want %q", tc.a, got, tc.want)
		}
	}
	sa := newSockaddr(7, 99)
	if a := sa.addr(); *a != (Addr{CID: 7, Port: 99}) {
		t.Errorf("sockaddr round trip: %+v", a)
	}
}

// Hosted, without a vsock transport (no vhost-vsock module here), the
// calls fail cleanly with an error that names the operation.
func TestNoTransport(t *testing.T) {
	_, err := Dial(HostCID, 1)
	if err == nil {
		t.Skip("this host has a vsock transport")
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		t.Errorf("Dial error %v carries no errno", err)
	}
}
