package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/host/vsock"
)

// vsockFlags are the flags of gotoro run that give the guest a vsock
// device. The device exists when any of them is set.
type vsockFlags struct {
	fs  *flag.FlagSet
	cid uint64
	// forwards are the -p forwards that go to vsock ports (netflags.go).
	forwards []vsock.Forward
	uds      string
}

// defaultCID is the guest's context ID unless -cid says otherwise.
const defaultCID = 3

func (v *vsockFlags) register(fs *flag.FlagSet) {
	v.fs = fs
	fs.Uint64Var(&v.cid, "cid", defaultCID, "give the guest a vsock device with context ID `N`")
	fs.StringVar(&v.uds, "vsock-uds", "", "vsock Unix socket `PATH`: host programs connect to it and send \"CONNECT <port>\\n\"; guest connections to host port P go to PATH_P (default: a private temporary socket)")
}

// wanted reports whether a vsock flag was given or a -p forward goes to
// a vsock port.
func (v *vsockFlags) wanted() bool {
	set := len(v.forwards) > 0
	v.fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "cid", "vsock-uds":
			set = true
		}
	})
	return set
}

// apply adds the vsock device to cfg if a vsock flag was given; notes
// receives where its Unix socket is (nil: nowhere), log the device's
// reports of connections it aborted or refused.
func (v *vsockFlags) apply(cfg *qemu.Config, notes, log io.Writer) error {
	if !v.wanted() {
		return nil
	}
	if v.cid < 3 || v.cid >= 0xffffffff {
		return fmt.Errorf("invalid -cid %d: want 3 to 4294967294 (0-2 are reserved)", v.cid)
	}
	cfg.Devices = append(cfg.Devices, vsock.QEMUDevice(vsock.Config{
		GuestCID: v.cid,
		UDSPath:  v.uds,
		Forwards: v.forwards,
		Log:      log,
	}, notes))
	return nil
}

// verboseNotes returns where device notes go: standard error with -v,
// nowhere otherwise.
func verboseNotes(c *cli, verbose bool) io.Writer {
	if verbose {
		return c.stderr
	}
	return nil
}
