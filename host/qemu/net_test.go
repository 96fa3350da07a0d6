package qemu

import (
	"net"
	"strconv"
	"strings"
	"testing"
)

func TestParseNetwork(t *testing.T) {
	for _, s := range []string{"user", "none", "auto"} {
		if n, err := ParseNetwork(s); err != nil || string(n) != s {
			t.Errorf("ParseNetwork(%q) = %q, %v", s, n, err)
		}
	}
	_, err := ParseNetwork("tap")
	if err == nil || !strings.Contains(err.Error(), `"tap"`) || !strings.Contains(err.Error(), "user") || !strings.Contains(err.Error(), "none") || !strings.Contains(err.Error(), "auto") {
		t.Errorf("ParseNetwork(tap): %v, want an error naming the value and the choices", err)
	}
}

func TestNetworkResolve(t *testing.T) {
	for _, c := range []struct {
		n     Network
		links bool
		want  Network
	}{
		{NetAuto, true, NetUser},
		{NetAuto, false, NetNone},
		{NetUser, false, NetUser},
		{NetNone, true, NetNone},
	} {
		if got := c.n.Resolve(c.links); got != c.want {
			t.Errorf("%s.Resolve(%v) = %s, want %s", c.n, c.links, got, c.want)
		}
	}
}

func TestUserNetArgs(t *testing.T) {
	dev := UserNetDevice([]HostForward{
		{Proto: "tcp", HostPort: 8080, GuestPort: 80},
		{Proto: "udp", HostAddr: "0.0.0.0", HostPort: 5353, GuestPort: 53},
	})
	cfg, err := Config{Image: "x", Cmdline: "arg=x", Devices: []Device{dev}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(args(cfg, AccelTCG), " ")
	for _, want := range []string{
		"-netdev user,id=net0,net=10.0.2.0/24,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=udp:0.0.0.0:5353-:53 ",
		"-device virtio-net-device,netdev=net0,mac=52:54:00:12:34:56 ",
		"virtio_mmio.device=512@0xfeb02e00:47 net.ip=10.0.2.15/24 net.gw=10.0.2.2 net.dns=10.0.2.3",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("args lack %q:\n%s", want, got)
		}
	}
	if !strings.Contains(dev.Name, "8080:80") || !strings.Contains(dev.Name, "0.0.0.0:5353:53/udp") {
		t.Errorf("device name %q does not list the forwards", dev.Name)
	}

	// The zero Config has no network.
	cfg, _ = Config{Image: "x"}.withDefaults()
	if got := strings.Join(args(cfg, AccelTCG), " "); strings.Contains(got, "netdev") || strings.Contains(got, "net.ip") {
		t.Errorf("a Config without devices has a network: %s", got)
	}
}

func TestHostForwardCheckFree(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	f := HostForward{Proto: "tcp", HostPort: port, GuestPort: 80}
	err = f.CheckFree()
	if err == nil || !strings.Contains(err.Error(), strconv.Itoa(port)) {
		t.Errorf("CheckFree of a busy port: %v, want an error naming port %d", err, port)
	}
	l.Close()
	if err := f.CheckFree(); err != nil {
		t.Errorf("CheckFree of a free port: %v", err)
	}

	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	uport := c.LocalAddr().(*net.UDPAddr).Port
	err = HostForward{Proto: "udp", HostPort: uport, GuestPort: 53}.CheckFree()
	if err == nil || !strings.Contains(err.Error(), strconv.Itoa(uport)) {
		t.Errorf("CheckFree of a busy UDP port: %v, want an error naming port %d", err, uport)
	}
}
