package main

import (
	"encoding/binary"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/internal/bootabi"
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
	// auto as the default, except for tests (none).
	rfs, ro := runFlagSet()
	tfs, to := testFlagSet()
	pfs, po := profFlagSet()
	for _, c := range []struct {
		name string
		set  func([]string) error
		gf   *guestFlags
		def  qemu.Network
	}{
		{"run", rfs.Parse, &ro.gf, qemu.NetAuto},
		{"test", func(a []string) error { return parseTestArgs(tfs, to, a) }, &to.gf, qemu.NetNone},
		{"prof", pfs.Parse, &po.gf, qemu.NetAuto},
	} {
		if qemu.Network(c.gf.net) != c.def {
			t.Errorf("%s: default -net %q, want %s", c.name, c.gf.net, c.def)
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

	netImage, plainImage := fakeImage(t, bootabi.FlagNetwork), fakeImage(t, 0)

	// -net user: /tcp and /udp become hostfwd rules, the rest vsock.
	nf, mode := parse("user", strconv.Itoa(tcp)+":80/tcp", strconv.Itoa(udp)+":53/udp", "7000:7/vsock", "7001:8")
	var vf vsockFlags
	if err := nf.apply(&vf, mode); err != nil {
		t.Fatal(err)
	}
	devs, err := netDevices(mode, netImage, nf.fwds)
	if err != nil || len(devs) != 1 {
		t.Fatalf("%d devices, %v; want the network device", len(devs), err)
	}
	args := strings.Join(devs[0].Args, " ")
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
	vf = vsockFlags{}
	if err := nf.apply(&vf, mode); err != nil || len(nf.fwds) != 0 || len(vf.forwards) != 1 {
		t.Errorf("-net none -p 7001:8: %v, network forwards %d, vsock forwards %d", err, len(nf.fwds), len(vf.forwards))
	}
	if devs, err := netDevices(mode, netImage, nil); err != nil || len(devs) != 0 {
		t.Errorf("-net none: %d devices, %v", len(devs), err)
	}
	nf, mode = parse("none", strconv.Itoa(tcp)+":80/tcp")
	if err := nf.apply(&vsockFlags{}, mode); err == nil || !strings.Contains(err.Error(), "-net none") {
		t.Errorf("-net none -p /tcp: %v, want an error", err)
	}

	// -net auto: the device only for a program that links the network
	// service; a /tcp forward into one that does not is an error saying
	// why, an image from an older gotoro gets the device as before.
	nf, mode = parse("auto", strconv.Itoa(tcp)+":80/tcp")
	if err := nf.apply(&vsockFlags{}, mode); err != nil {
		t.Fatal(err)
	}
	if devs, err := netDevices(mode, netImage, nf.fwds); err != nil || len(devs) != 1 {
		t.Errorf("-net auto, network program: %d devices, %v", len(devs), err)
	}
	if devs, err := netDevices(mode, plainImage, nil); err != nil || len(devs) != 0 {
		t.Errorf("-net auto, program without net: %d devices, %v", len(devs), err)
	}
	if _, err := netDevices(mode, plainImage, nf.fwds); err == nil || !strings.Contains(err.Error(), "package net") || !strings.Contains(err.Error(), "/tcp") {
		t.Errorf("-net auto -p /tcp, program without net: %v, want an error saying why", err)
	}
	if devs, err := netDevices(mode, oldImage(t), nil); err != nil || len(devs) != 1 {
		t.Errorf("-net auto, old image: %d devices, %v; want the device", len(devs), err)
	}
	if devs, err := netDevices("user", plainImage, nil); err != nil || len(devs) != 1 {
		t.Errorf("-net user, program without net: %d devices, %v; want the device asked for", len(devs), err)
	}

	// A busy host port is reported before QEMU starts, by number.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := l.Addr().(*net.TCPAddr).Port
	nf, mode = parse("user", strconv.Itoa(busy)+":80/tcp")
	err = nf.apply(&vsockFlags{}, mode)
	if err == nil || !strings.Contains(err.Error(), strconv.Itoa(busy)) {
		t.Errorf("busy host port %d: %v, want an error naming it", busy, err)
	}
}

// fakeImage writes a file holding only a boot block with flags.
func fakeImage(t *testing.T, flags uint64) string {
	t.Helper()
	b, err := binary.Append(make([]byte, 0x200), binary.LittleEndian, bootabi.BootBlock{Magic: bootabi.BootBlockMagic, Flags: flags})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "x.img")
	if err := os.WriteFile(p, append(b, make([]byte, 4096)...), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// oldImage writes a file holding only a boot block of the first layout.
func oldImage(t *testing.T) string {
	t.Helper()
	b := binary.LittleEndian.AppendUint64(make([]byte, 0x200), bootabi.OldBootBlockMagic)
	p := filepath.Join(t.TempDir(), "old.img")
	if err := os.WriteFile(p, append(b, make([]byte, 4096)...), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
