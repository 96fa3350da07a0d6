package boottest

import (
	"strings"
	"testing"

	"github.com/gotoro/gotoro/host/qemu"
)

// TestNetctl plays the network service against the kernel's /dev/netctl
// with raw system calls: connections out (made, refused, blocking),
// connections in, datagrams both ways, and the service going away. It
// needs no network device.
func TestNetctl(t *testing.T) {
	forCores(t, []int{1, 2}, func(t *testing.T, cpus int) {
		out, res := boot(t, "netctl", bootOpts{cpus: cpus})
		wantExit(t, out, res, 0)
		if !strings.Contains(out, "netctl ok") {
			t.Errorf("unexpected output:\n%s", out)
		}
	})
}

// TestNetDevice checks /dev/net0 on QEMU user networking with raw system
// calls: the interface configuration from the command line, frame length
// limits, epoll, an ARP exchange with slirp's gateway, blocking and
// truncating reads, /etc/resolv.conf, with interrupts and with polling;
// and, without a network device, ENODEV.
func TestNetDevice(t *testing.T) {
	forCores(t, []int{1, 2}, func(t *testing.T, cpus int) {
		out, res := boot(t, "netdev", bootOpts{cpus: cpus, devices: []qemu.Device{qemu.UserNetDevice(nil)}})
		wantExit(t, out, res, 0)
		if !strings.Contains(out, "netdev ok") {
			t.Errorf("unexpected output:\n%s", out)
		}
	})
	t.Run("poll", func(t *testing.T) {
		t.Parallel()
		out, res := boot(t, "netdev", bootOpts{poll: true, devices: []qemu.Device{qemu.UserNetDevice(nil)}})
		wantExit(t, out, res, 0)
		if !strings.Contains(out, "netdev ok") {
			t.Errorf("unexpected output:\n%s", out)
		}
	})
	t.Run("none", func(t *testing.T) {
		t.Parallel()
		out, res := boot(t, "netdev", bootOpts{args: []string{"none"}})
		wantExit(t, out, res, 0)
		if !strings.Contains(out, "netdev none ok") {
			t.Errorf("unexpected output:\n%s", out)
		}
	})
}
