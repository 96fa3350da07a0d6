package kernel

import (
	"github.com/gotoro/gotoro/internal/bootabi"
	"github.com/gotoro/gotoro/internal/virtio"
	"github.com/gotoro/gotoro/kernel/apic"
	"github.com/gotoro/gotoro/kernel/mm"
	"github.com/gotoro/gotoro/kernel/vio"
)

// Device discovery and interrupts. The VMM announces each virtio-mmio
// device on the kernel command line as
//
//	virtio_mmio.device=<size>@<base>:<gsi>
//
// (QEMU microvm adds these itself, Firecracker too). virtioInit probes each
// one, routes its GSI through the I/O APIC to vector vecVirtio+index
// (unless virtio_poll=1 asks for polling), and attaches the driver for its
// device ID.

const (
	keyVirtioMMIO = "virtio_mmio.device"
	keyVirtioPoll = bootabi.KeyVirtioPoll
	// vecVirtio is the vector of the first device; device i uses
	// vecVirtio+i.
	vecVirtio = 48
)

// virtioInit discovers and attaches the devices named in cmdline, polling
// them if poll (virtio_poll=1). kmain calls it only when parseParams saw a
// device on the line, after vio.SetHost.
func virtioInit(cmdline string, poll bool) {
	for rest := cmdline; ; {
		k, raw, r, ok := bootabi.NextParam(rest)
		if !ok {
			break
		}
		rest = r
		if k != keyVirtioMMIO || vio.Count() == vio.MaxDevices {
			continue
		}
		size, base, gsi, ok := parseVirtioMMIO(raw)
		if !ok {
			kprint("gotoro: virtio: bad virtio_mmio.device=")
			kprint(raw)
			kprint("\n")
			continue
		}
		d, found := vio.Add(base, size, gsi, poll)
		if found == vio.Legacy {
			kprint("gotoro: virtio: legacy virtio-mmio transport ignored (use virtio-mmio.force-legacy=false)\n")
		}
		if d == nil {
			continue // no device, or listed twice (by the VMM and by gotoro)
		}
		if !d.Polling() && !apic.Route(gsi, uint8(vecVirtio+d.Index())) {
			d.SetPolling()
		}
		if ktrace {
			kprint("gotoro: virtio device ")
			kprintDec(uint64(d.ID()))
			kprint(" at ")
			kprintHex(uint64(base))
			kprint(" gsi ")
			kprintDec(uint64(gsi))
			if d.Polling() {
				kprint(" (polling)")
			}
			kprint("\n")
		}
		ok = false
		switch d.ID() {
		case virtio.DeviceBlock:
			ok = blkAttach(d)
		case virtio.DeviceConsole:
			ok = vconAttach(d)
		case virtio.DeviceFS:
			ok = fsAttach(d)
		case virtio.DeviceVsock:
			ok = vsockAttach(d)
		case virtio.DeviceNet:
			ok = netAttach(d)
		default:
			// No driver: leave the device reset.
			d.SetStatus(0)
			continue
		}
		if !ok {
			kprint("gotoro: virtio: device ")
			kprintDec(uint64(d.ID()))
			kprint(" at ")
			kprintHex(uint64(base))
			kprint(" failed to initialize\n")
			d.SetStatus(virtio.StatusFailed)
		}
	}
}

// parseVirtioMMIO parses "<size>@<base>:<gsi>" where size may end in K, M
// or G and numbers are decimal or 0x-prefixed hexadecimal. A trailing
// ":<id>" (Linux's platform device id) is ignored.
func parseVirtioMMIO(s string) (size, base uintptr, gsi uint32, ok bool) {
	i := 0
	num := func() (uint64, bool) {
		v, n := parseNum(s[i:])
		if n == 0 {
			return 0, false
		}
		i += n
		return v, true
	}
	sz, ok1 := num()
	if !ok1 {
		return 0, 0, 0, false
	}
	if i < len(s) {
		switch s[i] {
		case 'k', 'K':
			sz <<= 10
			i++
		case 'm', 'M':
			sz <<= 20
			i++
		case 'g', 'G':
			sz <<= 30
			i++
		}
	}
	if i >= len(s) || s[i] != '@' {
		return 0, 0, 0, false
	}
	i++
	b, ok2 := num()
	if !ok2 || i >= len(s) || s[i] != ':' {
		return 0, 0, 0, false
	}
	i++
	g, ok3 := num()
	if !ok3 || (i < len(s) && s[i] != ':') || sz < 0x100 || b == 0 || b >= mm.IdentityLimit {
		return 0, 0, 0, false
	}
	return uintptr(sz), uintptr(b), uint32(g), true
}

// parseNum parses a decimal or 0x-prefixed hexadecimal number at the start
// of s and returns it with the number of bytes used (0 if none).
func parseNum(s string) (uint64, int) {
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		v, i := uint64(0), 2
		for ; i < len(s) && isHexDigit(s[i]); i++ {
			v = v<<4 | uint64(hexVal(s[i]))
		}
		if i == 2 {
			return 0, 0
		}
		return v, i
	}
	v, i := uint64(0), 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		v = v*10 + uint64(s[i]-'0')
	}
	return v, i
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// virtioInterrupt handles vector v if it belongs to a virtio device: it
// acknowledges the device and wakes the threads waiting on its queues, and
// nothing more (the waiters reap the used rings themselves). It reports
// whether v was a device vector.
func virtioInterrupt(v uint64) bool {
	if v < vecVirtio || v >= vecVirtio+uint64(vio.Count()) {
		return false
	}
	d := vio.Dev(int(v - vecVirtio))
	d.Acknowledge()
	apic.EOI()
	// Under the big kernel lock: a thread on another core checks the used
	// ring and blocks while holding it, so the wake-up cannot fall between
	// its check and its sleep. Interrupts only arrive when this core does
	// not hold the lock (in Go code or halted).
	bklLock()
	for k := 0; k < d.NumQueues(); k++ {
		wakeKey(d.Queue(k).Key())
	}
	switch d.ID() {
	case virtio.DeviceVsock:
		vsockIntr()
	case virtio.DeviceNet:
		netIntr()
	}
	bklUnlock()
	return true
}
