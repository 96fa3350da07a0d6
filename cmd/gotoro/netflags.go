package main

import (
	"flag"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	goimage "github.com/gotoro/gotoro/host/image"
	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/host/vsock"
	"github.com/gotoro/gotoro/internal/bootabi"
)

// portForward is one -p [HOSTADDR:]HOSTPORT:GUESTPORT[/tcp|/udp|/vsock].
type portForward struct {
	hostAddr  string // "" means 127.0.0.1
	hostPort  int
	guestPort int
	proto     string // "" (tcp, or vsock with -net none), "tcp", "udp", "vsock"
}

func (p portForward) String() string {
	s := strconv.Itoa(p.hostPort) + ":" + strconv.Itoa(p.guestPort)
	if p.hostAddr != "" {
		s = p.hostAddr + ":" + s
	}
	if p.proto != "" {
		s += "/" + p.proto
	}
	return s
}

// parsePortForward parses a -p value.
func parsePortForward(v string) (portForward, error) {
	var p portForward
	spec, proto, hasProto := strings.Cut(v, "/")
	if hasProto {
		switch proto {
		case "tcp", "udp", "vsock":
			p.proto = proto
		default:
			return p, fmt.Errorf("invalid -p %q: protocol %q is not tcp, udp or vsock", v, proto)
		}
	}
	i := strings.LastIndexByte(spec, ':')
	if i < 0 {
		return p, fmt.Errorf("invalid -p %q: want [HOSTADDR:]HOSTPORT:GUESTPORT[/tcp|/udp|/vsock]", v)
	}
	host, guest := spec[:i], spec[i+1:]
	if j := strings.LastIndexByte(host, ':'); j >= 0 {
		p.hostAddr, host = strings.Trim(host[:j], "[]"), host[j+1:]
		if p.hostAddr == "" {
			return p, fmt.Errorf("invalid -p %q: empty host address", v)
		}
	}
	hp, err := strconv.Atoi(host)
	if err != nil || hp < 1 || hp > 65535 {
		return p, fmt.Errorf("invalid -p %q: host port %q is not 1-65535", v, host)
	}
	max := 65535
	if p.proto == "vsock" {
		max = 1<<32 - 2
	}
	gp, err := strconv.Atoi(guest)
	if err != nil || gp < 1 || gp > max {
		return p, fmt.Errorf("invalid -p %q: guest port %q is not 1-%d", v, guest, max)
	}
	p.hostPort, p.guestPort = hp, gp
	return p, nil
}

// portsFlag collects repeated -p flags.
type portsFlag []portForward

func (f *portsFlag) String() string {
	var s []string
	for _, x := range *f {
		s = append(s, x.String())
	}
	return strings.Join(s, " ")
}

func (f *portsFlag) Set(v string) error {
	p, err := parsePortForward(v)
	if err != nil {
		return err
	}
	*f = append(*f, p)
	return nil
}

// networkFlag is -net.
type networkFlag qemu.Network

func (n *networkFlag) String() string { return string(*n) }

func (n *networkFlag) Set(v string) error {
	x, err := qemu.ParseNetwork(v)
	if err != nil {
		return err
	}
	*n = networkFlag(x)
	return nil
}

// netFlags are the port-forwarding flags of gotoro run; -net itself is a
// guest flag (guestFlags), shared by every command that boots a guest.
type netFlags struct {
	ports portsFlag
	// fwds are the forwards through the network device (/tcp, /udp),
	// set by apply.
	fwds []qemu.HostForward
}

func (n *netFlags) register(fs *flag.FlagSet) {
	fs.Var(&n.ports, "p", "forward `[HOSTADDR:]HOSTPORT:GUESTPORT[/tcp|/udp|/vsock]` (repeatable): by default over vsock into whatever listens on the guest port (a vsock or a TCP listener); /tcp and /udp go through the user network and the guest's TCP/IP stack; HOSTADDR defaults to 127.0.0.1")
}

// apply checks the forwards before anything starts (host ports included),
// hands vsock-bound ones to vf and keeps the others, which go through the
// network device (netDevices adds it once the image is known), in n.fwds.
func (n *netFlags) apply(vf *vsockFlags, mode networkFlag) error {
	var fwds []qemu.HostForward
	for _, p := range n.ports {
		proto := p.proto
		if proto == "" {
			proto = "vsock" // into a vsock or TCP listener (kernel/vsock_bridge.go)
		}
		if proto == "vsock" {
			addr := p.hostAddr
			if addr == "" {
				addr = "127.0.0.1"
			}
			f, err := vsock.ParseForward(fmt.Sprintf("%s:%d:%d", addr, p.hostPort, p.guestPort))
			if err != nil {
				return err
			}
			vf.forwards = append(vf.forwards, f)
			continue
		}
		if qemu.Network(mode) == qemu.NetNone {
			return fmt.Errorf("-p %s forwards to the guest's network, but -net none gives it none (use -net user, or /vsock)", p)
		}
		hf := qemu.HostForward{Proto: proto, HostAddr: p.hostAddr, HostPort: p.hostPort, GuestPort: p.guestPort}
		if err := hf.CheckFree(); err != nil {
			return err
		}
		fwds = append(fwds, hf)
	}
	n.fwds = fwds
	return nil
}

// netDevices returns the network device the guest booting image gets, with
// fwds going through it: always with -net user, with -net auto only if the
// program links the network service (an image from an older gotoro, which
// does not say, gets it too).
func netDevices(mode networkFlag, image string, fwds []qemu.HostForward) ([]qemu.Device, error) {
	links := true
	if bb, err := goimage.ReadBootBlock(image); err == nil {
		links = bb.Flags&bootabi.FlagNetwork != 0
	}
	switch qemu.Network(mode).Resolve(links) {
	case qemu.NetUser:
		return []qemu.Device{qemu.UserNetDevice(fwds)}, nil
	case qemu.NetNone:
		if len(fwds) > 0 {
			return nil, fmt.Errorf("-p %s goes through the guest's TCP/IP stack, which %s does not have: it does not use package net (forward over vsock instead: drop /%s)", fwds[0], filepath.Base(image), fwds[0].Proto)
		}
	}
	return nil, nil
}
