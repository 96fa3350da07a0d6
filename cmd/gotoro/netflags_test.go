package main

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/gotoro/gotoro/host/qemu"
)

func TestParsePortForward(t *testing.T) {
	for _, c := range []struct {
		in   string
		want portForward
	}{
		{"8080:80", portForward{hostPort: 8080, guestPort: 80}},
		{"8080:80/tcp", portForward{hostPort: 8080, guestPort: 80, proto: "tcp"}},
		{"5353:53/udp", portForward{hostPort: 5353, guestPort: 53, proto: "udp"}},
		{"0.0.0.0:8080:80", portForward{hostAddr: "0.0.0.0", hostPort: 8080, guestPort: 80}},
		{"[::1]:8080:80/tcp", portForward{hostAddr: "::1", hostPort: 8080, guestPort: 80, proto: "tcp"}},
		{"9000:4000000000/vsock", portForward{hostPort: 9000, guestPort: 4000000000, proto: "vsock"}},
	} {
		got, err := parsePortForward(c.in)
		if err != nil || got != c.want {
			t.Errorf("parsePortForward(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"80", "x:80", "8080:x", "0:80", "70000:80", "8080:0", "8080:70000", "8080:70000/udp",
		"8080:80/sctp", ":8080:80", "8080:80/"} {
		_, err := parsePortForward(in)
		if err == nil || !strings.Contains(err.Error(), in) {
			t.Errorf("parsePortForward(%q): %v, want an error quoting the value", in, err)
		}
	}
}

func TestNetFlagEverywhere(t *testing.T) {
	// -net is a guest flag: every command that boots a guest has it, with
	// user as the default.
	rfs, ro := runFlagSet()
	tfs, to := testFlagSet()
	pfs, po := profFlagSet()
	for _, c := range []struct {
		name string
		set  func([]string) error
		gf   *guestFlags
	}{
		{"run", rfs.Parse, &ro.gf},
		{"test", func(a []string) error { return parseTestArgs(tfs, to, a) }, &to.gf},
		{"prof", pfs.Parse, &po.gf},
	} {
		if qemu.Network(c.gf.net) != qemu.NetUser {
			t.Errorf("%s: default -net %q, want user", c.name, c.gf.net)
		}
		if err := c.set([]string{"-net", "none", "x"}); err != nil || qemu.Network(c.gf.net) != qemu.NetNone {
			t.Errorf("%s -net none: %v, network %q", c.name, err, c.gf.net)
		}
	}
	fs, _ := runFlagSet()
	fs.SetOutput(&strings.Builder{})
	err := fs.Parse([]string{"-net", "foo", "x"})
	if err == nil || !strings.Contains(err.Error(), `"foo"`) || !strings.Contains(err.Error(), "user") || !strings.Contains(err.Error(), "none") {
		t.Errorf("-net foo: %v, want an error naming the value and the choices", err)
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestNetFlagsApply(t *testing.T) {
	tcp, udp := freePort(t), freePort(t)
	parse := func(mode string, ports ...string) (*netFlags, networkFlag) {
		t.Helper()
		var nf netFlags
		for _, p := range ports {
			if err := nf.ports.Set(p); err != nil {
				t.Fatal(err)
			}
		}
		return &nf, networkFlag(mode)
	}

	// -net user: /tcp and /udp become hostfwd rules, the rest vsock.
	nf, mode := parse("user", strconv.Itoa(tcp)+":80/tcp", strconv.Itoa(udp)+":53/udp", "7000:7/vsock", "7001:8")
	var cfg qemu.Config
	var vf vsockFlags
	if err := nf.apply(&cfg, &vf, mode); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Devices) != 1 {
		t.Fatalf("%d devices, want the network device", len(cfg.Devices))
	}
	args := strings.Join(cfg.Devices[0].Args, " ")
	for _, want := range []string{
		"hostfwd=tcp:127.0.0.1:" + strconv.Itoa(tcp) + "-:80",
		"hostfwd=udp:127.0.0.1:" + strconv.Itoa(udp) + "-:53",
	} {
		if !strings.Contains(args, want) {
			t.Errorf("device args lack %q: %s", want, args)
		}
	}
	if strings.Contains(args, "7000") || strings.Contains(args, "7001") {
		t.Errorf("vsock forwards went to the network device: %s", args)
	}
	if len(vf.forwards) != 2 {
		t.Errorf("vsock forwards %+v, want 7000 and 7001", vf.forwards)
	}

	// -net none: no device; unsuffixed forwards still go over vsock, but
	// /tcp has no network to go through.
	nf, mode = parse("none", "7001:8")
	cfg, vf = qemu.Config{}, vsockFlags{}
	if err := nf.apply(&cfg, &vf, mode); err != nil || len(cfg.Devices) != 0 || len(vf.forwards) != 1 {
		t.Errorf("-net none -p 7001:8: %v, devices %d, vsock forwards %d", err, len(cfg.Devices), len(vf.forwards))
	}
	nf, mode = parse("none", strconv.Itoa(tcp)+":80/tcp")
	if err := nf.apply(&qemu.Config{}, &vsockFlags{}, mode); err == nil || !strings.Contains(err.Error(), "-net none") {
		t.Errorf("-net none -p /tcp: %v, want an error", err)
	}

	// A busy host port is reported before QEMU starts, by number.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := l.Addr().(*net.TCPAddr).Port
	nf, mode = parse("user", strconv.Itoa(busy)+":80/tcp")
	err = nf.apply(&qemu.Config{}, &vsockFlags{}, mode)
	if err == nil || !strings.Contains(err.Error(), strconv.Itoa(busy)) {
		t.Errorf("busy host port %d: %v, want an error naming it", busy, err)
	}
}
