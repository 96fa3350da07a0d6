package qemu

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Devices beyond the console. A Device is the QEMU arguments that create
// it and, for vhost-user devices, the Backend that serves it from the host
// for the length of the run. Run starts every backend before QEMU, and
// stops them all (removing their sockets) on every exit path: the guest
// exiting or faulting, the timeout, ctx ending, QEMU failing to start.
//
// Any vhost-user device makes the guest RAM a shared memfd
// (-object memory-backend-memfd,share=on), which vhost-user needs under
// TCG as well as KVM. Every run with devices sets
// virtio-mmio.force-legacy=false: the guest drives virtio-mmio version 2
// only.
//
// Adding a device kind means writing a constructor that returns a Device:
// see DiskDevice for a device QEMU emulates itself and FSDevice for one
// served by a backend process (ProcessBackend).

// Device is one virtio device of the guest.
type Device struct {
	// Name names the device in messages ("disk data.img").
	Name string
	// Args are QEMU's arguments for the device (-drive, -chardev,
	// -device…). IDs must be unique within the run: use DeviceID.
	Args []string
	// VhostUser marks a device whose backend is another process sharing
	// guest memory.
	VhostUser bool
	// Backend, if not nil, is started before QEMU and stopped after it.
	Backend Backend
	// Cmdline is added to the kernel command line (each parameter
	// preceded by a space).
	Cmdline string
	// NotVirtio marks a device that takes no virtio-mmio transport (an
	// ISA device such as the standard-input UART).
	NotVirtio bool
}

// Backend serves a device from the host side during one run.
type Backend interface {
	// Start starts serving and returns once QEMU can connect (the
	// vhost-user socket listens). An error says what failed, clearly
	// enough for a user.
	Start(ctx context.Context) error
	// Stop stops serving and removes what Start created (processes,
	// sockets). It is called exactly once, after QEMU has exited or failed
	// to start, also when Start failed; it must not block for long.
	Stop() error
}

// DeviceID returns a QEMU id for the n-th device of a kind ("disk0").
func DeviceID(kind string, n int) string { return kind + strconv.Itoa(n) }

// DiskDevice returns a virtio-blk device backed by the raw image file
// path, the n-th disk of the guest (/dev/vda is n = 0). The file must exist.
func DiskDevice(n int, path string, readOnly bool) (Device, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Device{}, fmt.Errorf("disk image: %w", err)
	}
	if !st.Mode().IsRegular() {
		return Device{}, fmt.Errorf("disk image %s is not a regular file", path)
	}
	id := DeviceID("disk", n)
	drive := "if=none,id=" + id + ",format=raw,file=" + qemuOptEscape(path)
	if readOnly {
		drive += ",readonly=on"
	}
	return Device{
		Name: "disk " + path,
		Args: []string{"-drive", drive, "-device", "virtio-blk-device,drive=" + id},
	}, nil
}

// SocketPath returns a fresh path in the temporary directory for a
// backend's Unix socket, unique across processes and runs; nothing is
// created.
func SocketPath(kind string) string {
	return filepath.Join(os.TempDir(), SocketName(kind, os.Getpid()))
}

// SocketName is the base name of a fresh SocketPath for process pid.
// Sockets of processes that are gone are removed when the next guest with
// backends starts.
func SocketName(kind string, pid int) string {
	var r [6]byte
	rand.Read(r[:])
	return fmt.Sprintf("gotoro-%s-%d-%x.sock", kind, pid, r)
}

// qemuOptEscape escapes commas for a QEMU option value.
func qemuOptEscape(s string) string { return strings.ReplaceAll(s, ",", ",,") }

// deviceArgs returns the QEMU arguments for c's devices and console: the
// memory backend first (if any device needs it), then each device.
func deviceArgs(c Config) []string {
	var a []string
	if len(c.Devices) > 0 || c.Console == ConsoleVirtio {
		a = append(a, "-global", "virtio-mmio.force-legacy=false")
	}
	if c.Console == ConsoleVirtio {
		// First, so that it takes the transport mmioCmdline names first.
		a = append(a, "-device", "virtio-serial-device,max_ports=1", "-device", "virtconsole,chardev=con0")
	}
	for _, d := range c.Devices {
		a = append(a, d.Args...)
	}
	return a
}

// QEMU microvm's virtio-mmio transports (with ACPI and its second I/O APIC,
// the defaults): 24 windows of 512 bytes from mmioBase, transport i on GSI
// mmioGSIBase+i. Devices take transports from the last one down, in the
// order of the command line. QEMU announces them to the guest in ACPI
// only (it adds virtio_mmio.device= entries to the kernel command line
// just when ACPI is off), so gotoro adds the entries itself.
const (
	mmioBase       = 0xfeb00000
	mmioSize       = 0x200
	mmioTransports = 24
	mmioGSIBase    = 24
)

// mmioCmdline returns the virtio_mmio.device= entries for n devices,
// each preceded by a space.
func mmioCmdline(n int) string {
	var b strings.Builder
	for k := 0; k < n && k < mmioTransports; k++ {
		i := mmioTransports - 1 - k
		fmt.Fprintf(&b, " virtio_mmio.device=%d@%#x:%d", mmioSize, mmioBase+i*mmioSize, mmioGSIBase+i)
	}
	return b.String()
}

// virtioDevices counts c's virtio devices, the console included.
func virtioDevices(c Config) int {
	n := 0
	for _, d := range c.Devices {
		if !d.NotVirtio {
			n++
		}
	}
	if c.Console == ConsoleVirtio {
		n++
	}
	return n
}

// needsSharedMemory reports whether some device is served over vhost-user.
func needsSharedMemory(c Config) bool {
	for _, d := range c.Devices {
		if d.VhostUser {
			return true
		}
	}
	return false
}

// startBackends starts the devices' backends in order. On failure it stops
// those already started and returns the error.
func startBackends(ctx context.Context, devs []Device) (stop func() error, err error) {
	if len(devs) > 0 {
		removeStaleSockets(os.TempDir())
	}
	var started []Backend
	stop = func() error {
		var errs []error
		for i := len(started) - 1; i >= 0; i-- {
			errs = append(errs, started[i].Stop())
		}
		return errors.Join(errs...)
	}
	for _, d := range devs {
		if d.Backend == nil {
			continue
		}
		started = append(started, d.Backend)
		if err := d.Backend.Start(ctx); err != nil {
			stop()
			return nil, fmt.Errorf("%s: backend failed to start: %w", d.Name, err)
		}
	}
	return stop, nil
}
