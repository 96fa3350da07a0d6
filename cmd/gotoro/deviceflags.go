package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/gotoro/gotoro/host/qemu"
)

// diskFlag is one -disk FILE[:ro].
type diskFlag struct {
	path     string
	readOnly bool
}

// disksFlag collects repeated -disk flags.
type disksFlag []diskFlag

func (d *disksFlag) String() string {
	var s []string
	for _, x := range *d {
		v := x.path
		if x.readOnly {
			v += ":ro"
		}
		s = append(s, v)
	}
	return strings.Join(s, " ")
}

func (d *disksFlag) Set(v string) error {
	x := diskFlag{path: v}
	if p, ok := strings.CutSuffix(v, ":ro"); ok {
		x = diskFlag{path: p, readOnly: true}
	}
	if x.path == "" {
		return fmt.Errorf("want FILE[:ro], got %q", v)
	}
	*d = append(*d, x)
	return nil
}

// consoleFlag is the -console flag.
type consoleFlag qemu.Console

func (c *consoleFlag) String() string { return string(*c) }

func (c *consoleFlag) Set(v string) error {
	x, err := qemu.ParseConsole(v)
	if err != nil {
		return err
	}
	*c = consoleFlag(x)
	return nil
}

// sharesFlag collects repeated -fs HOSTDIR:GUESTDIR[:ro] flags.
type sharesFlag []qemu.Share

func (s *sharesFlag) String() string {
	var v []string
	for _, x := range *s {
		e := x.HostDir + ":" + x.GuestDir
		if x.ReadOnly {
			e += ":ro"
		}
		v = append(v, e)
	}
	return strings.Join(v, " ")
}

func (s *sharesFlag) Set(v string) error {
	x, err := qemu.ParseShare(v)
	if err != nil {
		return err
	}
	*s = append(*s, x)
	return nil
}

// deviceFlags are the flags of gotoro run that add devices to the guest.
type deviceFlags struct {
	shares  sharesFlag
	disks   disksFlag
	console consoleFlag
	poll    bool
}

func (d *deviceFlags) register(fs *flag.FlagSet) {
	d.console = consoleFlag(qemu.ConsoleSerial)
	fs.Var(&d.shares, "fs", "share the host directory `HOSTDIR:GUESTDIR[:ro]` with the guest through virtio-fs (repeatable)")
	fs.Var(&d.disks, "disk", "attach the raw disk image `FILE[:ro]` as /dev/vda, /dev/vdb… (repeatable)")
	fs.Var(&d.console, "console", "guest console: serial or virtio")
	fs.BoolVar(&d.poll, "virtio-poll", false, "the kernel polls virtio devices instead of taking interrupts")
}

// apply adds the devices to cfg and tells the guest about them in g.
func (d *deviceFlags) apply(cfg *qemu.Config, g *qemu.Guest) error {
	for i, x := range d.disks {
		dev, err := qemu.DiskDevice(i, x.path, x.readOnly)
		if err != nil {
			return err
		}
		cfg.Devices = append(cfg.Devices, dev)
	}
	for i, sh := range d.shares {
		dev, err := qemu.FSDevice(i, sh, "")
		if err != nil {
			return err
		}
		cfg.Devices = append(cfg.Devices, dev)
	}
	g.Shares = d.shares
	cfg.Console = qemu.Console(d.console)
	g.Console = cfg.Console
	g.PollDevices = d.poll
	return nil
}
